"""The student edition: valid notebooks, no solution code, exercise cells report "not attempted"."""

from __future__ import annotations

import importlib
import math
import os
import re
from pathlib import Path

import nbformat
import pytest
import torch
from nbclient import NotebookClient

from spanbert_lab.course.exercises import all_exercises
from spanbert_lab.course.exercises.core import NOT_ATTEMPTED_MESSAGE, NotAttempted
from spanbert_lab.tools.student import BEGIN, END, strip_solutions, write_student_edition

ROOT = Path(__file__).resolve().parent.parent


def solution_lines(source: str) -> list[str]:
    lines, inside = [], False
    for line in source.splitlines():
        if BEGIN.match(line):
            inside = True
        elif END.match(line):
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    write_student_edition(ROOT / "notebooks", out)
    return out


def test_strip_solutions_keeps_indentation_and_named_stubs():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n\n### BEGIN SOLUTION: y = ...\ny = 3\n### END SOLUTION\nprint(y)"
    assert (
        strip_solutions(source)
        == "def f(x):\n    ...  # YOUR CODE HERE\n\ny = ...  # YOUR CODE HERE\nprint(y)"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "### BEGIN SOLUTION\nx = 1",
        "x = 1\n### END SOLUTION",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION",
    ],
)
def test_unbalanced_markers_are_errors(bad):
    with pytest.raises(ValueError, match="SOLUTION"):
        strip_solutions(bad, where="nb.ipynb, cell 3")


def test_student_edition_is_valid_and_has_no_solution_code(edition):
    taught = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert {p.name for p in edition.glob("*.ipynb")} == {p.name for p in taught}
    for path in taught:
        original = nbformat.read(path, as_version=4)
        student = nbformat.read(edition / path.name, as_version=4)
        nbformat.validate(student)
        text = "\n".join(c.source for c in student.cells if c.cell_type == "code")
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        for cell in student.cells:
            assert cell.cell_type != "code" or (not cell.outputs and cell.execution_count is None)
        for line in solution_lines(
            "\n".join(c.source for c in original.cells if c.cell_type == "code")
        ):
            assert line not in text, f"{path.name}: solution line leaked: {line!r}"


def test_student_exercise_cells_fail_as_not_attempted(edition):
    """Run the student edition of notebook 01 and look at every exercise cell's error."""
    nb = nbformat.read(edition / "01_attention.ipynb", as_version=4)
    env = dict(os.environ)
    try:
        NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(ROOT / "notebooks")}},
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(env)
    exercise_cells = [
        c for c in nb.cells if c.cell_type == "code" and "# YOUR CODE HERE" in c.source
    ]
    assert len(exercise_cells) >= 3
    for cell in exercise_cells:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors, f"exercise cell ran without complaint:\n{cell.source}"
        assert errors[0].ename == "NotAttempted" and NOT_ATTEMPTED_MESSAGE in errors[0].evalue


EXERCISE_IMPORT = re.compile(r"from spanbert_lab\.course\.exercises import (nb\w+) as (\w+)")


def test_every_exercise_cell_of_every_notebook_is_not_attempted(edition):
    """Each stripped exercise cell, run on its own with its notebook's exercise module, stops with
    "not attempted" — and every exercise of the library appears in some student notebook."""
    checked: set[str] = set()
    for path in sorted(edition.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        modules = {alias: name for name, alias in EXERCISE_IMPORT.findall("\n".join(code))}
        namespace_base = {"torch": torch, "math": math, "F": torch.nn.functional, "nn": torch.nn}
        for alias, name in modules.items():
            namespace_base[alias] = importlib.import_module(f"spanbert_lab.course.exercises.{name}")
        for source in code:
            if "# YOUR CODE HERE" not in source:
                continue
            calls = re.findall(r"\b(\w+)\.(\w+)\.check\(", source)
            assert calls, f"{path.name}: an exercise cell without a check() call:\n{source}"
            with pytest.raises(NotAttempted, match="not attempted"):
                exec(compile(source, f"{path.name}", "exec"), dict(namespace_base))
            for alias, attribute in calls:
                checked.add(getattr(namespace_base[alias], attribute).key)
    built = {p.stem.split("_")[0] for p in edition.glob("*.ipynb")}
    expected = {key for key in all_exercises() if key.split(".")[0] in built}
    assert checked == expected, f"missing: {expected - checked}"
