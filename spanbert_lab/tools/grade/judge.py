"""The verdict, decided in the grader's own process.

The exercise's checker runs here, with a fresh seed, against a stand-in for the answer
(:class:`RemoteAnswer`): each time the checker calls the answer, the stand-in sends the inputs to
the learner's kernel (through ``call``, see :mod:`spanbert_lab.tools.grade.worker`), waits for the
outputs, decodes them (data only) and hands them to the checker, which compares them with values
it computes itself. The checker, ``CheckFailed`` and torch used for the verdict are the grader's:
nothing the notebook rebinds in its kernel reaches them.
"""

from __future__ import annotations

import builtins
import queue
import secrets
import threading
from collections.abc import Callable
from typing import Any

import torch

from spanbert_lab.course.exercises import CheckFailed, Exercise, NotAttempted
from spanbert_lab.tools.grade.codec import decode, encode
from spanbert_lab.tools.grade.kernel import MESSAGE_LIMIT

KernelCall = Callable[[dict[str, Any]], dict[str, Any]]


class AnswerError(Exception):
    """Raised in the grader for an exception the answer raised in the kernel."""


class _Missing(Exception):
    """The answer's name is not bound in the kernel."""


_ERROR_TYPES: dict[str, type[Exception]] = {}


def _answer_error(kind: str, message: str) -> Exception:
    """An exception the checker can catch as it would the original (a ``RuntimeError`` stays a
    ``RuntimeError``), marked as the answer's own with :class:`AnswerError`."""
    base = getattr(builtins, kind, None)
    if not (isinstance(base, type) and issubclass(base, Exception)) or base is AnswerError:
        base = Exception
    if kind not in _ERROR_TYPES:
        _ERROR_TYPES[kind] = type(kind, (base, AnswerError), {})
    return _ERROR_TYPES[kind](message)


class RemoteAnswer:
    """Stands in for the learner's answer: a call is a round trip to the kernel."""

    def __init__(self, key: str, call: KernelCall) -> None:
        self.key = key
        self.call = call
        self.library_calls: list[str] = []
        self.answered = False  # a stub reply after real outputs is a missing `return`

    def __call__(self, *args: Any) -> Any:
        reply = self.call({"args": encode(list(args))})
        if reply.get("missing"):
            raise _Missing
        self.library_calls += [
            c for c in reply.get("library_calls", []) if c not in self.library_calls
        ]
        if reply.get("stub"):
            if self.answered:
                raise CheckFailed(
                    "the answer returned None for one input after returning values for others: "
                    "is a `return` missing on one path?"
                )
            raise NotAttempted(f"Exercise {self.key}: not attempted yet")
        if "error" in reply:
            error = reply["error"]
            kind, message = str(error.get("type", "Exception")), str(error.get("message", ""))
            if kind == "CheckFailed":  # raised by the exercise's own adapter (a refused module)
                raise CheckFailed(message)
            raise _answer_error(kind, message)
        self.answered = True
        for original, after in zip(args, reply.get("args_after", []), strict=False):
            if after is not None:
                _update(original, decode(after))
        return decode(reply["output"])


def _update(original: Any, after: Any) -> None:
    """Give an argument the state the answer left it in (in place, as if it had run here)."""
    if isinstance(original, torch.Generator) and isinstance(after, torch.Generator):
        original.set_state(after.get_state())  # how many numbers the answer drew
    elif hasattr(original, "shape") and tuple(getattr(after, "shape", ())) == tuple(original.shape):
        original[...] = after  # the answer changed its input in place


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def judge(exercise: Exercise, call: KernelCall, seed: int | None = None) -> dict[str, str]:
    """Check ``exercise`` on the answer reached through ``call``.

    Args:
        exercise: the grader's own exercise object (checker, adapter, reference names).
        call: sends one request to the kernel and returns its reply (run on this thread).
        seed: the checker's seed; None draws a fresh one.

    Returns:
        ``{"status": s, "message": m}``, ``s`` one of ``correct``, ``wrong``, ``not attempted``,
        ``crashed``, ``flagged`` (right outputs, computed by the library's own implementation)
        or ``missing`` (the name is not bound).
    """
    seed = secrets.randbelow(2**31 - 1) + 1 if seed is None else seed
    requests: queue.Queue[tuple[dict, queue.Queue] | None] = queue.Queue()

    def relay(request: dict[str, Any]) -> dict[str, Any]:
        box: queue.Queue[dict[str, Any] | BaseException] = queue.Queue()
        requests.put((request, box))
        reply = box.get()
        if isinstance(reply, BaseException):
            raise reply
        return reply

    answer = RemoteAnswer(exercise.key, relay)
    outcome: dict[str, str] = {}

    def run() -> None:
        try:
            exercise.checker(answer, seed)
            outcome.update(status="correct", message="")
        except _Missing:
            outcome.update(status="missing", message=f"`{exercise.answer_name}` is not defined")
        except NotAttempted as err:
            outcome.update(status="not attempted", message=_short(err))
        except CheckFailed as err:
            message = f"Exercise {exercise.key} ({exercise.answer_name}): {err}"
            outcome.update(status="wrong", message=_short(message))
        except AnswerError as err:
            outcome.update(status="crashed", message=_short(f"{type(err).__name__}: {err}"))
        except Exception as err:  # an output the checker cannot even compare
            message = f"the answer's output could not be checked ({type(err).__name__}: {err})"
            outcome.update(status="wrong", message=_short(message))
        finally:
            requests.put(None)

    thread = threading.Thread(target=run, name=f"judge-{exercise.key}", daemon=True)
    thread.start()
    while (item := requests.get()) is not None:
        request, box = item
        try:
            box.put(call(request))
        except BaseException as err:  # a dead kernel: let the checker stop, then re-raise
            box.put(AnswerError("the kernel stopped"))
            thread.join(timeout=5)
            raise err from None
    thread.join()
    if outcome.get("status") == "correct" and answer.library_calls:
        names = ", ".join(answer.library_calls[:3])
        outcome.update(
            status="flagged",
            message=_short(
                f"right outputs, but not the learner's own work: the answer calls {names}"
            ),
        )
    return outcome
