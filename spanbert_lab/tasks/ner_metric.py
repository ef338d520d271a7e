"""Entity-level NER scores (the CoNLL / seqeval definition) and classification scores.

An *entity* is a maximal chunk of BIO tags of one type, read as the CoNLL ``conlleval`` script
(and seqeval's default mode) reads it: a chunk starts at ``B-X``, or at ``I-X`` when the previous
tag is ``O`` or of another type (a stray ``I-`` starts an entity rather than being dropped); it
ends before ``O``, before ``B-*`` and before a tag of another type. A predicted entity is correct
only when its type, first and last token all match a gold entity. Scores are micro-averaged over
every entity of every sentence: precision = correct / predicted, recall = correct / gold,
F1 = harmonic mean (0 when nothing is correct).

Classification: accuracy and macro-F1 (the unweighted mean of per-class F1 over the classes that
occur in the gold labels or the predictions).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

__all__ = ["classification_scores", "entity_scores", "get_entities"]


def _split(tag: str) -> tuple[str, str]:
    """``"B-PER"`` → ``("B", "PER")``; ``"O"`` → ``("O", "")``. Raises ValueError otherwise."""
    if tag == "O":
        return "O", ""
    prefix, sep, kind = tag.partition("-")
    if not sep or prefix not in ("B", "I") or not kind:
        raise ValueError(f"{tag!r} is not a BIO tag (expected 'O', 'B-TYPE' or 'I-TYPE')")
    return prefix, kind


def get_entities(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Entities of one BIO sequence as ``(type, first token, last token)`` (inclusive)."""
    entities: list[tuple[str, int, int]] = []
    current: tuple[str, int] | None = None  # (type, start) of the open chunk
    for i, tag in enumerate(tags):
        prefix, kind = _split(tag)
        continues = current is not None and prefix == "I" and kind == current[0]
        if current is not None and not continues:
            entities.append((current[0], current[1], i - 1))
            current = None
        if prefix != "O" and not continues:
            current = (kind, i)
    if current is not None:
        entities.append((current[0], current[1], len(tags) - 1))
    return entities


def entity_scores(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> dict[str, float]:
    """Micro precision, recall and F1 over entities (0–1 scale), plus per-type F1.

    Args:
        gold, predicted: one BIO tag sequence per sentence; sentence lengths must agree.

    Returns:
        ``{"precision", "recall", "f1", "n_gold", "n_predicted", "f1_<TYPE>" ...}``.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    gold_set: set[tuple[int, str, int, int]] = set()
    pred_set: set[tuple[int, str, int, int]] = set()
    for n, (g, p) in enumerate(zip(gold, predicted, strict=True)):
        if len(g) != len(p):
            raise ValueError(f"sentence {n}: {len(g)} gold tags but {len(p)} predicted")
        gold_set.update((n, *e) for e in get_entities(g))
        pred_set.update((n, *e) for e in get_entities(p))
    out = _prf(len(gold_set & pred_set), len(pred_set), len(gold_set))
    out.update({"n_gold": float(len(gold_set)), "n_predicted": float(len(pred_set))})
    for kind in sorted({e[1] for e in gold_set | pred_set}):
        g = {e for e in gold_set if e[1] == kind}
        p = {e for e in pred_set if e[1] == kind}
        out[f"f1_{kind}"] = _prf(len(g & p), len(p), len(g))["f1"]
    return out


def _prf(correct: int, n_pred: int, n_gold: int) -> dict[str, float]:
    precision = correct / n_pred if n_pred else 0.0
    recall = correct / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def classification_scores(gold: Sequence[int], predicted: Sequence[int]) -> dict[str, float]:
    """Accuracy and macro-F1 (0–1 scale) of class predictions."""
    if len(gold) != len(predicted) or not gold:
        raise ValueError(f"need equal, non-zero lengths; got {len(gold)} and {len(predicted)}")
    pairs = Counter(zip(gold, predicted, strict=True))
    classes = sorted(set(gold) | set(predicted))
    f1s = []
    for c in classes:
        tp = pairs[(c, c)]
        n_pred = sum(v for (g, p), v in pairs.items() if p == c)
        n_gold = sum(v for (g, p), v in pairs.items() if g == c)
        f1s.append(_prf(tp, n_pred, n_gold)["f1"])
    accuracy = sum(v for (g, p), v in pairs.items() if g == p) / len(gold)
    return {"accuracy": accuracy, "macro_f1": sum(f1s) / len(f1s)}
