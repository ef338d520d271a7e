"""Which exercises a handed-in notebook holds, and after which cell to check each one.

A notebook's exercises are those of the ``spanbert_lab.course.exercises.nbNN_*`` modules it imports (the
file name's ``NN_`` prefix is the fallback, so a renamed file is still graded). Each exercise is
checked right after its *anchor*: the first cell that calls ``.check(<answer_name>)``, else the
first cell that defines ``<answer_name>``; an exercise with neither is checked at the end. Checking
at the anchor grades what the learner's own check saw, even when a later cell reuses the name.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import pkgutil
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spanbert_lab.course.exercises as exercises_package
from spanbert_lab.course.exercises import Exercise

_IMPORT = re.compile(r"^\s*(?:from|import)\s+[^\n]*\bnb(\d{2}[a-z]?)_\w*", re.MULTILINE)
_FILE_PREFIX = re.compile(r"^(\d{2}[a-z]?)_")
_MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


@dataclass(frozen=True)
class ExercisePlan:
    """One exercise of a notebook: what to check and when.

    Attributes:
        key: the exercise key (``"01.1"``).
        title: the exercise's one-line title.
        answer_name: the name the learner defines.
        anchor: index of the cell after which it is checked; None = at the end of the notebook.
        defining_cells: indices of the code cells that define ``answer_name``.
        module: the ``spanbert_lab.course.exercises`` module holding the exercise.
    """

    key: str
    title: str
    answer_name: str
    anchor: int | None
    defining_cells: tuple[int, ...]
    module: str


def key_order(key: str) -> tuple[tuple[int, str], ...]:
    """Sort key for exercise keys: ``"01.2" < "01.10" < "01b.1" < "02.1"``."""
    return tuple((int(m.group(1)), m.group(2)) for m in re.finditer(r"(\d+)([a-z]*)", key))


def notebook_numbers(cells: Sequence[Any], filename: str) -> list[str]:
    """The notebook numbers (``"01"``, ``"01b"``) whose exercise modules the notebook imports."""
    found: list[str] = []
    for cell in cells:
        if cell.get("cell_type") == "code":
            found.extend(m.group(1) for m in _IMPORT.finditer(cell.get("source", "")))
    if not found and (match := _FILE_PREFIX.match(Path(filename).name)):
        found.append(match.group(1))
    return sorted(set(found))


def exercises_for(numbers: Sequence[str]) -> list[tuple[str, Exercise]]:
    """``(module, exercise)`` for every exercise whose key starts with one of ``numbers``.

    Only the matching ``nbNN_*`` modules are imported, in key order.
    """
    found: dict[str, tuple[str, Exercise]] = {}
    for info in pkgutil.iter_modules(exercises_package.__path__):
        match = re.match(r"nb(\d{2}[a-z]?)_", info.name)
        if not match or match.group(1) not in numbers:
            continue
        module = f"{exercises_package.__name__}.{info.name}"
        for value in vars(importlib.import_module(module)).values():
            if isinstance(value, Exercise):
                found[value.key] = (module, value)
    return [found[key] for key in sorted(found, key=key_order)]


def defined_names(source: str) -> set[str]:
    """Names bound at the top level of a cell (functions, classes, assignments, imports)."""
    try:
        tree = ast.parse(_MAGIC.sub("", source))
    except SyntaxError:
        # A cell the learner left unparsable still "defines" a name it starts a def/assignment of.
        pattern = re.compile(r"^(?:def|class)\s+(\w+)|^(\w+)\s*(?::[^=\n]*)?=(?!=)", re.MULTILINE)
        return {a or b for a, b in pattern.findall(source)}
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def plan_notebook(nb: Any, filename: str) -> list[ExercisePlan]:
    """The exercises of notebook ``nb`` (an nbformat v4 node) with their anchors."""
    cells = list(nb.get("cells", []))
    plans = []
    for module, ex in exercises_for(notebook_numbers(cells, filename)):
        check_call = re.compile(rf"\.check\(\s*{re.escape(ex.answer_name)}\s*[,)]")
        checking = [
            i
            for i, c in enumerate(cells)
            if c.get("cell_type") == "code" and check_call.search(c.get("source", ""))
        ]
        defining = tuple(
            i
            for i, c in enumerate(cells)
            if c.get("cell_type") == "code" and ex.answer_name in defined_names(c.get("source", ""))
        )
        anchor = checking[0] if checking else (defining[0] if defining else None)
        plans.append(ExercisePlan(ex.key, ex.title, ex.answer_name, anchor, defining, module))
    return plans


def plans_to_json(plans: Sequence[ExercisePlan]) -> str:
    """The plans as JSON (the grader hands them to its worker)."""
    return json.dumps([dataclasses.asdict(plan) for plan in plans])


def plans_from_json(text: str) -> list[ExercisePlan]:
    """Inverse of :func:`plans_to_json`."""
    return [
        ExercisePlan(**{**item, "defining_cells": tuple(item["defining_cells"])})
        for item in json.loads(text)
    ]
