"""Every exercise: accepts its reference solution, rejects ≥ 2 distinct wrong ones, detects stubs."""

from __future__ import annotations

import pytest

from spanbert_lab.exercises import CheckFailed, NotAttempted, all_exercises
from spanbert_lab.exercises.core import Feedback

EXERCISES = all_exercises()


def test_there_are_exercises_for_the_attention_lesson():
    assert sum(key.startswith("01.") for key in EXERCISES) >= 3


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_reference_solution_is_accepted(key):
    exercise = EXERCISES[key]
    feedback = exercise.check(exercise.run_code(exercise.solution_code))
    assert isinstance(feedback, Feedback) and "Correct" in feedback.title


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_wrong_solutions_are_rejected_with_a_named_quantity(key):
    exercise = EXERCISES[key]
    assert len(set(exercise.wrong_solutions)) >= 2, (
        f"exercise {key} needs ≥ 2 distinct wrong solutions"
    )
    for code in exercise.wrong_solutions:
        with pytest.raises(CheckFailed) as info:
            exercise.check(exercise.run_code(code))
        assert not isinstance(info.value, NotAttempted)
        assert key in str(info.value) and len(str(info.value)) > len(key) + 10


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_stubs_are_not_attempted(key):
    exercise = EXERCISES[key]
    for stub in (..., None, lambda *a, **k: None, lambda *a, **k: ...):
        with pytest.raises(NotAttempted, match="not attempted"):
            exercise.check(stub)

    def raises(*args, **kwargs):
        raise NotImplementedError

    with pytest.raises(NotAttempted):
        exercise.check(raises)


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_hints_and_solution_render(key):
    exercise = EXERCISES[key]
    assert exercise.hints, f"exercise {key} has no hint"
    assert exercise.hint(1).body == exercise.hints[0]
    assert "```python" in exercise.solution()._repr_markdown_()
    assert exercise.answer_name in exercise.solution().body
    with pytest.raises(ValueError, match="hints"):
        exercise.hint(len(exercise.hints) + 1)


def test_failure_message_does_not_reveal_the_answer():
    exercise = EXERCISES["01.4"]
    with pytest.raises(CheckFailed) as info:
        exercise.check(lambda hidden, heads: 1)
    assert str(4 * (768 * 768 + 768)) not in str(info.value)
