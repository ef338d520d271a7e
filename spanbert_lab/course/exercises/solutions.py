"""Where an exercise's solution lives: in its notebook, between solution markers (one source).

In a notebook source (``notebooks/source/NN_name.py``) the code cell of an exercise defines the
answer and calls ``ex.<exercise>.check(<answer_name>)``; its solution code sits between two marker
lines (nbgrader's idea)::

    def scaled_scores(q, k):
        ### BEGIN SOLUTION
        return q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        ### END SOLUTION

The *solution* of the exercise is every top-level statement of that cell holding a solution
region (here the whole ``def``), with the marker lines removed: what :meth:`Exercise.solution`
shows, what the tests run, and what ``tools/student.py`` strips from the student edition. The
exercises modules hold checkers and hints, never a second copy of the solution.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

from spanbert_lab.runtime import repo_root

BEGIN = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION(?::\s*(?P<stub>.+?))?\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
_CELL = re.compile(r"^# %%(?P<rest>.*)$")


def sources_dir() -> Path:
    """The notebook sources of the course checkout."""
    return repo_root() / "notebooks" / "source"


def notebook_source(key: str) -> Path | None:
    """The source file of the notebook that holds exercise ``key`` (``"02.3"`` → ``02_*.py``)."""
    prefix = key.split(".")[0]
    found = sorted(sources_dir().glob(f"{prefix}_*.py"))
    return found[0] if len(found) == 1 else None


def code_cells(text: str) -> list[str]:
    """The code cells of a percent-format notebook source, in order."""
    cells: list[tuple[bool, list[str]]] = [(True, [])]
    for line in text.splitlines():
        match = _CELL.match(line)
        if match:
            cells.append(("[markdown]" not in match.group("rest"), []))
        else:
            cells[-1][1].append(line)
    return ["\n".join(lines) for is_code, lines in cells if is_code]


def exercise_cell(text: str, answer_name: str) -> str | None:
    """The code cell that checks ``answer_name`` (``.check(answer_name)``), if any."""
    call = re.compile(rf"\.check\(\s*{re.escape(answer_name)}\s*\)")
    return next((cell for cell in code_cells(text) if call.search(cell)), None)


def solution_block(cell: str) -> str:
    """The statements of ``cell`` that hold a solution region, marker lines removed, dedented."""
    lines = cell.splitlines()
    markers = [i + 1 for i, line in enumerate(lines) if BEGIN.match(line)]  # 1-based
    chosen: list[tuple[int, int]] = []
    for node in ast.parse(cell).body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        last = node.end_lineno or node.lineno
        if any(first <= m <= last for m in markers):
            chosen.append((first, last))
    if not chosen:
        return ""
    body = lines[chosen[0][0] - 1 : chosen[-1][1]]
    kept = [line for line in body if not (BEGIN.match(line) or END.match(line))]
    return textwrap.dedent("\n".join(kept)).strip()


def notebook_solution(key: str, answer_name: str) -> str:
    """The solution of exercise ``key`` as written in its notebook source.

    Raises:
        LookupError: the notebook source, its exercise cell or its solution block is missing.
    """
    path = notebook_source(key)
    if path is None:
        raise LookupError(f"exercise {key}: no notebook source {key.split('.')[0]}_*.py")
    cell = exercise_cell(path.read_text(encoding="utf-8"), answer_name)
    if cell is None:
        raise LookupError(f"exercise {key}: {path.name} has no cell calling .check({answer_name})")
    code = solution_block(cell)
    if not code:
        raise LookupError(f"exercise {key}: {path.name}'s exercise cell has no solution block")
    return code
