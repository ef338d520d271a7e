from __future__ import annotations

import pytest

from spanbert_lab.course.exercises.quiz import Question, quiz


def make():
    return quiz(
        "Check yourself",
        (
            "Why divide by √d_k?",
            [
                ("To keep score variance near 1", True, "Var(q·k) = d_k."),
                ("Speed", False, "It costs time."),
            ],
        ),
    )


def test_every_option_renders_with_its_explanation():
    q = make()
    html = q._repr_html_()
    assert html.count("<details>") == 2 and "Var(q·k) = d_k." in html and "It costs time." in html
    assert q.answer(1, "a").startswith("Correct") and q.answer(1, "B").startswith("Not quite")
    assert "1. Why divide by √d_k?" in repr(q)


def test_bad_quizzes_and_answers_are_rejected():
    with pytest.raises(ValueError, match="no correct option"):
        quiz("x", ("p", [("a", False, "w"), ("b", False, "w")]))
    with pytest.raises(ValueError, match="explain itself"):
        quiz("x", ("p", [("a", True, " "), ("b", False, "w")]))
    with pytest.raises(ValueError, match="at least two"):
        Question("p", ())
    with pytest.raises(ValueError, match=r"options a\.\.b"):
        make().answer(1, "c")
    with pytest.raises(ValueError, match="between 1 and 1"):
        make().answer(2, "a")
