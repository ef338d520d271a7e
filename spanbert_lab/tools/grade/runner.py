"""Run every handed-in notebook under a time limit and turn the worker's events into verdicts.

Each notebook runs in its own worker process (``spanbert_lab.tools.grade.worker``) with its own kernel.
The time limit counts from the moment the kernel is up; past it, the worker and the kernel's
process group are killed and the exercises not yet checked are reported as *crashed*, naming the
cell that was running. A notebook that crashes, loops or kills its kernel therefore costs at most
its time limit and never stops the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from spanbert_lab.tools.grade.plan import (
    ExercisePlan,
    exercises_for,
    notebook_numbers,
    plan_notebook,
    plans_to_json,
)

STATUSES = ("correct", "wrong", "not attempted", "crashed", "flagged")
STARTUP_LIMIT_S = 120.0  # a kernel that is not up by then counts as a crash
SHUTDOWN_GRACE_S = 30.0  # after the last cell: time to shut the kernel down and save


@dataclass(frozen=True)
class ExerciseResult:
    """The verdict on one exercise of one student's notebook."""

    student: str
    notebook: str
    key: str
    title: str
    status: str  # one of STATUSES
    message: str


@dataclass(frozen=True)
class NotebookResult:
    """One executed notebook: how the run ended and every exercise's verdict.

    ``outcome`` is ``completed``, ``timed out``, ``kernel died``, ``error`` or ``no exercises``.
    """

    student: str
    notebook: str
    outcome: str
    detail: str
    seconds: float
    exercises: tuple[ExerciseResult, ...]


