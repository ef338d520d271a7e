"""One source for runtimes: what the README and notebook 00 state is what the build measured.

``scripts/build_notebooks.py`` records each notebook's execution time in
``notebooks/runtimes.json``; a stated runtime more than 2× away from the measured one fails here,
and so does a stored cell that took longer than the course's one-minute budget.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from spanbert_lab.tools.runtimes import (
    cell_seconds,
    format_runtime,
    load_runtimes,
    parse_runtime,
    readme_runtimes,
    runtime_table,
    update_readme,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
CELL_BUDGET_S = 60


def _within_2x(stated: float, measured: float) -> bool:
    return measured / 2 <= stated <= measured * 2


def test_format_and_parse_round_trip() -> None:
    for seconds in (3, 12, 44, 56, 95, 170, 200, 420):
        stated = parse_runtime(format_runtime(seconds))
        assert _within_2x(stated, seconds) and abs(stated - seconds) <= max(5, 0.2 * seconds), (
            f"{seconds} s is stated as {format_runtime(seconds)!r}"
        )
    assert parse_runtime("6–7 min") == 390 and parse_runtime("~20 s") == 20
    with pytest.raises(ValueError, match="no runtime"):
        parse_runtime("quick")


def test_every_notebook_has_a_measured_runtime() -> None:
    runtimes = load_runtimes()
    assert sorted(runtimes) == NOTEBOOKS, (
        "rebuild the notebooks missing from notebooks/runtimes.json"
    )


def test_readme_states_the_measured_runtimes() -> None:
    stated, measured = readme_runtimes(), load_runtimes()
    assert sorted(stated) == NOTEBOOKS, "every notebook needs a row in the README's course map"
    for name, text in stated.items():
        seconds = measured[name]["seconds"]
        assert _within_2x(parse_runtime(text), seconds), (
            f"README says {name} takes {text}; the build measured {seconds:.0f} s"
        )


def test_notebook_00_states_the_measured_runtimes() -> None:
    nb = nbformat.read(ROOT / "notebooks" / "00_welcome.ipynb", as_version=4)
    outputs = [
        out.get("data", {}).get("text/markdown", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    ]
    table = next((t for t in outputs if "runtime on a 2-core CPU" in t), None)
    assert table is not None, "notebook 00 should show spanbert_lab.tools.runtimes.runtime_table()"
    measured = load_runtimes()
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = cells[0].strip("`")
        if name in measured:
            assert _within_2x(parse_runtime(cells[1]), measured[name]["seconds"]), (
                f"notebook 00 says {name} takes {cells[1]}; measured {measured[name]['seconds']} s"
            )


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_stored_cell_took_more_than_a_minute(name: str) -> None:
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    seconds = cell_seconds(nb)
    assert seconds, f"{name}: no execution timing stored (build with scripts/build_notebooks.py)"
    slowest = max(seconds)
    assert slowest <= CELL_BUDGET_S, (
        f"{name}: a cell took {slowest:.0f} s to build (budget {CELL_BUDGET_S} s): long work belongs "
        "in data/results with the command that made it, plus a short live demo"
    )


def test_update_readme_rewrites_only_the_runtime_column(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "intro | not a row |\n"
        "| [`01_attention`](notebooks/01_attention.ipynb) | attention | ~20 s |\n"
        "| [`02_masking`](notebooks/02_masking.ipynb) | masks | ~1 min |\n"
    )
    runtimes = {"01_attention": {"seconds": 95.0, "slowest_cell_s": 9.0}}
    assert update_readme(readme, runtimes) == 1
    text = readme.read_text()
    assert "| [`01_attention`](notebooks/01_attention.ipynb) | attention | ~1.5 min |" in text
    assert "| masks | ~1 min |" in text and text.startswith("intro | not a row |")
    assert "| `01_attention` | ~1.5 min | 9 s |" in runtime_table(runtimes)


def test_runtimes_file_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "runtimes.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_runtimes(bad)
    bad.write_text(json.dumps({"something": 1}))
    with pytest.raises(ValueError, match="'notebooks'"):
        load_runtimes(bad)
    assert load_runtimes(tmp_path / "missing.json") == {}
