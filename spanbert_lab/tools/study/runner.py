"""Run the study's commands, at most ``jobs`` at a time, skipping what is done.

Each command runs as ``python -m spanbert_lab …`` in a process of its own (offline, one torch
thread), with its output in ``<folder>/log.txt``. When it exits with status 0 the runner writes
``<folder>/done.json`` (the command, its exit status and wall time) atomically, so a run that
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


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _argv(run: Run) -> list[str]:
    argv = [sys.executable, "-m", "spanbert_lab", *run.argv]
    if run.resumable and any(run.folder.glob("checkpoint-*")):
        argv.append("--resume")
    return argv


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
            status = proc.poll()
            if status is None:
                continue
            active.remove(item)
            seconds = time.monotonic() - started
            if status == 0:
                record = {
                    "command": "python -m spanbert_lab " + " ".join(run.argv),
                    "status": 0,
                    "seconds": round(seconds, 1),
                    "meta": run.meta,
                }
                _write_atomic(run.folder / "done.json", json.dumps(record, indent=1) + "\n")
            say(
                f"{'done' if status == 0 else f'FAILED ({status})'} {run.key} "
                f"in {seconds:.0f} s (log: {run.folder / 'log.txt'})"
            )
            outcomes.append(Outcome(run.key, status, seconds))
    return outcomes
