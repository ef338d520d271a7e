"""Write the student edition of the course: taught notebooks with their solutions stripped.

In a taught notebook, solution code sits between two marker lines (nbgrader's idea)::

    ### BEGIN SOLUTION
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    ### END SOLUTION

The student edition replaces each region by a stub at the marker's indentation: ``...`` or, when
the BEGIN line names one (``### BEGIN SOLUTION: answer = ...``), that line. Outputs and execution
counts are cleared, since they would show what the solutions computed.

Usage: ``python -m spanbert_lab.tools.student notebooks build/student``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from spanbert_lab.course.exercises.solutions import BEGIN, END

STUB_COMMENT = "  # YOUR CODE HERE"


def strip_solutions(source: str, *, where: str = "<cell>") -> str:
    """Replace every solution region of ``source`` by its stub.

    Raises:
        ValueError: a region is opened and not closed, closed without being opened, or nested.
    """
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), 1):
        begin = BEGIN.match(line)
        if begin:
            if inside:
                raise ValueError(f"{where}, line {number}: nested BEGIN SOLUTION")
            inside = True
            stub = begin.group("stub") or "..."
            out.append(f"{begin.group('indent')}{stub}{STUB_COMMENT}")
        elif END.match(line):
            if not inside:
                raise ValueError(f"{where}, line {number}: END SOLUTION without BEGIN")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: BEGIN SOLUTION is never closed")
    return "\n".join(out)


def student_notebook(
    nb: nbformat.NotebookNode, *, where: str = "<notebook>"
) -> nbformat.NotebookNode:
    """A copy of ``nb`` with solutions stripped and outputs cleared."""
    copy = nbformat.from_dict(nb)
    for index, cell in enumerate(copy.cells):
        if cell.cell_type != "code":
            continue
        cell.source = strip_solutions(cell.source, where=f"{where}, cell {index}")
        cell.outputs = []
        cell.execution_count = None
    copy.metadata.setdefault("spanbert_lab", {})["edition"] = "student"
    return copy


def write_student_edition(source_dir: Path, output_dir: Path) -> list[Path]:
    """Write the student edition of every notebook in ``source_dir`` to ``output_dir``."""
    notebooks = sorted(Path(source_dir).glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {source_dir}")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        target = output_dir / path.name
        nbformat.write(student_notebook(nb, where=path.name), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of taught notebooks")
    parser.add_argument("output", type=Path, help="folder for the student edition")
    args = parser.parse_args(argv)
    try:
        written = write_student_edition(args.source, args.output)
    except (FileNotFoundError, ValueError) as err:
        parser.exit(2, f"error: {err}\n")
    sys.stdout.write(f"wrote {len(written)} notebooks to {args.output}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
