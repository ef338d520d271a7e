"""The course's entity-level NER metric (``spanbert_lab.tasks.ner_metric``, the taught version)
equals seqeval's, the library users know, on the same BIO inputs.

seqeval's default mode reads chunks as CoNLL's ``conlleval`` does, which is the definition the
course implements: a stray ``I-X`` after ``O`` or after another type starts an entity. The inputs
are random BIO sequences in which such malformed starts and type changes are frequent, plus the
edge cases (nothing predicted, nothing to find, empty sentences).
"""

from __future__ import annotations

import random

import pytest
from seqeval.metrics.sequence_labeling import get_entities as seqeval_entities
from seqeval.metrics.sequence_labeling import precision_recall_fscore_support

from spanbert_lab.tasks.ner_metric import entity_scores, get_entities

TYPES = ("PER", "ORG", "LOC", "MISC")


def _random_tags(rng: random.Random, length: int) -> list[str]:
    """O half the time; otherwise B- or I- of a random type (so I- often starts an entity)."""
    out = []
    for _ in range(length):
        r = rng.random()
        out.append("O" if r < 0.5 else f"{'B' if r < 0.75 else 'I'}-{rng.choice(TYPES)}")
    return out


def _perturb(rng: random.Random, tags: list[str], p: float) -> list[str]:
    """A prediction: each tag replaced by a random one with probability ``p``."""
    return [_random_tags(rng, 1)[0] if rng.random() < p else t for t in tags]


def _corpus(seed: int) -> tuple[list[list[str]], list[list[str]]]:
    rng = random.Random(seed)
    gold = [_random_tags(rng, rng.randint(0, 14)) for _ in range(rng.randint(1, 25))]
    pred = [_perturb(rng, g, rng.choice((0.0, 0.1, 0.3, 1.0))) for g in gold]
    return gold, pred


def _seqeval(gold: list[list[str]], pred: list[list[str]]) -> dict[str, float]:
    p, r, f, _ = precision_recall_fscore_support(gold, pred, average="micro", zero_division=0)
    out = {"precision": float(p), "recall": float(r), "f1": float(f)}
    kinds = sorted({e[0] for seq in (*gold, *pred) for e in seqeval_entities(seq)})
    if kinds:  # per type, in sorted order of the types found in either
        _, _, per_type, _ = precision_recall_fscore_support(gold, pred, zero_division=0)
        out.update({f"f1_{k}": float(v) for k, v in zip(kinds, per_type, strict=True)})
    return out


@pytest.mark.parametrize("seed", range(40))
def test_entities_equal_seqeval_on_random_bio(seed: int) -> None:
    rng = random.Random(1000 + seed)
    for _ in range(25):
        tags = _random_tags(rng, rng.randint(0, 20))
        assert get_entities(tags) == seqeval_entities(tags), f"tags {tags}"


@pytest.mark.parametrize("seed", range(60))
def test_entity_scores_equal_seqeval_on_random_corpora(seed: int) -> None:
    gold, pred = _corpus(seed)
    ours, theirs = entity_scores(gold, pred), _seqeval(gold, pred)
    for key, want in theirs.items():
        assert ours[key] == pytest.approx(want, abs=1e-12), (
            f"{key}: ours {ours[key]!r}, seqeval {want!r} (seed {seed})"
        )
    extra = {k for k in ours if k.startswith("f1_")} - set(theirs)
    assert not extra, f"per-type F1 for types seqeval does not see: {extra}"


@pytest.mark.parametrize(
    ("gold", "pred"),
    [
        ([["I-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]]),  # a stray I- starts the same entity
        ([["B-PER", "I-ORG", "I-ORG"]], [["B-PER", "B-ORG", "I-ORG"]]),  # a type change splits
        ([["O", "I-LOC", "B-LOC"]], [["O", "B-LOC", "I-LOC"]]),  # different boundaries: no match
        ([["B-PER", "O"], ["I-PER"]], [["B-PER", "O"], ["I-PER"]]),  # no merge across sentences
        ([["B-MISC", "I-MISC"]], [["O", "O"]]),  # nothing predicted
        ([["O", "O"]], [["B-ORG", "I-ORG"]]),  # nothing to find
        ([["O"], []], [["O"], []]),  # no entities at all: every score 0
        ([["I-ORG", "I-LOC", "I-ORG", "B-ORG", "I-ORG"]], [["I-ORG", "I-LOC", "B-ORG", "I-ORG", "I-ORG"]]),
    ],
)  # fmt: skip
def test_entity_scores_equal_seqeval_on_edge_cases(gold, pred) -> None:
    ours, theirs = entity_scores(gold, pred), _seqeval(gold, pred)
    for key, want in theirs.items():
        assert ours[key] == pytest.approx(want, abs=1e-12), (
            f"{key}: ours {ours[key]}, seqeval {want}"
        )


def test_the_random_corpora_exercise_the_malformed_cases() -> None:
    """The comparison above would be weak if stray I- starts or type changes were rare."""
    stray = changes = 0
    for seed in range(60):
        for tags in _corpus(seed)[0]:
            for prev, tag in zip(["O", *tags], tags, strict=False):
                if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
                    stray += 1
                if prev != "O" and tag != "O" and prev[2:] != tag[2:]:
                    changes += 1
    assert stray > 500 and changes > 500, (stray, changes)
