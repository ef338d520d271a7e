"""The grader (``python -m spanbert_lab.tools.grade``) on a synthetic class.

The class hands in a small notebook built from notebook 01's exercises (their reference solutions,
through the public Exercise API), so that each run takes a few seconds: the solved edition, the
untouched student edition, one wrong answer, one answer that raises, and one infinite loop.
"""

from __future__ import annotations

import csv
import json
import os
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from spanbert_lab.course.exercises import all_exercises
from spanbert_lab.tools.grade import find_submissions, grade_submissions, write_csv, write_html
from spanbert_lab.tools.grade.__main__ import main as grade_main
from spanbert_lab.tools.grade.plan import (
    defined_names,
    key_order,
    notebook_numbers,
    plan_notebook,
    plans_from_json,
    plans_to_json,
)
from spanbert_lab.tools.student import student_notebook

pytestmark = pytest.mark.timeout(300)  # a broken time limit must fail, not hang the suite

KEYS = sorted(k for k in all_exercises() if k.startswith("01."))
TIME_LIMIT_S = 30.0
SETUP = (
    "import math\n\nimport torch\n\nfrom spanbert_lab.course.exercises import nb01_attention as ex\n"
    "from spanbert_lab.course.exercises import all_exercises\n\nEX = all_exercises()"
)


def _solution(key: str) -> str:
    return textwrap.dedent(all_exercises()[key].solution_code).strip()


