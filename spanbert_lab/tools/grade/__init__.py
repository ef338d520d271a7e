"""Grade handed-in student notebooks: ``python -m spanbert_lab.tools.grade SUBMISSIONS_DIR``.

Every notebook is executed in its own kernel with a time limit. After each exercise's cell the
grader decides in its own process (:mod:`~spanbert_lab.tools.grade.judge`): the exercise's checker
runs there with a fresh seed, and each time it calls the answer the inputs go to the learner's
kernel, which sends back only the outputs, as data (:mod:`~spanbert_lab.tools.grade.codec`,
:mod:`~spanbert_lab.tools.grade.kernel`). The verdict — *correct*, *wrong* (with the checker's
message), *not attempted*, *crashed*, or *flagged* (right outputs from a call to the library's own
implementation) — goes to ``grades.csv`` and ``summary.html``.
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
