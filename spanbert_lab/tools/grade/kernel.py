"""What runs inside the learner's kernel during grading: call the answer, send back its outputs.

The grader never asks the kernel for a verdict. For each call its checker makes, it writes the
inputs (chosen in the grader's process, from seeds the notebook never saw) to a request file and
runs one line in the kernel that calls :func:`answer_call`. This looks the answer up by name,
applies the exercise's adapter (a class or a module-taking function becomes a function of data),
calls it, and writes back only data: the output, the array and generator arguments after the
call (in-place changes, how far a generator moved), an error's type and message, or "stub". It also lists the calls the answer made
straight into the library (``spanbert_lab`` outside the exercises) or into one of the exercise's
``reference_names``, which the grader reports as *flagged*.

Whatever the notebook rebinds here can only change what the answer outputs; the comparison with
the expected values happens in the grader's process (:mod:`spanbert_lab.tools.grade.judge`).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

import spanbert_lab
from spanbert_lab.course.exercises.core import NotAttempted, is_stub
from spanbert_lab.tools.grade.codec import decode, encode

MESSAGE_LIMIT = 400  # characters of an error's message kept in the report
_LIBRARY = str(Path(spanbert_lab.__file__).resolve().parent)
_ALLOWED = tuple(
    str(Path(_LIBRARY, *part.split("/"))) for part in ("course/exercises", "tools/grade")
)


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def find_exercise(key: str, module: str) -> Any:
    """Exercise ``key`` of the exercises module ``module``."""
    for value in vars(importlib.import_module(module)).values():
        if getattr(value, "key", None) == key and hasattr(value, "checker"):
            return value
    raise KeyError(f"no exercise {key!r} in {module}")


class _LibraryCalls:
    """A profile hook that notes calls into the library made from outside it."""

    def __init__(self, reference_names: tuple[str, ...]) -> None:
        self.names = set(reference_names)
        self.found: list[str] = []

    @staticmethod
    def _in_library(filename: str) -> bool:
        return filename.startswith(_LIBRARY) and not filename.startswith(_ALLOWED)

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            caller = frame.f_back
            if self._in_library(code.co_filename) and (
                caller is None or not caller.f_code.co_filename.startswith(_LIBRARY)
            ):
                module = frame.f_globals.get("__name__", "?")
                self._note(f"{module}.{code.co_qualname}")
            elif code.co_name in self.names and not code.co_filename.startswith(_ALLOWED):
                self._note(f"{frame.f_globals.get('__name__', '?')}.{code.co_qualname}")
        elif event == "c_call" and getattr(arg, "__name__", None) in self.names:
            self._note(f"{getattr(arg, '__module__', None) or 'torch'}.{arg.__name__}")

    def _note(self, name: str) -> None:
        if name not in self.found and len(self.found) < 10:
            self.found.append(name)


def _call_traced(fn: Callable[..., Any], args: list, names: tuple[str, ...]) -> tuple[Any, list]:
    tracer = _LibraryCalls(names)
    previous = sys.getprofile()
    sys.setprofile(tracer)
    try:
        return fn(*args), tracer.found
    finally:
        sys.setprofile(previous)


def reply_for(
    namespace: Mapping[str, Any], name: str, key: str, module: str, request: dict
) -> dict[str, Any]:
    """The reply to one request: ``{"missing"}``, ``{"stub"}``, ``{"error": …}`` or
    ``{"output": …, "args_after": …, "library_calls": […]}`` (all data, see the codec)."""
    if name not in namespace:
        return {"missing": True}
    answer = namespace[name]
    if is_stub(answer):
        return {"stub": True}
    exercise = find_exercise(key, module)
    args = decode(request["args"])
    try:
        fn = exercise.adapter(answer) if exercise.adapter is not None else answer
        output, calls = _call_traced(fn, args, tuple(exercise.reference_names))
    except (NotImplementedError, NotAttempted):
        return {"stub": True}
    except BaseException as err:  # the learner's code may raise anything, SystemExit included
        if isinstance(err, KeyboardInterrupt):
            raise
        error = {"type": type(err).__name__, "message": _short(str(err))}
        return {"error": error}
    if is_stub(output):
        return {"stub": True, "library_calls": calls}
    reply: dict[str, Any] = {"library_calls": calls}
    try:
        reply["output"] = encode(output)
    except TypeError as err:
        reply["error"] = {"type": "Unsupported", "message": f"the answer returned {err}"}
    reply["args_after"] = [encode(a) if _is_array(a) else None for a in args]
    return reply


def _is_array(value: Any) -> bool:
    """Arguments whose state after the call goes back: arrays, and generators (their position)."""
    return type(value).__name__ in ("Tensor", "ndarray", "Generator")


def answer_call(
    namespace: Mapping[str, Any], name: str, key: str, module: str, request: str, reply: str
) -> None:
    """Read the request file, call the answer, write the reply file (run in the kernel)."""
    data = json.loads(Path(request).read_text(encoding="utf-8"))
    Path(reply).write_text(json.dumps(reply_for(namespace, name, key, module, data)), "utf-8")
