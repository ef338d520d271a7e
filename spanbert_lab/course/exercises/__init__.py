"""Exercises with ``check()`` / ``hint()`` / ``solution()``, one module per notebook.

Each notebook imports its own module, e.g. ``from spanbert_lab.course.exercises import nb01_attention as ex``
and then calls ``ex.scaled_scores.check(my_function)``. :func:`all_exercises` collects every
exercise of every module (the test-suite uses it to prove that each checker can fail).
"""

from __future__ import annotations

import importlib
import pkgutil

from spanbert_lab.course.exercises.core import (
    CheckFailed,
    Exercise,
    Feedback,
    NotAttempted,
    expect,
    expect_close,
    expect_tensor_close,
)

__all__ = [
    "CheckFailed",
    "Exercise",
    "Feedback",
    "NotAttempted",
    "all_exercises",
    "expect",
    "expect_close",
    "expect_tensor_close",
]


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of every ``nbNN_*`` module, keyed by ``Exercise.key``."""
    found: dict[str, Exercise] = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("nb"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Exercise):
                if value.key in found and found[value.key] is not value:
                    raise ValueError(f"two exercises share the key {value.key!r}")
                found[value.key] = value
    return found
