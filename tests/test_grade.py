"""The grader (``python -m spanbert_lab.tools.grade``) on a synthetic class.

The class hands in a small notebook built from notebook 01's exercises (their reference solutions,
the notebook's solution blocks), so that each run takes a few seconds: the solved edition, the
untouched student edition, one wrong answer, one answer that raises, and one infinite loop.

A second class tries to cheat, each way the old grader (which decided inside the learner's
kernel) fell for: a rebound ``Exercise.check``, a rebound ``CheckFailed``, a rebound
``torch.allclose``, an answer that reads the checker's expected value from its stack frame, and an
answer that calls the library's own implementation. None of them earns ``correct``.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from spanbert_lab.course.exercises import all_exercises
from spanbert_lab.tools.grade import find_submissions, grade_submissions, write_csv, write_html
from spanbert_lab.tools.grade.__main__ import main as grade_main
from spanbert_lab.tools.grade.codec import decode, encode
from spanbert_lab.tools.grade.judge import judge
from spanbert_lab.tools.grade.kernel import reply_for
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


def _notebook(answers: dict[str, str], first_cell: str = "") -> nbformat.NotebookNode:
    """Setup cell, then per exercise a markdown title and a cell: answer code + check call."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells.append(nbformat.v4.new_code_cell(SETUP + ("\n" + first_cell if first_cell else "")))
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


