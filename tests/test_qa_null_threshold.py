"""QA v2.0: the null threshold chosen on dev (notebook 04's rule) and applied to test, from each
question's stored best non-null answer and null-score difference."""

from __future__ import annotations

import math

import pytest

from spanbert_lab.tasks.base import FinetuneConfig
from spanbert_lab.tasks.qa.metric import (
    choose_null_threshold,
    dev_chosen_threshold,
    null_threshold_f1,
    question_scores,
    score_at_threshold,
    squad_evaluate,
)
from spanbert_lab.tasks.qa.spec import with_dev


def squad(rows: list[tuple[str, list[str]]]) -> dict:
    """An official SQuAD JSON object: one question per (id, gold answers); [] = unanswerable."""
    qas = [
        {"id": i, "question": "?", "answers": [{"text": t, "answer_start": 0} for t in golds]}
        for i, golds in rows
    ]
    return {"version": "t", "data": [{"title": "", "paragraphs": [{"context": "c", "qas": qas}]}]}


DEV = squad([("a", ["Oslo"]), ("b", []), ("c", ["red car"]), ("d", [])])
DEV_NULL = {  # best non-null answer and na_score = null − best non-null
    "a": {"answer": "Oslo", "na_score": -1.0},  # right, confident
    "b": {"answer": "Bergen", "na_score": 0.5},  # unanswerable, should abstain
    "c": {"answer": "red", "na_score": 1.0},  # half right (F1 2/3), but above b
    "d": {"answer": "blue", "na_score": 2.0},  # unanswerable
}


def test_the_rule_is_notebook_04s_smallest_best_candidate() -> None:
    # the candidates -inf and the na scores, each scored by hand
    na, impossible, f1 = [-1.0, 0.5, 1.0, 2.0], [False, True, False, True], [1.0, 0.0, 2 / 3, 0.0]
    by_hand = {-math.inf: 2 / 4, -1.0: 3 / 4, 0.5: (1 + 0 + 0 + 1) / 4, 1.0: (1 + 2 / 3 + 1) / 4}
    for t, want in by_hand.items():
        assert null_threshold_f1(t, na, impossible, f1) == pytest.approx(want), t
    assert choose_null_threshold(na, impossible, f1) == -1.0
    # abstaining on everything wins: -inf (the official best_f1_thresh would say 0)
    assert choose_null_threshold([1.0, 2.0], [True, False], [0.0, 0.0]) == -math.inf
    # a tie goes to the smallest threshold
    assert choose_null_threshold([0.0, 1.0], [False, False], [1.0, 0.0]) == 0.0


def test_the_dev_threshold_is_chosen_on_dev_and_applied_to_test() -> None:
    assert dev_chosen_threshold(DEV, DEV_NULL) == -1.0
    test = squad([("x", ["Paris"]), ("y", []), ("z", ["blue"])])
    test_null = {
        "x": {"answer": "Paris", "na_score": -0.5},  # answered at 0, abstains at -1
        "y": {"answer": "Rome", "na_score": -2.0},  # answered at both: wrong
        "z": {"answer": "blue", "na_score": -1.5},  # answered at both: right
    }
    at_dev, per_question = score_at_threshold(test, test_null, -1.0)
    assert per_question == {"x": (0.0, 0.0), "y": (0.0, 0.0), "z": (1.0, 1.0)}
    assert at_dev["f1"] == pytest.approx(100 / 3) and at_dev["exact"] == pytest.approx(100 / 3)
    at_zero, _ = score_at_threshold(test, test_null, 0.0)
    assert at_zero["f1"] == pytest.approx(200 / 3)
    # threshold 0 from the stored scores is what decoding at null_threshold=0 predicted
    decoded = {q: "" if s["na_score"] > 0 else s["answer"] for q, s in test_null.items()}
    assert at_zero == squad_evaluate(test, decoded, version="2.0")
    with pytest.raises(ValueError, match="no null score"):
        dev_chosen_threshold(DEV, {k: v for k, v in DEV_NULL.items() if k != "a"})


def test_with_dev_adds_the_dev_threshold_scores_to_the_test_report() -> None:
    test = squad([("x", ["Paris"]), ("y", [])])
    null = {"x": {"answer": "Paris", "na_score": -0.5}, "y": {"answer": "Rome", "na_score": 0.2}}
    zero = {q: "" if s["na_score"] > 0 else s["answer"] for q, s in null.items()}
    scores = question_scores(test, zero, version="2.0")
    test_report = {
        "metrics": squad_evaluate(test, zero, version="2.0"),
        "null_scores": null,
        "example_scores": {
            "ids": list(scores),
            "columns": ["f1", "exact"],
            "scores": [[f, e] for e, f in scores.values()],
        },
    }
    dev_examples = [
        {"id": "a", "question": "?", "context": "Oslo", "answers": {"text": ["Oslo"], "answer_start": [0]}},
        {"id": "b", "question": "?", "context": "Oslo", "answers": {"text": [], "answer_start": []}},
        {"id": "c", "question": "?", "context": "red", "answers": {"text": ["red car"], "answer_start": [0]}},
        {"id": "d", "question": "?", "context": "Oslo", "answers": {"text": [], "answer_start": []}},
    ]  # fmt: skip
    test_examples = [
        {"id": "x", "question": "?", "context": "Paris", "answers": {"text": ["Paris"], "answer_start": [0]}},
        {"id": "y", "question": "?", "context": "Paris", "answers": {"text": [], "answer_start": []}},
    ]  # fmt: skip
    extra = with_dev(dev_examples, {"null_scores": DEV_NULL}, test_examples, test_report,
                     FinetuneConfig(version="2.0"))  # fmt: skip
    assert extra["metrics"]["dev_null_threshold"] == -1.0
    assert extra["metrics"]["f1@dev_threshold"] == 50.0, "x abstains (-0.5 > -1): wrong; y: right"
    assert extra["example_scores"]["columns"] == ["f1", "exact", "f1@dev_threshold",
                                                  "exact@dev_threshold"]  # fmt: skip
    assert extra["example_scores"]["scores"] == [[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]
    assert with_dev(dev_examples, {}, test_examples, test_report, FinetuneConfig()) == {}
