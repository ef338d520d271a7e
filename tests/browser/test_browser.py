"""Every widget in a real browser: the notebooks in JupyterLab and the classroom dashboards in Voilà.

* JupyterLab is started as ``make lab`` starts it; each notebook that shows an explorer (found from
  the stored outputs, not from a list) is opened, its outputs cleared, all cells run; then each
  explorer's main controls (its first row: sliders, then dropdowns) are moved and each move must
  redraw the image. No output may be a widget's text fallback (``VBox(…)``), no cell may raise,
  the console must log no error.
* Voilà is started as ``make classroom`` starts it; each dashboard is opened and its first
  control moved in the same way; nothing may be requested from another host (offline, no CDN).

Screenshots before and after each move go to ``build/screenshots/``. Every widget notebook is
run; to keep the suite well under five minutes the notebooks (and then the dashboards) run two at
a time, each in its own page and kernel (``SPANBERT_LAB_BROWSER_PARALLEL``, default 2: the
notebooks use one torch thread each, so two fill a two-core machine), longest first. Controls
are then moved one notebook at a time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from . import drive, servers

ROOT = servers.ROOT
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PARALLEL = int(os.environ.get("SPANBERT_LAB_BROWSER_PARALLEL", "2"))
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


def _start_notebook(page: drive.Page, lab: servers.Server, path: Path) -> None:
    """Open ``path`` in a workspace of its own (reset: no tab restored from another notebook),
    clear its stored outputs and start running all cells."""
    page.goto(lab.page(f"lab/workspaces/{path.stem}/tree/{path.name}?reset"))
    page.wait_for_function(_READY, timeout=120_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("void window.jupyterapp.commands.execute('notebook:run-all-cells')")


def _notebook_done(page: drive.Page) -> bool:
    return bool(page.evaluate(_DONE))


@pytest.fixture(scope="module")
def executed(lab, browser) -> dict[str, drive.Run]:
    """Every widget notebook run to its end in JupyterLab, ``PARALLEL`` at a time (longest
    first), each in its own page and kernel; the pages stay open for the tests to drive."""
    order = sorted(NOTEBOOKS, key=lambda p: -(recorded_runtime(p.stem) or 60.0))
    timeouts = {p.stem: max(180.0, 4 * (recorded_runtime(p.stem) or 60.0)) for p in order}
    runs = drive.run_pages(
        browser,
        [(p.stem, lambda page, p=p: _start_notebook(page, lab, p)) for p in order],
        done=_notebook_done,
        timeouts=timeouts,
        parallel=PARALLEL,
    )
    yield runs
    for run in runs.values():
        run.close()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_widgets_in_jupyterlab(path: Path, executed, shots: Path) -> None:
    run = executed[path.stem]
    page = run.page
    with run.screenshot_on_failure(shots / f"FAILED-{path.stem}.png"):
        assert run.finished, f"{path.name}: not finished after {run.seconds:.0f} s"
        assert page.evaluate(_ERRORS) == [], f"{path.name}: a cell raised"
        assert drive.text_fallbacks(page) == [], f"{path.name}: a widget is shown as text"
        explorers = page.locator(".jp-OutputArea-output").filter(
            has=page.locator("img.widget-image")
        )
        assert explorers.count() >= 1, f"{path.name}: no explorer rendered"
        for i in range(explorers.count()):
            drive.move_controls(
                explorers.nth(i), page, f"{path.stem}-{i}", shots, limit=MAIN_CONTROLS
            )
        page.screenshot(path=str(shots / f"{path.stem}-page.png"))
        assert run.log.problems() == [], f"{path.name}: {run.log.problems()}"
    page.evaluate(f"{_PANEL}.sessionContext.shutdown()")  # free the kernel now


_DASHBOARD_READY = "() => !!document.querySelector('.classroom h1')"


@pytest.fixture(scope="module")
def dashboards(classroom, browser) -> dict[str, drive.Run]:
    """Every dashboard rendered by Voilà (each runs its notebook in a fresh kernel),
    ``PARALLEL`` at a time."""

    def opener(path: Path):
        url = classroom.page(f"voila/render/{path.name}")
        return lambda page: page.goto(url, wait_until="commit", timeout=180_000)

    runs = drive.run_pages(
        browser,
        [(p.stem, opener(p)) for p in DASHBOARDS],
        done=lambda page: bool(page.evaluate(_DASHBOARD_READY)),
        timeouts=dict.fromkeys((p.stem for p in DASHBOARDS), 180.0),
        parallel=PARALLEL,
    )
    yield runs
    for run in runs.values():
        run.close()


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def test_classroom_dashboard(path: Path, dashboards, shots: Path) -> None:
    run = dashboards[path.stem]
    page = run.page
    with run.screenshot_on_failure(shots / f"FAILED-classroom-{path.stem}.png"):
        assert run.finished, f"{path.name}: not rendered after {run.seconds:.0f} s"
        root = page.locator(".classroom").first
        root.wait_for(timeout=60_000)
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
        assert run.log.problems() == [], f"{path.name}: {run.log.problems()}"