def find_submissions(root: Path) -> list[tuple[str, Path]]:
    """``(student, notebook)`` pairs: each sub-folder of ``root`` is one student's hand-in; a
    notebook directly in ``root`` is a one-notebook hand-in named after its file."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"submissions folder {root} does not exist or is not a folder")
    found: list[tuple[str, Path]] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            found += [(entry.name, nb) for nb in sorted(entry.rglob("*.ipynb")) if _visible(nb)]
        elif entry.suffix == ".ipynb":
            found.append((entry.stem, entry))
    if not found:
        raise ValueError(f"no .ipynb files in {root} (expected one folder per student)")
    return found


def _visible(path: Path) -> bool:
    return not any(part.startswith(".") for part in path.parts)


def _read_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut short by the kill
            break
    return events


def _kill(proc: subprocess.Popen[bytes], events: list[dict[str, Any]]) -> None:
    """Kill the kernel's process group (it runs in a session of its own), then the worker's."""
    groups = [e.get("pgid") or e.get("pid") for e in events if e["event"] == "kernel"]
    for group in [*groups, proc.pid]:
        if group:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(int(group), signal.SIGKILL)
    proc.wait()


def _supervise(
    proc: subprocess.Popen[bytes], events_path: Path, time_limit: float
) -> tuple[str, str]:
    """Wait for the worker; kill it when its kernel does not start or the notebook runs too long.

    The time limit counts from the moment the kernel is up (as seen from here) until the worker
    reports ``finished`` (every cell run and checked); shutting the kernel down and saving the
    executed notebook get a grace period of their own. Returns ``("", "")`` when not killed.
    """
    start = time.monotonic()
    ready_at: float | None = None
    finished_at: float | None = None
    while proc.poll() is None:
        time.sleep(0.2)
        now = time.monotonic()
        events = _read_events(events_path)
        kinds = {e["event"] for e in events}
        if ready_at is None and "kernel" in kinds:
            ready_at = now
        if finished_at is None and "finished" in kinds:
            finished_at = now
        if finished_at is not None:
            if now - finished_at > SHUTDOWN_GRACE_S:  # a kernel that will not shut down
                _kill(proc, events)
        elif ready_at is None and now - start > STARTUP_LIMIT_S:
            _kill(proc, events)
            return "error", f"the kernel did not start within {STARTUP_LIMIT_S:.0f} s"
        elif ready_at is not None and now - ready_at > time_limit:
            _kill(proc, events)
            return "timed out", f"ran past the {time_limit:g} s time limit"
    return "", ""


def _run_worker(
    path: Path, plan_path: Path, events_path: Path, executed: Path, time_limit: float
) -> tuple[str, str, float, list[dict[str, Any]]]:
    """Run the worker on ``path``; return ``(outcome, detail, seconds, events)``."""
    env = dict(os.environ)
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.setdefault(name, "1")
    start = time.monotonic()
    stderr_path = events_path.with_suffix(".stderr.txt")
    with (
        tempfile.TemporaryDirectory(prefix="spanbert-grade-") as workdir,
        stderr_path.open("wb") as stderr_file,
    ):
        command = [sys.executable, "-m", "spanbert_lab.tools.grade.worker"]
        command += [str(path), str(plan_path), str(events_path), workdir, str(executed)]
        proc = subprocess.Popen(
            command,
            env=env,
            cwd=workdir,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=stderr_file,  # a file, not a pipe: a chatty worker cannot block on it
        )
        outcome, detail = _supervise(proc, events_path, time_limit)
    stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
    events = _read_events(events_path)
    if not outcome:
        last = events[-1] if events else {"event": "none"}
        if last["event"] in ("finished", "done"):
            outcome = "completed"
        elif last["event"] == "kernel_died":
            outcome, detail = "kernel died", "the kernel died"
        else:
            outcome = "error"
            detail = last.get("message") or (stderr.strip().splitlines() or ["worker failed"])[-1]
    return outcome, detail, time.monotonic() - start, events


def _stopped_message(plan: ExercisePlan, outcome: str, detail: str, events: list[dict]) -> str:
    """Why an exercise has no verdict: where the run stopped relative to its anchor cell."""
    cells = [e["index"] for e in events if e["event"] == "cell"]
    checking = [e["key"] for e in events if e["event"] == "checking"]
    results = {e["key"] for e in events if e["event"] == "result"}
    at = f" in cell {cells[-1] + 1}" if cells else ""
    if checking and checking[-1] == plan.key and plan.key not in results:
        return f"{outcome} while checking this exercise: {detail}"
    if cells and plan.anchor == cells[-1]:
        return f"{outcome} in this exercise's cell ({cells[-1] + 1}): {detail}"
    return f"not reached: the notebook {outcome}{at} ({detail})"


def _read_plans(path: Path, student: str) -> list[ExercisePlan] | NotebookResult:
    """The exercise plans of one notebook, or the result that says why it cannot be read."""
    name = path.name
    try:
        nb = nbformat.read(path, as_version=4)
        plans = plan_notebook(nb, name)
    except Exception as err:  # not JSON, not a notebook: every expected exercise crashed
        message = f"the notebook cannot be read ({type(err).__name__}: {err})"[:400]
        exercises = exercises_for(notebook_numbers([], name))
        rows = tuple(
            ExerciseResult(student, name, ex.key, ex.title, "crashed", message)
            for _, ex in exercises
        )
        return NotebookResult(student, name, "error", message, 0.0, rows)
    if not plans:
        return NotebookResult(student, name, "no exercises", "", 0.0, ())
    return plans


def _grade_planned(
    path: Path, student: str, plans: list[ExercisePlan], *, time_limit: float, work_root: Path
) -> NotebookResult:
    """Execute one notebook whose exercises are already planned and give the verdicts."""
    name = path.name
    events_path = work_root / "events" / student / f"{path.stem}.jsonl"
    events_path.parent.mkdir(parents=True, exist_ok=True)
    events_path.unlink(missing_ok=True)
    plan_path = events_path.with_suffix(".plan.json")
    plan_path.write_text(plans_to_json(plans), encoding="utf-8")
    executed = work_root / "executed" / student / name
    outcome, detail, seconds, events = _run_worker(
        path, plan_path, events_path, executed, time_limit
    )
    verdicts = {e["key"]: e for e in events if e["event"] == "result"}
    rows = []
    for plan in plans:
        if plan.key in verdicts:
            status, message = verdicts[plan.key]["status"], verdicts[plan.key]["message"]
        else:
            status, message = "crashed", _stopped_message(plan, outcome, detail, events)
        rows.append(ExerciseResult(student, name, plan.key, plan.title, status, message))
    return NotebookResult(student, name, outcome, detail, round(seconds, 1), tuple(rows))


def grade_notebook(
    path: Path, student: str, *, time_limit: float, work_root: Path
) -> NotebookResult:
    """Execute one student notebook and give a verdict on each of its exercises."""
    path = Path(path)
    plans = _read_plans(path, student)
    if isinstance(plans, NotebookResult):
        return plans
    return _grade_planned(path, student, plans, time_limit=time_limit, work_root=work_root)


def grade_submissions(
    root: Path,
    output: Path,
    *,
    time_limit: float = 900.0,
    jobs: int = 1,
    progress: Callable[[NotebookResult], None] | None = None,
) -> list[NotebookResult]:
    """Grade every notebook under ``root``; executed notebooks and logs go to ``output``.

    Args:
        root: one sub-folder per student (or loose notebooks, one per student).
        output: folder for ``executed/`` notebooks and ``events/`` logs (the reports are written
            by :mod:`spanbert_lab.tools.grade.report`).
        time_limit: seconds each notebook may run once its kernel is up.
        jobs: notebooks graded at the same time.
        progress: called with each finished notebook's result.
    """
    if time_limit <= 0:
        raise ValueError(f"time_limit must be positive, got {time_limit}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    submissions = find_submissions(root)
    output = Path(output)
    if output.resolve().is_relative_to(Path(root).resolve()):
        raise ValueError(f"the output folder {output} must not lie inside {root}")
    output.mkdir(parents=True, exist_ok=True)

    # Every notebook is read and planned here, on one thread: CPython 3.11's AST validator keeps
    # its recursion counter per interpreter, so ``ast.parse`` on several threads at once can fail
    # with "AST constructor recursion depth mismatch". Only the execution runs in the pool.
    planned = [
        (student, Path(path), _read_plans(Path(path), student)) for student, path in submissions
    ]

    def one(item: tuple[str, Path, list[ExercisePlan] | NotebookResult]) -> NotebookResult:
        student, path, plans = item
        if isinstance(plans, NotebookResult):
            result = plans
        else:
            result = _grade_planned(path, student, plans, time_limit=time_limit, work_root=output)
        if progress is not None:
            progress(result)
        return result

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, planned))