def _notebook(answers: dict[str, str]) -> nbformat.NotebookNode:
    """Setup cell, then per exercise a markdown title and a cell: answer code + check call."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells.append(nbformat.v4.new_code_cell(SETUP))
    for key in KEYS:
        name = all_exercises()[key].answer_name
        nb.cells.append(nbformat.v4.new_markdown_cell(f"### Exercise {key}"))
        nb.cells.append(nbformat.v4.new_code_cell(f'{answers[key]}\n\n\nEX["{key}"].check({name})'))
    return nb


def _taught() -> nbformat.NotebookNode:
    answers = {}
    for i, key in enumerate(KEYS):
        name = all_exercises()[key].answer_name
        # The first stub is a bare `...` (the name is never bound); the others `name = ...`.
        begin = "### BEGIN SOLUTION" if i == 0 else f"### BEGIN SOLUTION: {name} = ..."
        answers[key] = f"{begin}\n{_solution(key)}\n### END SOLUTION"
    return _notebook(answers)


def _filled(overrides: dict[str, str]) -> nbformat.NotebookNode:
    """Every exercise solved, except those in ``overrides`` (key -> the learner's code)."""
    return _notebook({key: overrides.get(key, _solution(key)) for key in KEYS})


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    assert len(KEYS) >= 3, f"notebook 01 should have at least 3 exercises, found {KEYS}"
    first, second = KEYS[0], KEYS[1]
    name1 = all_exercises()[first].answer_name
    wrong = all_exercises()[first].wrong_solutions[0]
    raises = f"def {name1}(*args):\n    return 1 / 0"
    loops = f"while True:\n    pass\n\n{_solution(second)}"
    class_dir = tmp_path_factory.mktemp("class")
    notebooks = {
        "solved": _taught(),
        "untouched": student_notebook(_taught()),
        "wrong": _filled({first: wrong}),
        "raises": _filled({first: raises}),
        "loops": _filled({second: loops}),
    }
    for student, nb in notebooks.items():
        (class_dir / student).mkdir()
        nbformat.write(nb, class_dir / student / "01_attention.ipynb")
    output = tmp_path_factory.mktemp("grades")
    start = time.monotonic()
    results = grade_submissions(class_dir, output, time_limit=TIME_LIMIT_S, jobs=2)
    seconds = time.monotonic() - start
    return results, output, seconds


def _table(results) -> dict[tuple[str, str], tuple[str, str]]:
    return {(r.student, r.key): (r.status, r.message) for res in results for r in res.exercises}


def test_expected_table(graded) -> None:
    results, _, _ = graded
    table = _table(results)
    first, second, rest = KEYS[0], KEYS[1], KEYS[2:]
    expected = {}
    for key in KEYS:
        expected[("solved", key)] = "correct"
        expected[("untouched", key)] = "not attempted"
        expected[("wrong", key)] = "wrong" if key == first else "correct"
        expected[("raises", key)] = "crashed" if key == first else "correct"
        expected[("loops", key)] = "correct" if key == first else "crashed"
    got = {cell: status for cell, (status, _) in table.items()}
    assert got == expected, "\n".join(
        f"{cell}: expected {want}, got {got.get(cell)} ({table.get(cell, ('', ''))[1]})"
        for cell, want in expected.items()
        if got.get(cell) != want
    )
    outcomes = {r.student: r.outcome for r in results}
    assert outcomes == {
        "solved": "completed",
        "untouched": "completed",
        "wrong": "completed",
        "raises": "completed",
        "loops": "timed out",
    }, outcomes
    assert table[("wrong", first)][1].startswith(f"Exercise {first}"), table[("wrong", first)]
    assert "ZeroDivisionError" in table[("raises", first)][1], table[("raises", first)]
    assert "timed out in this exercise's cell" in table[("loops", second)][1], table[
        ("loops", second)
    ]
    for key in rest:
        assert table[("loops", key)][1].startswith("not reached"), table[("loops", key)]
    assert "never defined" in table[("untouched", first)][1], table[("untouched", first)]
    assert "not attempted" in table[("untouched", second)][1], table[("untouched", second)]


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process: it exists and is not a zombie (Linux's ``/proc``;
    elsewhere existing is taken as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # gone meanwhile, or no /proc to ask
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_loop_costs_only_its_time_limit(graded) -> None:
    results, output, seconds = graded
    loops = next(r for r in results if r.student == "loops")
    assert TIME_LIMIT_S <= loops.seconds < TIME_LIMIT_S + 60, loops.seconds
    assert seconds < 3 * TIME_LIMIT_S + 60, f"the whole class took {seconds:.0f} s"
    events = (output / "events" / "loops" / "01_attention.jsonl").read_text(encoding="utf-8")
    kernel = next(e for e in map(json.loads, events.splitlines()) if e["event"] == "kernel")
    # the looping kernel was killed, not orphaned: within a few seconds it is gone, or a zombie
    # that only waits for init to reap it (SIGKILL is delivered at once, reaping is not)
    deadline = time.monotonic() + 5
    while _running(kernel["pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(kernel["pid"]), f"kernel {kernel['pid']} still runs"
    executed = output / "executed" / "solved" / "01_attention.ipynb"
    nb = nbformat.read(executed, as_version=4)
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code"), executed


def test_reports(graded, tmp_path: Path) -> None:
    results, _, _ = graded
    csv_path = write_csv(results, tmp_path / "grades.csv")
    with csv_path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5 * len(KEYS), len(rows)
    from_csv = {(r["student"], r["exercise"]): r["status"] for r in rows}
    assert from_csv == {cell: status for cell, (status, _) in _table(results).items()}
    assert {r["run"].split(":")[0] for r in rows if r["student"] == "loops"} == {"timed out"}
    page = write_html(results, tmp_path / "summary.html").read_text(encoding="utf-8")
    for student in ("solved", "untouched", "wrong", "raises", "loops"):
        assert f"<th>{student}</th>" in page, student
    assert f"<td>{len(KEYS)}/{len(KEYS)}</td>" in page  # the solved edition's score
    assert "loops / 01_attention.ipynb: timed out" in page


def test_plan_finds_exercises_and_anchors() -> None:
    nb = _taught()
    plans = plan_notebook(nb, "renamed.ipynb")
    assert [p.key for p in plans] == KEYS
    for i, plan in enumerate(plans):
        assert plan.anchor == 2 + 2 * i, (plan.key, plan.anchor)
        assert plan.module == "spanbert_lab.course.exercises.nb01_attention", plan.module
    assert plans_from_json(plans_to_json(plans)) == plans
    assert notebook_numbers([], "02_masking.ipynb") == ["02"]
    assert notebook_numbers([], "01b_bert_encoder.ipynb") == ["01b"]
    assert sorted(["02.1", "01b.1", "01.10", "01.2"], key=key_order) == [
        "01.2",
        "01.10",
        "01b.1",
        "02.1",
    ]
    assert notebook_numbers(nb.cells, "x.ipynb") == ["01"]
    assert defined_names("def f(x):\n    pass\ny: int = 3\na, (b, c) = 1, (2, 3)") == {
        "f",
        "y",
        "a",
        "b",
        "c",
    }
    assert defined_names("def f(x):\n    return (\n%time g = 1") == {"f"}  # unparsable cell


def test_bad_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        find_submissions(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"no \.ipynb files"):
        find_submissions(tmp_path)
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "01_attention.ipynb").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="must not lie inside"):
        grade_submissions(tmp_path, tmp_path / "grades")
    with pytest.raises(SystemExit):
        grade_main([str(tmp_path / "missing")])
    assert "does not exist" in capsys.readouterr().err


def test_unreadable_notebook_is_crashed_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "class" / "bob").mkdir(parents=True)
    (tmp_path / "class" / "bob" / "01_attention.ipynb").write_text("not json", encoding="utf-8")
    results = grade_submissions(tmp_path / "class", tmp_path / "out", time_limit=5)
    assert [r.outcome for r in results] == ["error"]
    statuses = {r.key: r.status for r in results[0].exercises}
    assert statuses == dict.fromkeys(KEYS, "crashed"), statuses
