"""Exercise machinery: ``check()``, ``hint()`` and ``solution()`` for every exercise.

An :class:`Exercise` knows the name the learner must define (``answer_name``), a *checker* that
raises :class:`CheckFailed` naming the quantity that is wrong (shape, dtype, a value…) without
revealing the expected answer, a few hints, and at least two wrong solutions that the test-suite
feeds to the checker to prove it can fail. The reference solution is the notebook's solution
block (:mod:`~spanbert_lab.course.exercises.solutions`).

An untouched stub — the value ``...``, ``None``, or a function that returns ``None`` / ``...`` or
raises ``NotImplementedError`` — is reported as *not attempted* (:class:`NotAttempted`), never as
wrong. Both exceptions derive from ``AssertionError`` so that a failed check stops "Run all".
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from spanbert_lab.course.exercises.solutions import notebook_solution

NOT_ATTEMPTED_MESSAGE = (
    "not attempted yet: replace the `...` stub with your code, then run the cell"
)


class CheckFailed(AssertionError):
    """The answer is wrong; the message names the quantity that differs."""


class NotAttempted(AssertionError):
    """The answer is still the stub from the student edition."""


@dataclass(frozen=True)
class Feedback:
    """A short message shown as Markdown in Jupyter and as plain text elsewhere."""

    title: str
    body: str = ""

    def _repr_markdown_(self) -> str:
        return f"**{self.title}**\n\n{self.body}" if self.body else f"**{self.title}**"

    def __repr__(self) -> str:
        return f"{self.title}\n{self.body}".rstrip()


def is_stub(value: Any) -> bool:
    """Whether ``value`` is an untouched placeholder (``...`` or ``None``)."""
    return value is Ellipsis or value is None


@dataclass(frozen=True)
class Exercise:
    """One exercise of a notebook.

    Attributes:
        key: stable id, ``"<notebook>.<n>"`` (e.g. ``"01.1"``).
        title: one line shown on success.
        answer_name: the variable or function the learner defines.
        checker: ``checker(answer, seed)`` raises :class:`CheckFailed` when the answer is wrong.
            It only *calls* the answer, on inputs drawn from ``seed`` (0 in the notebook; the
            grader picks fresh seeds) and on fixed edge cases, and judges what comes back, so
            that the grader can run the answer in the learner's kernel and judge in its own
            process (:mod:`spanbert_lab.tools.grade`). Inputs and outputs are data: tensors,
            numbers, strings, lists, tuples, dicts, numpy arrays, ``torch.Generator``.
        hints: shown one at a time by :meth:`hint`.
        wrong_solutions: code snippets that define ``answer_name`` wrongly (used by the tests).
        mutations: more wrong solutions, as ``(old, new)`` substitutions in the solution.
        namespace: names the solution code may use (``torch``, ``math``…), for :meth:`run_code`.
        needs: earlier exercises whose answers this one's solution calls (run first by
            :meth:`run_code`).
        adapter: turns the answer into the function the checker calls, when the answer is not
            one already (a class, a function of a module): ``adapter(answer)(*data)``. It is
            applied where the answer lives — in the notebook, or in the learner's kernel.
        reference_names: functions that compute the whole answer outright (PyTorch's, the
            library's); the grader flags an answer that calls one.

    The solution itself is not stored here: it is the notebook's solution block
    (:func:`~spanbert_lab.course.exercises.solutions.notebook_solution`).
    """

    key: str
    title: str
    answer_name: str
    checker: Callable[[Any, int], None]
    hints: tuple[str, ...]
    wrong_solutions: tuple[str, ...] = ()
    mutations: tuple[tuple[str, str], ...] = ()
    namespace: Mapping[str, Any] = field(default_factory=dict)
    needs: tuple[Exercise, ...] = ()
    adapter: Callable[[Any], Callable[..., Any]] | None = None
    reference_names: tuple[str, ...] = ()

    @property
    def solution_code(self) -> str:
        """The reference solution: the notebook's solution block (one source)."""
        return notebook_solution(self.key, self.answer_name)

    def check(self, answer: Any, *, seed: int = 0) -> Feedback:
        """Check ``answer``; raise :class:`NotAttempted` or :class:`CheckFailed`, else say so."""
        if is_stub(answer):
            raise NotAttempted(f"Exercise {self.key}: {NOT_ATTEMPTED_MESSAGE}")
        if self.adapter is not None:
            answer = self.adapter(answer)
        if callable(answer) and not isinstance(answer, type):
            answer = _StubDetectingCallable(answer, self.key)
        try:
            self.checker(answer, seed)
        except NotAttempted:
            raise
        except CheckFailed as err:
            raise CheckFailed(f"Exercise {self.key} ({self.answer_name}): {err}") from None
        return Feedback(f"Correct — exercise {self.key}: {self.title}")

    def hint(self, n: int | None = None) -> Feedback:
        """Hint number ``n`` (1-based); all hints when ``n`` is None."""
        if n is None:
            body = "\n".join(f"{i}. {h}" for i, h in enumerate(self.hints, 1))
            return Feedback(f"Hints for exercise {self.key}", body)
        if not 1 <= n <= len(self.hints):
            raise ValueError(f"exercise {self.key} has hints 1..{len(self.hints)}, not {n}")
        return Feedback(f"Hint {n}/{len(self.hints)} for exercise {self.key}", self.hints[n - 1])

    def solution(self) -> Feedback:
        """The reference solution as code: the solution block of the exercise's notebook."""
        try:
            code = self.solution_code
        except LookupError as err:
            return Feedback(f"Solution to exercise {self.key}", f"not available here: {err}")
        return Feedback(f"Solution to exercise {self.key}", f"```python\n{code}\n```")

    def wrong_answers(self) -> tuple[str, ...]:
        """Every wrong solution: the written ones and the solution with each mutation applied."""
        mutated = []
        for old, new in self.mutations:
            code = self.solution_code
            if code.count(old) != 1:
                raise ValueError(
                    f"exercise {self.key}: a mutation does not match the notebook's solution "
                    f"exactly once: {old!r}"
                )
            mutated.append(code.replace(old, new))
        return (*self.wrong_solutions, *mutated)

    def run_code(self, code: str) -> Any:
        """Execute ``code`` in a fresh namespace and return the value it binds to ``answer_name``.

        The solutions of :attr:`needs` run first, as the notebook's earlier cells would.
        """
        scope: dict[str, Any] = dict(self.namespace)
        for earlier in self.needs:
            exec(earlier.solution_code, scope)
        exec(textwrap.dedent(code), scope)
        if self.answer_name not in scope:
            raise KeyError(f"code for exercise {self.key} does not define {self.answer_name!r}")
        return scope[self.answer_name]


class _StubDetectingCallable:
    """Wraps the learner's function: a stub body becomes :class:`NotAttempted`; ``None`` after
    real answers to other inputs is a missing ``return`` on one path (:class:`CheckFailed`)."""

    def __init__(self, fn: Callable[..., Any], key: str) -> None:
        self._fn = fn
        self._key = key
        self._answered = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            result = self._fn(*args, **kwargs)
        except NotImplementedError:
            raise NotAttempted(f"Exercise {self._key}: {NOT_ATTEMPTED_MESSAGE}") from None
        if is_stub(result):
            if self._answered:
                raise CheckFailed(
                    f"your function returned {result!r} for one input after returning values for "
                    "others: is a `return` missing on one path (e.g. when nothing is found)?"
                )
            raise NotAttempted(f"Exercise {self._key}: {NOT_ATTEMPTED_MESSAGE}")
        self._answered = True
        return result


# --- small checker building blocks ---------------------------------------------------------------


def expect(condition: bool, message: str) -> None:
    """Raise :class:`CheckFailed` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def expect_tensor_close(
    name: str, got: Any, want: Any, *, atol: float = 1e-6, rtol: float = 1e-5
) -> None:
    """Compare a tensor answer with the reference: type, shape, dtype, then values.

    The message names the quantity that differs and by how much — never the expected values.
    """

    expect(
        isinstance(got, torch.Tensor), f"{name} should be a torch.Tensor, got {type(got).__name__}"
    )
    expect(
        tuple(got.shape) == tuple(want.shape),
        f"{name} has shape {tuple(got.shape)}; check which dimensions you kept or reduced",
    )
    expect(
        got.dtype.is_floating_point == want.dtype.is_floating_point,
        f"{name} has dtype {got.dtype}; expected a {'floating' if want.dtype.is_floating_point else 'integer'} tensor",
    )
    if not torch.allclose(got.to(want.dtype), want, atol=atol, rtol=rtol, equal_nan=False):
        worst = (got.to(want.dtype) - want).abs().max().item()
        raise CheckFailed(
            f"{name} has the right shape but wrong values (largest error {worst:.3g})"
        )


def expect_close(name: str, got: Any, want: float, *, tol: float = 1e-6) -> None:
    """Compare a number with the reference value, within an absolute tolerance."""
    try:
        value = float(got)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should be a number, got {type(got).__name__}") from None
    expect(abs(value - want) <= tol, f"{name} = {value:.6g} is not right (tolerance {tol:g})")
