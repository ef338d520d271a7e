"""Run the study's commands, at most ``jobs`` at a time, skipping what is done.

Each command runs as ``python -m spanbert_lab …`` in a process of its own (offline, one torch
thread), with its output in ``<folder>/log.txt``. When it exits with status 0 the runner writes
``<folder>/done.json`` (the command, its exit status, wall time and CPU time — user + system of
the process and its children, summed over every sitting of a resumed run, each sitting also a
line of ``<folder>/cpu.jsonl``) atomically, so a run that
was stopped half-way is never mistaken for a finished one: a non-resumable run starts again
from an empty folder, a resumable one (pretraining) continues from its last checkpoint.

While a run works, ``<folder>/sitting.json`` holds its CPU time so far (rewritten every
``HEARTBEAT_S`` seconds, where ``/proc`` can tell), so CPU spent by a sitting that was stopped
(the session ended, the machine went down) is not lost from the study's total: when the run is
started again, a resumable run adds that sitting to ``cpu.jsonl`` (it is part of the run), and a
non-resumable one, which starts from nothing, keeps every earlier sitting in ``lost.jsonl``
(``done.json``'s ``lost_cpu_seconds``: paid for, not part of the result).
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

__all__ = ["Outcome", "cpu_log_seconds", "execute"]

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
HEARTBEAT_S = 30.0


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


def cpu_log_seconds(path: Path) -> float:
    """The summed ``cpu_seconds`` of a ``cpu.jsonl``/``lost.jsonl`` file (0 when absent)."""
    if not path.is_file():
        return 0.0
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(float(json.loads(line)["cpu_seconds"]) for line in lines if line.strip())


def _append(path: Path, record: dict) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def _sittings_cpu(run: Run, seconds: float, cpu: float) -> float:
    """Append this sitting to ``cpu.jsonl``; return the CPU seconds of every sitting."""
    _append(run.folder / "cpu.jsonl", {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1)})
    (run.folder / "sitting.json").unlink(missing_ok=True)
    return cpu_log_seconds(run.folder / "cpu.jsonl")


def _proc_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a live process and its reaped children (Linux ``/proc``;
    ``None`` elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    # after the command name: state is field 3, utime..cstime are fields 14..17
    return sum(int(v) for v in fields[11:15]) / ticks


def _heartbeat(run: Run, proc: subprocess.Popen[bytes], started: float) -> None:
    cpu = _proc_cpu_seconds(proc.pid)
    if cpu is not None:
        record = {"seconds": round(time.monotonic() - started, 1), "cpu_seconds": round(cpu, 1)}
        _write_atomic(run.folder / "sitting.json", json.dumps(record) + "\n")


def _stopped_sittings(run: Run) -> list[dict]:
    """The sittings of an unfinished run that never reached ``cpu.jsonl``'s tally: the one
    ``sitting.json`` was left by, and for a non-resumable run every line of ``cpu.jsonl`` (a
    failed sitting) and of ``lost.jsonl``, as records to keep."""
    stopped = run.folder / "sitting.json"
    records = []
    if stopped.is_file():
        records.append({**json.loads(stopped.read_text(encoding="utf-8")), "stopped": True})
        stopped.unlink()
    if run.resumable:
        return records
    for name in ("lost.jsonl", "cpu.jsonl"):
        path = run.folder / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            records = [json.loads(line) for line in lines if line.strip()] + records
    return records


def _start(run: Run) -> tuple[subprocess.Popen[bytes], float]:
    if run.folder.exists():
        earlier = _stopped_sittings(run)
        if run.resumable:  # the stopped sitting's work is in the checkpoint it resumes from
            for record in earlier:
                _append(run.folder / "cpu.jsonl", record)
        else:
            shutil.rmtree(run.folder)  # a half-written run starts again from nothing
            run.folder.mkdir(parents=True)
            for record in earlier:
                _append(run.folder / "lost.jsonl", record)
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
    beat = time.monotonic()
    while queue or active:
        while queue and len(active) < jobs:
            run = queue.pop(0)
            say(f"start {run.key}")
            active.append((run, *_start(run)))
        time.sleep(poll_s)
        heartbeat = time.monotonic() - beat >= HEARTBEAT_S
        if heartbeat:
            beat = time.monotonic()
        for item in list(active):
            run, proc, started = item
            reaped = _reap(proc)
            if reaped is None:
                if heartbeat:
                    _heartbeat(run, proc, started)
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
                    "lost_cpu_seconds": round(cpu_log_seconds(run.folder / "lost.jsonl"), 1),
                    "meta": run.meta,
                }
                _write_atomic(run.folder / "done.json", json.dumps(record, indent=1) + "\n")
            say(
                f"{'done' if status == 0 else f'FAILED ({status})'} {run.key} "
                f"in {seconds:.0f} s (log: {run.folder / 'log.txt'})"
            )
            outcomes.append(Outcome(run.key, status, seconds, cpu_seconds=cpu))
    return outcomes
