"""Stored notebooks match their sources, are stored executed top to bottom, and leak no paths."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "notebooks" / "source").glob("*.py"))
spec = importlib.util.spec_from_file_location(
    "build_notebooks", ROOT / "scripts" / "build_notebooks.py"
)
build_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_notebooks)


def _squash(text: str) -> str:
    # ruff may reflow code inside a cell; compare the tokens, not the layout.
    return "".join(text.split()).replace(",)", ")").replace(",]", "]")


def test_every_notebook_has_a_source_and_vice_versa():
    stored = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert stored == {p.stem for p in SOURCES}, (
        "run `make notebooks` after adding or removing a source"
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_stored_notebook_matches_its_source(source):
    nb = nbformat.read(ROOT / "notebooks" / f"{source.stem}.ipynb", as_version=4)
    cells = build_notebooks.parse_source(source.read_text(encoding="utf-8"))
    assert len(nb.cells) == len(cells), (
        f"{source.stem}: cell count differs; rebuild with make notebooks"
    )
    for index, (stored, fresh) in enumerate(zip(nb.cells, cells, strict=True)):
        assert stored.cell_type == fresh.cell_type, f"{source.stem} cell {index}: type differs"
        assert _squash(stored.source) == _squash(fresh.source), (
            f"{source.stem} cell {index} differs"
        )
        assert stored.metadata.get("tags", []) == fresh.metadata.get("tags", [])


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_stored_executed_in_order_without_errors_or_machine_paths(source):
    nb = nbformat.read(ROOT / "notebooks" / f"{source.stem}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    for cell in code:
        for out in cell.outputs:
            assert out.output_type != "error", f"{source.stem}: stored error {out.get('ename')}"
            text = json.dumps(out)
            for root in (str(ROOT), str(Path.home()) + "/", "/tmp/"):
                assert root not in text, f"{source.stem}: an output shows the machine path {root}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_follows_the_course_shape(source):
    text = source.read_text(encoding="utf-8")
    cells = build_notebooks.parse_source(text)
    first_code = next(c for c in cells if c.cell_type == "code")
    assert "setup_notebook(" in first_code.source, (
        f"{source.stem}: the first code cell must call setup_notebook()"
    )
    for part in ("Goals", "## Summary", "quiz("):
        assert part in text, f"{source.stem} lacks its {part!r} section"
    if not source.stem.startswith("00"):
        assert ".check(" in text and "### BEGIN SOLUTION" in text, (
            f"{source.stem} has no checked exercise"
        )


_PROGRESS_BAR = re.compile(r"\d+%\|[^|]*\|\s*\d+/\d+|it/s\]|(Int|Float)Progress\(")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_no_progress_bar_is_stored(source):
    """A bar in a stored output is frozen for the learner, and in a live kernel it floods IOPub
    (see spanbert_lab/training/progress.py): progress is one printed line per epoch or evaluation."""
    nb = nbformat.read(ROOT / "notebooks" / f"{source.stem}.ipynb", as_version=4)
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            text = json.dumps(out.get("data", {}).get("text/plain", "")) + json.dumps(
                out.get("text", "")
            )
            match = _PROGRESS_BAR.search(text)
            assert match is None, f"{source.stem} cell {index} stores a progress bar: {match[0]!r}"
