"""The check that runs inside the learner's kernel, through the public Exercise API.

The grader does not trust the notebook's own ``check()`` cells (a learner may delete or edit them):
it looks the answer up by ``Exercise.answer_name`` in the kernel's namespace and calls
``Exercise.check`` itself, returning a JSON verdict that the worker reads back.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Any

from spanbert_lab.course.exercises import CheckFailed, Exercise, NotAttempted

MESSAGE_LIMIT = 400  # characters of a checker's or an exception's message kept in the report


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def find_exercise(key: str, module: str) -> Exercise:
    """Exercise ``key`` of the exercises module ``module`` (``spanbert_lab.course.exercises.nb01_…``)."""
    for value in vars(importlib.import_module(module)).values():
        if isinstance(value, Exercise) and value.key == key:
            return value
    raise KeyError(f"no exercise {key!r} in {module}")


def verdict(key: str, module: str, namespace: Mapping[str, Any]) -> dict[str, str]:
    """Check exercise ``key`` (defined in ``module``) against the answer bound in ``namespace``.

    Returns:
        ``{"status": s, "message": m}`` with ``s`` one of ``correct``, ``wrong``,
        ``not attempted``, ``crashed`` or ``missing`` (the answer's name is not bound at all).
    """
    exercise = find_exercise(key, module)
    if exercise.answer_name not in namespace:
        return {"status": "missing", "message": f"`{exercise.answer_name}` is not defined"}
    try:
        exercise.check(namespace[exercise.answer_name])
    except NotAttempted as err:
        return {"status": "not attempted", "message": _short(err)}
    except CheckFailed as err:
        return {"status": "wrong", "message": _short(err)}
    except BaseException as err:  # the learner's code may raise anything, SystemExit included
        if isinstance(err, KeyboardInterrupt):
            raise
        return {"status": "crashed", "message": _short(f"{type(err).__name__}: {err}")}
    return {"status": "correct", "message": ""}


def verdict_line(token: str, key: str, module: str, namespace: Mapping[str, Any]) -> str:
    """``token`` followed by the JSON verdict: the one line the worker looks for in stdout."""
    return token + json.dumps({"key": key, **verdict(key, module, namespace)})
