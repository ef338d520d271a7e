"""The classroom dashboards' layout (classroom/dashboard.py) and the dashboard notebooks."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import ipywidgets as w
import nbformat
import pytest

CLASSROOM = Path(__file__).resolve().parents[1] / "classroom"
sys.path.insert(0, str(CLASSROOM))
from dashboard import dashboard  # noqa: E402


class _FakeExplorer:
    def __init__(self) -> None:
        self.controls = {
            "layer": w.IntSlider(0, min=0, max=3, description="layer"),
            "head": w.Dropdown(options=[0, 1], description="head"),
        }
        self.image = w.Image(format="png")
        self.status = w.HTML()


def _texts(widget: w.Widget) -> list[str]:
    found = [widget.value] if isinstance(widget, w.HTML) else []
    for child in getattr(widget, "children", ()):
        found += _texts(child)
    return found


def test_layout_has_title_prompts_and_the_explorers_own_widgets() -> None:
    explorer = _FakeExplorer()
    prompts = {"head": "Pick a head: <which> one?", "layer": "Move the layer slider."}
    page = dashboard(explorer, "Attention", prompts, intro="One line.")
    assert "classroom" in page._dom_classes
    texts = "\n".join(_texts(page))
    assert "<h1>Attention</h1>" in texts and "One line." in texts
    assert "Pick a head: &lt;which&gt; one?" in texts  # escaped, in the prompts' order
    assert texts.index("Pick a head") < texts.index("Move the layer")
    _, body = page.children
    controls_column, view = body.children
    shown = [row.children[1] for row in controls_column.children]
    assert shown == [explorer.controls["head"], explorer.controls["layer"]]
    assert explorer.image in view.children


def test_every_control_needs_a_prompt_and_prompts_need_controls() -> None:
    with pytest.raises(ValueError, match=r"controls \['head'\] have no prompt"):
        dashboard(_FakeExplorer(), "T", {"layer": "move it"})
    with pytest.raises(ValueError, match="unknown controls"):
        dashboard(_FakeExplorer(), "T", {"layer": "a", "head": "b", "size": "c"})


def test_a_message_instead_of_an_explorer() -> None:
    page = dashboard("Run the ship script first.", "Ask the model", {})
    assert "Run the ship script first." in "\n".join(_texts(page))


@pytest.mark.parametrize("path", sorted(CLASSROOM.glob("*.ipynb")), ids=lambda p: p.stem)
def test_dashboard_notebooks_are_small_and_code_free(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") for c in code), f"{path.name}: stored outputs"
    assert len(code) <= 4, f"{path.name}: {len(code)} code cells; keep a dashboard small"
    last = ast.parse(code[-1].source).body[-1]
    assert isinstance(last, ast.Expr) and getattr(last.value.func, "id", "") == "dashboard", (
        f"{path.name}: the last cell must end with dashboard(...), the only output"
    )
    for cell in code[:-1]:
        body = ast.parse(cell.source).body
        assert not body or not isinstance(body[-1], ast.Expr), (
            f"{path.name}: a cell before the last one would show an output"
        )
