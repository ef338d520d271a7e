"""Short end-of-notebook quizzes whose every option explains itself.

A :class:`Quiz` renders as HTML with one collapsible ``<details>`` per option: the learner commits
to an answer, opens it, and reads why it is right or wrong. It needs no kernel and no JavaScript,
so it also works in a static render of the notebook. ``quiz.answer(1, "b")`` gives the same
explanation as text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    """One answer option: its text, whether it is correct, and why."""

    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Question:
    """A question with lettered options; at least one is correct."""

    prompt: str
    options: tuple[Option, ...]

    def __post_init__(self) -> None:
        if len(self.options) < 2:
            raise ValueError(f"question {self.prompt!r} needs at least two options")
        if not any(o.correct for o in self.options):
            raise ValueError(f"question {self.prompt!r} has no correct option")
        if any(not o.why.strip() for o in self.options):
            raise ValueError(f"every option of {self.prompt!r} must explain itself")


@dataclass(frozen=True)
class Quiz:
    """A list of questions, shown as HTML with self-explaining options."""

    title: str
    questions: tuple[Question, ...]

    def answer(self, question: int, letter: str) -> str:
        """The verdict and explanation for option ``letter`` of question ``question`` (1-based)."""
        if not 1 <= question <= len(self.questions):
            raise ValueError(f"choose a question between 1 and {len(self.questions)}")
        options = self.questions[question - 1].options
        index = ord(letter.lower()) - ord("a")
        if not 0 <= index < len(options):
            raise ValueError(
                f"question {question} has options a..{chr(ord('a') + len(options) - 1)}"
            )
        option = options[index]
        return f"{'Correct' if option.correct else 'Not quite'}: {option.why}"

    def _repr_html_(self) -> str:
        parts = [
            f"<h4>{html.escape(self.title)}</h4>",
            "<p><i>Pick an answer, then open it.</i></p>",
        ]
        for number, question in enumerate(self.questions, 1):
            parts.append(
                f"<p><b>{number}. {html.escape(question.prompt)}</b></p><div style='margin-left:1em'>"
            )
            for letter, option in zip("abcdefgh", question.options, strict=False):
                verdict = "✅ Correct" if option.correct else "❌ Not quite"
                parts.append(
                    f"<details><summary>{letter}) {html.escape(option.text)}</summary>"
                    f"<p style='margin-left:1.5em'>{verdict}: {html.escape(option.why)}</p></details>"
                )
            parts.append("</div>")
        return "\n".join(parts)

    def __repr__(self) -> str:
        lines = [self.title]
        for number, question in enumerate(self.questions, 1):
            lines.append(f"{number}. {question.prompt}")
            lines += [
                f"   {letter}) {o.text}"
                for letter, o in zip("abcdefgh", question.options, strict=False)
            ]
        return "\n".join(lines)


def quiz(title: str, *questions: tuple[str, list[tuple[str, bool, str]]]) -> Quiz:
    """Build a quiz from plain tuples: ``(prompt, [(text, correct, why), ...])``."""
    return Quiz(
        title,
        tuple(
            Question(prompt, tuple(Option(*o) for o in options)) for prompt, options in questions
        ),
    )
