"""The grader's reports: one CSV row per student × exercise, and a short HTML summary."""

from __future__ import annotations

import csv
import html
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from spanbert_lab.tools.grade.plan import key_order
from spanbert_lab.tools.grade.runner import STATUSES, NotebookResult

CSV_COLUMNS = ("student", "notebook", "exercise", "title", "status", "message", "run")
_SYMBOL = {"correct": "✔", "wrong": "✘", "not attempted": "–", "crashed": "!", "flagged": "⚑"}
_COLOUR = {
    "correct": "#d8f3dc",
    "wrong": "#ffd6d6",
    "not attempted": "#eeeeee",
    "crashed": "#ffe5b4",
    "flagged": "#e0d4f7",
}


def _run_label(result: NotebookResult) -> str:
    return result.outcome if not result.detail else f"{result.outcome}: {result.detail}"


def write_csv(results: Sequence[NotebookResult], path: Path) -> Path:
    """One row per (student, exercise); ``run`` says how the notebook's run ended."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for result in results:
            for row in result.exercises:
                writer.writerow(
                    [
                        row.student,
                        row.notebook,
                        row.key,
                        row.title,
                        row.status,
                        row.message,
                        _run_label(result),
                    ]
                )
    return path


def _students(results: Sequence[NotebookResult]) -> list[str]:
    return list(dict.fromkeys(r.student for r in results))


def _keys(results: Sequence[NotebookResult]) -> list[tuple[str, str]]:
    keys: dict[str, str] = {}
    for result in results:
        for row in result.exercises:
            keys.setdefault(row.key, row.title)
    return sorted(keys.items(), key=lambda kv: key_order(kv[0]))


def write_html(results: Sequence[NotebookResult], path: Path) -> Path:
    """A students × exercises table (hover a cell for the checker's message) and the run notes."""
    keys = _keys(results)
    cells: dict[tuple[str, str], tuple[str, str]] = {}
    notes: list[str] = []
    for result in results:
        for row in result.exercises:
            cells[(row.student, row.key)] = (row.status, row.message)
        if result.outcome not in ("completed", "no exercises"):
            notes.append(f"{result.student} / {result.notebook}: {_run_label(result)}")
    totals = Counter(status for status, _ in cells.values())
    head = "".join(
        f'<th title="{html.escape(title)}">{html.escape(key)}</th>' for key, title in keys
    )
    body = []
    for student in _students(results):
        row_cells = []
        for key, _ in keys:
            status, message = cells.get((student, key), ("", ""))
            if not status:
                row_cells.append("<td></td>")
                continue
            tip = html.escape(f"{status}: {message}" if message else status)
            row_cells.append(
                f'<td style="background:{_COLOUR[status]}" title="{tip}">'
                f"{_SYMBOL[status]} {html.escape(status)}</td>"
            )
        score = sum(cells.get((student, k), ("",))[0] == "correct" for k, _ in keys)
        body.append(
            f"<tr><th>{html.escape(student)}</th>{''.join(row_cells)}"
            f"<td>{score}/{len(keys)}</td></tr>"
        )
    summary = ", ".join(f"{totals[s]} {s}" for s in STATUSES)
    note_list = "".join(f"<li>{html.escape(n)}</li>" for n in notes) or "<li>none</li>"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>spanbert-lab grades</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:4px 8px;text-align:left}}</style></head>
<body><h1>spanbert-lab grades</h1>
<p>{len(_students(results))} students, {len(keys)} exercises: {html.escape(summary)}.
Hover a cell for the checker's message; every message is also in <code>grades.csv</code>.</p>
<table><tr><th>student</th>{head}<th>correct</th></tr>
{chr(10).join(body)}
</table>
<h2>Runs that did not complete</h2><ul>{note_list}</ul>
</body></html>
"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def text_table(results: Sequence[NotebookResult]) -> str:
    """A plain-text students × exercises table for the terminal."""
    keys = [key for key, _ in _keys(results)]
    cells = {(r.student, r.key): r.status for res in results for r in res.exercises}
    students = _students(results)
    width = max([len("student"), *map(len, students)])
    lines = ["student".ljust(width) + "".join(f"  {k:<14}" for k in keys)]
    for student in students:
        statuses = [cells.get((student, k), "") for k in keys]
        lines.append(student.ljust(width) + "".join(f"  {s:<14}" for s in statuses))
    return "\n".join(lines)
