"""``python -m spanbert_lab.tools.grade SUBMISSIONS_DIR [--output DIR] [--time-limit S] [--jobs N]``.

SUBMISSIONS_DIR holds one folder per student with their filled-in notebooks (the student edition
from ``make student``); a notebook directly in SUBMISSIONS_DIR is one student's single hand-in.
Writes ``grades.csv``, ``summary.html``, the executed notebooks (``executed/``) and run logs
(``events/``) to the output folder, and prints a students × exercises table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spanbert_lab.tools.grade.report import text_table, write_csv, write_html
from spanbert_lab.tools.grade.runner import NotebookResult, grade_submissions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m spanbert_lab.tools.grade", description=__doc__.splitlines()[0]
    )
    parser.add_argument("submissions", type=Path, help="one sub-folder per student")
    parser.add_argument(
        "--output", type=Path, default=Path("build/grades"), help="default: build/grades"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=900.0,
        help="seconds per notebook, counted once its kernel is up (default 900)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="notebooks at once (default 1)")
    args = parser.parse_args(argv)

    def progress(result: NotebookResult) -> None:
        counts = ", ".join(f"{r.key} {r.status}" for r in result.exercises) or "no exercises"
        sys.stdout.write(
            f"{result.student} / {result.notebook}: {result.outcome} in {result.seconds:.0f} s"
            f" — {counts}\n"
        )
        sys.stdout.flush()

    try:
        results = grade_submissions(
            args.submissions,
            args.output,
            time_limit=args.time_limit,
            jobs=args.jobs,
            progress=progress,
        )
    except ValueError as err:
        parser.exit(2, f"error: {err}\n")
    csv_path = write_csv(results, args.output / "grades.csv")
    html_path = write_html(results, args.output / "summary.html")
    sys.stdout.write(f"\n{text_table(results)}\n\nwrote {csv_path} and {html_path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
