"""Run the study's commands, at most ``jobs`` at a time, skipping what is done.

Each command runs as ``python -m spanbert_lab …`` in a process of its own (offline, one torch
thread), with its output in ``<folder>/log.txt``. When it exits with status 0 the runner writes
``<folder>/done.json`` (the command, its exit status, wall time and CPU time — user + system of
the process and its children, summed over every sitting of a resumed run, each sitting also a
line of ``<folder>/cpu.jsonl``) atomically, so a run that
was stopped half-way is never mistaken for a finished one: a non-resumable run starts again
from an empty folder, a resumable one (pretraining) continues from its last checkpoint.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from spanbert_lab.tools.study.plan import Run

__all__ = ["Outcome", "execute"]

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


@dataclass(frozen=True)
class Outcome:
    """How one run ended: ``status`` 0 = done (also when it was done before)."""

    key: str
    status: int
    seconds: float
    skipped: bool = False
    cpu_seconds: float = 0.0


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _argv(run: Run) -> list[str]:
    argv = [sys.executable, "-m", "spanbert_lab", *run.argv]
    if run.resumable and any(run.folder.glob("checkpoint-*")):
        argv.append("--resume")
    return argv


def _reap(proc: subprocess.Popen[bytes]) -> tuple[int, float] | None:
    """``(exit status, CPU seconds)`` of a finished process, ``None`` while it runs."""
    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    if pid == 0:
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def _sittings_cpu(run: Run, seconds: float, cpu: float) -> float:
    """Append this sitting to ``cpu.jsonl``; return the CPU seconds of every sitting."""
    log = run.folder / "cpu.jsonl"
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1)}) + "\n")
    lines = log.read_text(encoding="utf-8").splitlines()
    return sum(float(json.loads(line)["cpu_seconds"]) for line in lines if line.strip())


def _start(run: Run) -> tuple[subprocess.Popen[bytes], float]:
    if run.folder.exists() and not run.resumable:
        shutil.rmtree(run.folder)  # a half-written run starts again from nothing
    run.folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **OFFLINE, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    log = (run.folder / "log.txt").open("ab")
    proc = subprocess.Popen(_argv(run), stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    return proc, time.monotonic()


def execute(
    runs: Sequence[Run],
    *,
    jobs: int = 2,
    say: Callable[[str], None] = print,
    poll_s: float = 1.0,
) -> list[Outcome]:
    """Run every run that is not done, ``jobs`` at a time, in the given order.

    Returns:
        One :class:`Outcome` per run (skipped ones included), in completion order.

    Raises:
        ValueError: ``jobs`` < 1 or two runs with the same key.
    """
    if jobs < 1:
        raise ValueError(f"jobs={jobs} must be >= 1")
    keys = [r.key for r in runs]
    if len(set(keys)) != len(keys):
        raise ValueError("two runs share a key")
    outcomes = [Outcome(r.key, 0, 0.0, skipped=True) for r in runs if r.done]
    queue = [r for r in runs if not r.done]
    if outcomes:
        say(f"{len(outcomes)} of {len(runs)} runs already done")
    active: list[tuple[Run, subprocess.Popen[bytes], float]] = []
    while queue or active:
        while queue and len(active) < jobs:
            run = queue.pop(0)
            say(f"start {run.key}")
            active.append((run, *_start(run)))
        time.sleep(poll_s)
        for item in list(active):
            run, proc, started = item
            reaped = _reap(proc)
            if reaped is None:
                continue
            status, cpu = reaped
            active.remove(item)
            seconds = time.monotonic() - started
            cpu = _sittings_cpu(run, seconds, cpu)
            if status == 0:
                record = {
                    "command": "python -m spanbert_lab " + " ".join(run.argv),
                    "status": 0,
                    "seconds": round(seconds, 1),
                    "cpu_seconds": round(cpu, 1),
                    "meta": run.meta,
                }
                _write_atomic(run.folder / "done.json", json.dumps(record, indent=1) + "\n")
            say(
                f"{'done' if status == 0 else f'FAILED ({status})'} {run.key} "
                f"in {seconds:.0f} s (log: {run.folder / 'log.txt'})"
            )
            outcomes.append(Outcome(run.key, status, seconds, cpu_seconds=cpu))
    return outcomes
