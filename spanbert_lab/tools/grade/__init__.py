"""Grade handed-in student notebooks: ``python -m spanbert_lab.tools.grade SUBMISSIONS_DIR``.

Every notebook is executed in its own kernel with a time limit; each exercise is checked through
the public :class:`~spanbert_lab.course.exercises.Exercise` API and reported as *correct*, *wrong* (with
the checker's message), *not attempted* or *crashed*, in ``grades.csv`` and ``summary.html``.
"""

from __future__ import annotations

from spanbert_lab.tools.grade.report import text_table, write_csv, write_html
from spanbert_lab.tools.grade.runner import (
    STATUSES,
    ExerciseResult,
    NotebookResult,
    find_submissions,
    grade_notebook,
    grade_submissions,
)

__all__ = [
    "STATUSES",
    "ExerciseResult",
    "NotebookResult",
    "find_submissions",
    "grade_notebook",
    "grade_submissions",
    "text_table",
    "write_csv",
    "write_html",
]
