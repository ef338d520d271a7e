"""Every widget in a real browser: the notebooks in JupyterLab and the classroom dashboards in Voilà.

* JupyterLab is started as ``make lab`` starts it; each notebook that shows an explorer (found from
  the stored outputs, not from a list) is opened, its outputs cleared, all cells run; then each
  explorer's main controls (its first row: sliders, then dropdowns) are moved and each move must
  redraw the image. No output may be a widget's text fallback (``VBox(…)``), no cell may raise,
  the console must log no error.
* Voilà is started as ``make classroom`` starts it; each dashboard is opened and its first
  control moved in the same way; nothing may be requested from another host (offline, no CDN).

Screenshots before and after each move go to ``build/screenshots/``. Notebooks whose recorded
runtime (``notebooks/runtimes.json``) is over ``SPANBERT_LAB_BROWSER_BUDGET_S`` (default 90 s)
are skipped here to keep this suite under five minutes; their explorers are the ones the Voilà
dashboards drive (``SPANBERT_LAB_BROWSER_BUDGET_S=1000`` runs them all).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from . import drive, servers

ROOT = servers.ROOT
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
BUDGET_S = float(os.environ.get("SPANBERT_LAB_BROWSER_BUDGET_S", "90"))
MAIN_CONTROLS = 3  # an explorer's first row of controls (widgets.base.Explorer lays out 3 a row)


def widget_notebooks() -> list[Path]:
    """Stored notebooks with an explorer (a VBox widget) among their outputs."""
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        state = nb.get("metadata", {}).get("widgets", {})
        models = state.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
        views = [
            out["data"][WIDGET_VIEW]["model_id"]
            for cell in nb["cells"]
            for out in cell.get("outputs", [])
            if WIDGET_VIEW in out.get("data", {})
        ]
        if any(models.get(v, {}).get("model_name") == "VBoxModel" for v in views):
            found.append(path)
    return found


def recorded_runtime(name: str) -> float | None:
    path = ROOT / "notebooks" / "runtimes.json"
    if not path.exists():
        return None
    entry = json.loads(path.read_text(encoding="utf-8")).get("notebooks", {}).get(name)
    return float(entry["seconds"]) if entry else None


NOTEBOOKS = widget_notebooks()
DASHBOARDS = sorted((ROOT / "classroom").glob("*.ipynb"))


def test_discovery_finds_the_explorers() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert {"01_attention", "02_masking"} <= names, names
    assert {"attention", "masks", "sbo", "qa", "applications"} <= {p.stem for p in DASHBOARDS}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    with servers.jupyterlab(tmp_path_factory.mktemp("lab"), NOTEBOOKS) as server:
        yield server


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory):
    with servers.voila(tmp_path_factory.mktemp("voila")) as server:
        yield server


_PANEL = "window.jupyterapp.shell.currentWidget"
_READY = f"""() => {{
  const p = window.jupyterapp && {_PANEL};
  const k = p && p.sessionContext && p.sessionContext.session && p.sessionContext.session.kernel;
  return !!(k && k.connectionStatus === 'connected' && k.status === 'idle' && p.content.widgets.length);
}}"""
_DONE = f"""() => {{
  const p = {_PANEL};
  const cells = p.content.widgets.filter(
    w => w.model.type === 'code' && w.model.sharedModel.getSource().trim() !== '');
  const failed = cells.some(w => w.model.outputs.toJSON().some(o => o.output_type === 'error'));
  const ran = cells.every(w => w.model.executionCount !== null);
  return (failed || ran) && p.sessionContext.session.kernel.status === 'idle';
}}"""
_ERRORS = f"""() => {_PANEL}.content.widgets
  .filter(w => w.model.type === 'code')
  .flatMap(w => w.model.outputs.toJSON().filter(o => o.output_type === 'error')
  .map(o => o.ename + ': ' + o.evalue))"""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_widgets_in_jupyterlab(path: Path, lab, page, shots: Path) -> None:
    runtime = recorded_runtime(path.stem)
    if runtime is not None and runtime > BUDGET_S:
        pytest.skip(
            f"{path.stem} takes {runtime:.0f} s to run, over the {BUDGET_S:.0f} s budget "
            "(SPANBERT_LAB_BROWSER_BUDGET_S); the classroom dashboards drive its explorers"
        )
    timeout_ms = 1000 * max(180.0, 4 * (runtime or 60.0))
    # A workspace of its own, reset: only this notebook is open (no tab restored from another test).
    page.goto(lab.page(f"lab/workspaces/{path.stem}/tree/{path.name}?reset"))
    page.wait_for_function(_READY, timeout=120_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    start = time.monotonic()
    page.evaluate("void window.jupyterapp.commands.execute('notebook:run-all-cells')")
    time.sleep(2)
    page.wait_for_function(_DONE, timeout=timeout_ms, polling=500)
    seconds = time.monotonic() - start
    assert page.evaluate(_ERRORS) == [], f"{path.name}: a cell raised"
    assert drive.text_fallbacks(page) == [], f"{path.name}: a widget is shown as text"
    explorers = page.locator(".jp-OutputArea-output").filter(has=page.locator("img.widget-image"))
    assert explorers.count() >= 1, f"{path.name}: no explorer rendered after {seconds:.0f} s"
    for i in range(explorers.count()):
        drive.move_controls(explorers.nth(i), page, f"{path.stem}-{i}", shots, limit=MAIN_CONTROLS)
    page.screenshot(path=str(shots / f"{path.stem}-page.png"))
    page.evaluate(f"{_PANEL}.sessionContext.shutdown()")  # free the kernel for the next notebook
    assert page.log.problems() == [], f"{path.name}: {page.log.problems()}"


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def test_classroom_dashboard(path: Path, classroom, page, shots: Path) -> None:
    page.goto(classroom.page(f"voila/render/{path.name}"), timeout=180_000)
    root = page.locator(".classroom").first
    root.wait_for(timeout=180_000)
    assert root.locator("h1").inner_text().strip(), f"{path.name}: no title"
    prompts = root.locator(".classroom-prompt").all_inner_texts()
    assert prompts and all(p.strip() for p in prompts), f"{path.name}: controls without prompts"
    assert (
        page.locator(".jp-InputArea").count() == 0
        or not page.locator(".jp-InputArea").first.is_visible()
    ), f"{path.name}: code is shown"
    assert drive.text_fallbacks(page) == [], f"{path.name}: a widget is shown as text"
    moves = drive.move_controls(root, page, f"classroom-{path.stem}", shots, limit=1)
    assert len(moves) == 1
    page.screenshot(path=str(shots / f"classroom-{path.stem}-page.png"))
    assert page.log.problems() == [], f"{path.name}: {page.log.problems()}"
