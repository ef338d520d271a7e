"""Entity-level NER F1 (CoNLL / seqeval chunking) and classification scores on hand-made cases."""

from __future__ import annotations

import pytest

from spanbert_lab.tasks.ner_metric import classification_scores, entity_scores, get_entities


@pytest.mark.parametrize(
    ("tags", "entities"),
    [
        (["B-PER", "I-PER", "O", "B-LOC"], [("PER", 0, 1), ("LOC", 3, 3)]),
        (["I-PER", "I-PER", "O"], [("PER", 0, 1)]),  # a stray I- starts an entity
        (["B-PER", "I-LOC"], [("PER", 0, 0), ("LOC", 1, 1)]),  # type change ends it
        (["B-PER", "B-PER"], [("PER", 0, 0), ("PER", 1, 1)]),  # B- always starts a new one
        (["O", "I-LOC", "B-LOC", "I-LOC"], [("LOC", 1, 1), ("LOC", 2, 3)]),
        (["O", "O"], []),
        (["B-MISC", "I-MISC", "I-MISC"], [("MISC", 0, 2)]),  # runs to the end
    ],
)
def test_get_entities(tags, entities) -> None:
    assert get_entities(tags) == entities


def test_entity_scores_need_exact_boundaries_and_type() -> None:
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-LOC", "O"]]
    pred = [["B-PER", "O", "O", "B-LOC"], ["B-PER", "O"]]
    # predicted: PER(0,0) wrong boundary, LOC(3,3) right, PER(0,0) in sentence 2 wrong type
    s = entity_scores(gold, pred)
    assert s["precision"] == pytest.approx(1 / 3) and s["recall"] == pytest.approx(1 / 3)
    assert s["f1"] == pytest.approx(1 / 3)
    assert s["f1_LOC"] == pytest.approx(2 * 0.5 * 1 / 1.5) and s["f1_PER"] == 0.0
    assert entity_scores(gold, gold)["f1"] == 1.0
    assert entity_scores([["O"]], [["O"]])["f1"] == 0.0  # nothing to find: F1 defined as 0


def test_entity_scores_reject_malformed() -> None:
    with pytest.raises(ValueError, match="not a BIO tag"):
        entity_scores([["X-PER"]], [["O"]])
    with pytest.raises(ValueError, match="sentence 0"):
        entity_scores([["O", "O"]], [["O"]])


def test_classification_scores_by_hand() -> None:
    s = classification_scores([0, 0, 1, 2], [0, 1, 1, 1])
    assert s["accuracy"] == 0.5
    # per class F1: 0 → 2/3, 1 → 1/2, 2 → 0
    assert s["macro_f1"] == pytest.approx((2 / 3 + 1 / 2 + 0) / 3)
    with pytest.raises(ValueError):
        classification_scores([], [])