def _filled(overrides: dict[str, str], first_cell: str = "") -> nbformat.NotebookNode:
    """Every exercise solved, except those in ``overrides`` (key -> the learner's code)."""
    return _notebook({key: overrides.get(key, _solution(key)) for key in KEYS}, first_cell)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    assert len(KEYS) >= 3, f"notebook 01 should have at least 3 exercises, found {KEYS}"
    # the last exercise reuses the earlier answers, so the wrong and raising answers go there
    last, second = KEYS[-1], KEYS[1]
    name = all_exercises()[last].answer_name
    wrong = all_exercises()[last].wrong_answers()[0]
    raises = f"def {name}(*args):\n    return 1 / 0"
    loops = f"while True:\n    pass\n\n{_solution(second)}"
    class_dir = tmp_path_factory.mktemp("class")
    notebooks = {
        "solved": _taught(),
        "untouched": student_notebook(_taught()),
        "wrong": _filled({last: wrong}),
        "raises": _filled({last: raises}),
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
    first, second, rest, last = KEYS[0], KEYS[1], KEYS[2:], KEYS[-1]
    expected = {}
    for key in KEYS:
        expected[("solved", key)] = "correct"
        expected[("untouched", key)] = "not attempted"
        expected[("wrong", key)] = "wrong" if key == last else "correct"
        expected[("raises", key)] = "crashed" if key == last else "correct"
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
    assert table[("wrong", last)][1].startswith(f"Exercise {last}"), table[("wrong", last)]
    assert "ZeroDivisionError" in table[("raises", last)][1], table[("raises", last)]
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


def test_notebooks_are_planned_on_the_calling_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ast.parse`` on several threads at once can fail on CPython 3.11 ("AST constructor
    recursion depth mismatch"), so reading and planning must not run in the grading pool."""
    import threading

    import spanbert_lab.tools.grade.runner as runner

    planned_on = []

    def record(nb, name):
        planned_on.append(threading.current_thread())
        return []  # no exercises: nothing is executed

    monkeypatch.setattr(runner, "plan_notebook", record)
    for student in ("ann", "bob", "cat"):
        (tmp_path / "class" / student).mkdir(parents=True)
        nbformat.write(
            nbformat.v4.new_notebook(), tmp_path / "class" / student / "01_attention.ipynb"
        )
    results = grade_submissions(tmp_path / "class", tmp_path / "out", time_limit=5, jobs=3)
    assert [r.outcome for r in results] == ["no exercises"] * 3
    assert planned_on == [threading.main_thread()] * 3


# --- the grader decides in its own process: cheating does not earn "correct" ----------------------

PATCH_CHECK = (
    "import spanbert_lab.course.exercises.core as c\n"
    "c.Exercise.check = lambda self, fn, *a, **k: None"
)
# CheckFailed rebound everywhere the checkers and the old in-kernel verdict look it up
PATCH_CHECKFAILED = (
    "import spanbert_lab.course.exercises as e\n"
    "import spanbert_lab.course.exercises.core as c\n"
    "import spanbert_lab.course.exercises.nb01_attention as m\n"
    "e.CheckFailed = c.CheckFailed = m.CheckFailed = c.NotAttempted"
)
PATCH_TORCH = "torch.allclose = lambda *args, **kwargs: True"
# an answer that walks up the stack to the checker's frame and returns its expected value
PEEKS = """
import sys

from spanbert_lab.course.exercises import nb04_pretraining as ex04


def lr_schedule(step, peak_lr, warmup_steps, total_steps):
    frame = sys._getframe(1)
    while frame is not None and "want" not in frame.f_locals:
        frame = frame.f_back
    return frame.f_locals["want"]


ex04.lr_schedule.check(lr_schedule)
"""
LIBRARY_ATTENTION = (
    "from spanbert_lab.model.attention import scaled_dot_product_attention as _sdpa\n\n\n"
    "def attention(q, k, v, mask):\n"
    "    return _sdpa(q, k, v, mask)[0]"
)


def _peeking_notebook() -> nbformat.NotebookNode:
    nb = _notebook({key: _solution(key) for key in KEYS})
    nb.cells = [nb.cells[0], nbformat.v4.new_code_cell(PEEKS)]
    return nb


@pytest.fixture(scope="module")
def cheaters(tmp_path_factory: pytest.TempPathFactory):
    first, last = KEYS[0], KEYS[-1]
    no_scale = next(c for c in all_exercises()[first].wrong_answers() if "sqrt" not in c)
    class_dir = tmp_path_factory.mktemp("cheaters")
    notebooks = {
        "patched_check": student_notebook(_taught()),
        "patched_checkfailed": _filled({first: no_scale}, PATCH_CHECKFAILED),
        "patched_torch": _filled({first: no_scale}, PATCH_TORCH),
        "library": _filled({last: LIBRARY_ATTENTION}),
    }
    notebooks["patched_check"].cells[0].source += "\n" + PATCH_CHECK
    for student, nb in notebooks.items():
        (class_dir / student).mkdir()
        nbformat.write(nb, class_dir / student / "01_attention.ipynb")
    (class_dir / "peeks").mkdir()
    nbformat.write(_peeking_notebook(), class_dir / "peeks" / "04_pretraining.ipynb")
    output = tmp_path_factory.mktemp("cheater-grades")
    results = grade_submissions(class_dir, output, time_limit=TIME_LIMIT_S * 3, jobs=2)
    return _table(results)


def test_a_rebound_check_method_earns_nothing(cheaters) -> None:
    """The issue's monkeypatch: Exercise.check does nothing, every answer is the stub."""
    got = {key: cheaters[("patched_check", key)][0] for key in KEYS}
    assert got == dict.fromkeys(KEYS, "not attempted"), got


def test_a_rebound_checkfailed_does_not_change_the_verdict(cheaters) -> None:
    first = KEYS[0]
    status, message = cheaters[("patched_checkfailed", first)]
    assert status == "wrong", (status, message)
    assert cheaters[("patched_checkfailed", KEYS[1])][0] == "correct", cheaters


def test_a_rebound_torch_function_does_not_change_the_verdict(cheaters) -> None:
    status, message = cheaters[("patched_torch", KEYS[0])]
    assert status == "wrong" and "largest error" in message, (status, message)


def test_reading_the_expected_value_from_the_checker_earns_nothing(cheaters) -> None:
    status, message = cheaters[("peeks", "04.1")]
    assert status in ("crashed", "wrong"), (status, message)


def test_calling_the_librarys_implementation_is_flagged(cheaters) -> None:
    status, message = cheaters[("library", KEYS[-1])]
    assert status == "flagged", (status, message)
    assert "spanbert_lab.model.attention.scaled_dot_product_attention" in message, message


def _round_trip(key: str, code: str, seed: int = 7) -> dict[str, str]:
    """Judge ``code`` as the grader does, the kernel replaced by a namespace and a JSON hop."""
    exercise = all_exercises()[key]
    scope = dict(exercise.namespace)
    for earlier in exercise.needs:
        exec(earlier.solution_code, scope)
    exec(code, scope)
    module = next(
        m.__name__
        for m in list(sys.modules.values())
        if getattr(m, "__name__", "").startswith("spanbert_lab.course.exercises.nb")
        and any(v is exercise for v in vars(m).values())
    )

    def call(request: dict) -> dict:
        request = json.loads(json.dumps(request))
        return json.loads(json.dumps(reply_for(scope, exercise.answer_name, key, module, request)))

    return judge(exercise, call, seed)


@pytest.mark.parametrize("key", sorted(all_exercises()))
def test_every_exercise_is_judged_from_its_outputs_alone(key) -> None:
    """Inputs and outputs cross as JSON data; the solution is correct, each wrong answer wrong."""
    exercise = all_exercises()[key]
    verdict = _round_trip(key, exercise.solution_code)
    assert verdict == {"status": "correct", "message": ""}, verdict
    for code in exercise.wrong_answers():
        assert _round_trip(key, code)["status"] == "wrong", code


def test_codec_round_trips_data_and_refuses_objects() -> None:
    import numpy as np
    import torch

    g = torch.Generator().manual_seed(3)
    value = {
        "t": torch.arange(6, dtype=torch.float32).reshape(2, 3),
        "scalar": torch.tensor(2.5, dtype=torch.float64),
        "mask": torch.tensor([True, False]),
        "a": np.array([[1.5, -2.0]]),
        "nums": (1, 2.0, float("inf"), None, ...),
        "set": {1, 2},
        "gen": g,
    }
    back = decode(json.loads(json.dumps(encode(value))))
    assert torch.equal(back["t"], value["t"]) and back["t"].dtype == torch.float32
    assert torch.equal(back["scalar"], value["scalar"]) and torch.equal(back["mask"], value["mask"])
    assert np.array_equal(back["a"], value["a"]) and back["nums"] == value["nums"]
    assert back["set"] == {1, 2} and torch.equal(back["gen"].get_state(), g.get_state())
    with pytest.raises(TypeError):
        encode(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError):
        decode({"__pickle__": "gASV"})
