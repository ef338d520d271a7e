"""Execute one handed-in notebook in a fresh kernel and log what happens, event by event.

Run by the grader as ``python -m spanbert_lab.tools.grade.worker NOTEBOOK PLAN EVENTS WORKDIR EXECUTED``
(``PLAN``: the exercises and their anchor cells as JSON, from :mod:`spanbert_lab.tools.grade.plan`), in a
process of its own: the grader kills it (and its kernel) when the notebook runs past its time
limit, and reads the events written so far. Each event is one JSON object per line in ``EVENTS``:

* ``kernel`` — the kernel started (``pid``, ``pgid`` so that the grader can kill it);
* ``cell`` — cell ``index`` starts; ``cell_error`` — it raised (``ename``, ``evalue``);
* ``checking`` — exercise ``key`` is being checked (``seed``: the checker's fresh seed);
  ``result`` — its verdict, decided here, not in the kernel (:mod:`spanbert_lab.tools.grade.judge`);
* ``finished`` — every cell ran and every exercise was checked (the time limit stops here);
* ``kernel_died`` / ``worker_error`` — the run stopped early; ``done`` — all saved and shut down.

Every cell runs even after an error (``allow_errors``), so one broken exercise does not hide the
others. The kernel is the learner's: it only ever runs their cells and, for each call the
checker makes, one line that calls their answer on inputs this process chose and writes back the
outputs (:mod:`spanbert_lab.tools.grade.kernel`). The checker runs in this process.
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from spanbert_lab.tools.grade.judge import judge
from spanbert_lab.tools.grade.kernel import find_exercise
from spanbert_lab.tools.grade.plan import ExercisePlan, plans_from_json

QUIET_ERRORS = ("CheckFailed", "NotAttempted")  # a failed check is a verdict, not a crash


class EventLog:
    """Append-only JSON-lines log, flushed after every event."""

    def __init__(self, path: Path) -> None:
        self._file = Path(path).open("a", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self._start = time.monotonic()

    def write(self, event: str, **fields: Any) -> None:
        record = {"event": event, "t": round(time.monotonic() - self._start, 3), **fields}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def first_error(outputs: list[Any]) -> tuple[str, str] | None:
    """``(ename, evalue)`` of the first error output of a cell, if any."""
    for output in outputs:
        if output.get("output_type") == "error":
            return str(output.get("ename", "")), str(output.get("evalue", ""))
    return None


def _snippet(plan: ExercisePlan, request: Path, reply: Path) -> str:
    """Kernel code that calls the learner's answer on the inputs in ``request``."""
    return (
        "from spanbert_lab.tools.grade.kernel import answer_call as _grade_answer_call\n"
        f"_grade_answer_call(globals(), {plan.answer_name!r}, {plan.key!r}, {plan.module!r}, "
        f"{str(request)!r}, {str(reply)!r})\n"
        "del _grade_answer_call\n"
    )


class NotebookRun:
    """One notebook executed cell by cell, with each exercise checked after its anchor cell."""

    def __init__(self, path: Path, plans: list[ExercisePlan], log: EventLog, workdir: Path) -> None:
        self.nb = nbformat.read(path, as_version=4)
        self.plans = plans
        self.log = log
        self.token = secrets.token_hex(8)
        self.workdir = Path(workdir)
        self.calls = 0
        self.errors: dict[int, tuple[str, str]] = {}
        self.scratch = len(self.nb.cells)
        self.nb.cells.append(nbformat.v4.new_code_cell(""))
        self.client = NotebookClient(
            self.nb,
            timeout=None,  # the grader enforces the notebook's time limit from outside
            allow_errors=True,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": str(workdir)}},
        )

    def run(self) -> None:
        with self.client.setup_kernel():
            provisioner = getattr(self.client.km, "provisioner", None)
            self.log.write(
                "kernel",
                pid=getattr(provisioner, "pid", None),
                pgid=getattr(provisioner, "pgid", None),
            )
            for index in range(self.scratch):
                cell = self.nb.cells[index]
                if cell.cell_type == "code":
                    self.log.write("cell", index=index)
                    self.client.execute_cell(cell, index)
                    error = first_error(cell.outputs)
                    if error is not None:
                        self.errors[index] = error
                        self.log.write("cell_error", index=index, ename=error[0], evalue=error[1])
                for plan in self.plans:
                    if plan.anchor == index:
                        self.check(plan)
            for plan in self.plans:
                if plan.anchor is None:
                    self.check(plan)
            self.log.write("finished")

    def check(self, plan: ExercisePlan) -> None:
        seed = secrets.randbelow(2**31 - 1) + 1  # inputs the notebook never saw
        self.log.write("checking", key=plan.key, seed=seed)
        verdict = judge(find_exercise(plan.key, plan.module), lambda r: self.call(plan, r), seed)
        if verdict["status"] == "missing":
            verdict = self._explain_missing(plan)
        self.log.write("result", key=plan.key, **verdict)

    def call(self, plan: ExercisePlan, request: dict[str, Any]) -> dict[str, Any]:
        """One round trip: the request to a file, one line run in the kernel, the reply back."""
        self.calls += 1
        base = self.workdir / f".grade-{self.token}-{self.calls}"
        request_path, reply_path = base.with_suffix(".in.json"), base.with_suffix(".out.json")
        request_path.write_text(json.dumps(request), encoding="utf-8")
        cell = nbformat.v4.new_code_cell(_snippet(plan, request_path, reply_path))
        self.nb.cells[self.scratch] = cell
        self.client.execute_cell(cell, self.scratch, store_history=False)
        request_path.unlink(missing_ok=True)
        try:
            reply = json.loads(reply_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            error = first_error(cell.outputs)
            detail = f"{error[0]}: {error[1]}" if error else "no reply"
            reply = {"error": {"type": "GraderCallFailed", "message": detail[:400]}}
        reply_path.unlink(missing_ok=True)
        return reply if isinstance(reply, dict) else {"error": {"type": "BadReply"}}

    def _explain_missing(self, plan: ExercisePlan) -> dict[str, str]:
        """An undefined answer is *crashed* when a cell defining it raised, else not attempted."""
        for index in plan.defining_cells:
            error = self.errors.get(index)
            if error is not None and error[0] not in QUIET_ERRORS:
                return {
                    "status": "crashed",
                    "message": f"cell {index + 1} raised {error[0]}: {error[1]}"[:400],
                }
        return {"status": "not attempted", "message": f"`{plan.answer_name}` is never defined"}

    def save(self, target: Path) -> None:
        self.nb.cells = self.nb.cells[: self.scratch]
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(self.nb, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute one notebook for the grader.")
    parser.add_argument("notebook", type=Path)
    parser.add_argument(
        "plan", type=Path, help="JSON from spanbert_lab.tools.grade.plan.plans_to_json"
    )
    parser.add_argument("events", type=Path)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("executed", type=Path, help="where to store the executed notebook")
    args = parser.parse_args(argv)
    log = EventLog(args.events)
    try:
        plans = plans_from_json(args.plan.read_text(encoding="utf-8"))
        run = NotebookRun(args.notebook, plans, log, args.workdir)
        try:
            run.run()
        finally:
            run.save(args.executed)
    except DeadKernelError as err:
        log.write("kernel_died", message=str(err))
    except Exception as err:  # an unreadable notebook, a kernel that will not start…
        log.write("worker_error", message=f"{type(err).__name__}: {err}"[:400])
    else:
        log.write("done")
    finally:
        log.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
