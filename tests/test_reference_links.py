"""Every citation of the course reference (docs/spanbert-reference.md#anchor) opens: the document
exists, the anchor is defined in it, and no notebook or library docstring cites the unpublished
facts sheet ("spec §…", "facts §…") any more."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "spanbert-reference.md"
CITING = sorted(
    [*(ROOT / "notebooks" / "source").glob("*.py"), *(ROOT / "spanbert_lab").rglob("*.py")]
)
LINK = re.compile(r"spanbert-reference\.md(#[\w-]+)?((?:`{0,2} and `{0,2}|, )#[\w-]+)*")


def _anchors() -> set[str]:
    text = REFERENCE.read_text(encoding="utf-8")
    return set(re.findall(r'<a id="([\w-]+)"></a>', text))


def _cited(text: str) -> list[str]:
    """Every anchor cited after a mention of the reference (``…md#a`` and ``…md#a`` and ``#b``)."""
    found = []
    for match in LINK.finditer(text):
        found += re.findall(r"#([\w-]+)", match.group(0))
    return found


def test_reference_defines_its_anchors_once():
    text = REFERENCE.read_text(encoding="utf-8")
    ids = re.findall(r'<a id="([\w-]+)"></a>', text)
    assert len(ids) == len(set(ids)) >= 15, "anchors missing or duplicated"
    for anchor in re.findall(r"\]\(#([\w-]+)\)", text):  # the document's own links
        assert anchor in ids, f"internal link to #{anchor}, which is not defined"


@pytest.mark.parametrize("path", CITING, ids=[str(p.relative_to(ROOT)) for p in CITING])
def test_citations_point_to_defined_anchors(path):
    text = path.read_text(encoding="utf-8")
    anchors = _anchors()
    for anchor in _cited(text):
        assert anchor in anchors, f"{path.name} cites #{anchor}, not defined in the reference"
    if path.parent.name == "source":  # notebooks link relative to notebooks/
        for target in re.findall(r"\]\(([^)#]*spanbert-reference\.md)", text):
            assert (path.parent.parent / target).resolve() == REFERENCE, f"{path.name}: {target}"


@pytest.mark.parametrize("path", CITING, ids=[str(p.relative_to(ROOT)) for p in CITING])
def test_no_citation_of_the_unpublished_facts_sheet(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\b(spec|facts)( sheet)? §|spanbert-facts", text), path.name
