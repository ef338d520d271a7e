"""Stress check for the notebooks: strict nbval on every notebook, three runs in a row.

One of the runs (the second, by default) has a CPU-burning process occupying one core, started
and ended here by its own process id, so a cell that only passes on an idle machine shows up.
Every cell's duration is read from pytest's JUnit report; the script prints each run's result and
the slowest cells over all runs, and exits non-zero when any run failed.

Usage (what ``make test-stress`` runs)::

    python scripts/stress_nbval.py [--runs 3] [--busy-run 2] [--top 15] [NOTEBOOK ...]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BURN = "while True:\n    pass\n"


def nbval_command(notebooks: list[str], junit: Path) -> list[str]:
    """The strict nbval command of ``make nbval``, plus a JUnit report for the timings."""
    options = os.environ.get("NBVAL_OPTIONS", "").split()
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options,
            f"--junitxml={junit}", *notebooks]  # fmt: skip


def cell_durations(junit: Path) -> list[tuple[float, str, str]]:
    """``(seconds, notebook, cell)`` for every test case of a JUnit report."""
    out = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        failed = any(child.tag in ("failure", "error") for child in case)
        name = case.get("name", "?") + (" [FAILED]" if failed else "")
        notebook = case.get("classname", "?").removeprefix("notebooks.")  # notebooks.05_finetuning
        out.append((float(case.get("time", 0.0)), notebook, name))
    return out


def start_burner() -> subprocess.Popen[bytes]:
    """A process that keeps one core busy until it is ended."""
    return subprocess.Popen([sys.executable, "-c", BURN], start_new_session=True)


def stop_burner(burner: subprocess.Popen[bytes]) -> None:
    os.kill(burner.pid, signal.SIGTERM)  # its own id: nothing else is touched
    burner.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: notebooks/*.ipynb")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--busy-run", type=int, default=2, help="the run with a busy core (1-based)"
    )
    parser.add_argument("--top", type=int, default=15, help="how many slowest cells to list")
    args = parser.parse_args(argv)
    if not 1 <= args.busy_run <= args.runs:
        parser.error(f"--busy-run must be between 1 and --runs={args.runs}")
    notebooks = args.notebooks or sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")
    )
    results, cells = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(1, args.runs + 1):
            busy = run == args.busy_run
            junit = Path(tmp) / f"run{run}.xml"
            burner = start_burner() if busy else None
            label = f"run {run}/{args.runs}" + (f" (core busy: pid {burner.pid})" if burner else "")
            print(f"== {label}", flush=True)
            start = time.perf_counter()
            try:
                code = subprocess.call(nbval_command(notebooks, junit), cwd=ROOT)
            finally:
                if burner is not None:
                    stop_burner(burner)
            seconds = time.perf_counter() - start
            durations = cell_durations(junit) if junit.is_file() else []
            failed = sum("[FAILED]" in name for _, _, name in durations)
            results.append((label, code, seconds, len(durations), failed))
            cells += [(s, nb, name, run) for s, nb, name in durations]
    print("\n| run | result | cells | failed | wall |\n|---|---|---|---|---|")
    for label, code, seconds, n, failed in results:
        print(
            f"| {label} | {'pass' if code == 0 else f'FAIL (exit {code})'} | {n} | {failed} | {seconds:.0f} s |"
        )
    print(
        f"\nSlowest cells over all runs (top {args.top}):\n\n| seconds | notebook | cell | run |\n|---|---|---|---|"
    )
    for seconds, nb, name, run in sorted(cells, reverse=True)[: args.top]:
        print(f"| {seconds:.1f} | {nb} | {name} | {run} |")
    per_nb: dict[tuple[str, int], float] = {}
    for seconds, nb, _, run in cells:
        per_nb[nb, run] = per_nb.get((nb, run), 0.0) + seconds
    names = sorted({nb for nb, _ in per_nb})
    print("\nPer notebook (seconds, summed over cells):\n")
    print("| notebook | " + " | ".join(f"run {r}" for r in range(1, args.runs + 1)) + " |")
    print("|---|" + "---|" * args.runs)
    for nb in names:
        print(
            f"| {nb} | "
            + " | ".join(f"{per_nb.get((nb, r), 0):.0f}" for r in range(1, args.runs + 1))
            + " |"
        )
    return 0 if all(code == 0 for _, code, *_ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
