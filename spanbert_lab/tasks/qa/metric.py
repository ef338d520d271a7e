"""SQuAD evaluation: the official v1.1 and v2.0 definitions, re-implemented from their description.

The scores are those of the official scripts (see ``docs/spanbert-reference.md#squad-metric``),
written out here so the course can read them line by line:

* **normalisation** — lowercase, drop every ASCII punctuation character (``string.punctuation``),
  delete the whole words *a*, *an*, *the*, collapse runs of whitespace;
* **exact match** — 1 when the normalised strings are equal;
* **F1** — over the *bag* of normalised whitespace tokens (multiset overlap), precision =
  overlap / |prediction|, recall = overlap / |gold|;
* each question takes the **maximum over its gold answers**; corpus scores are means × 100.

The two official scripts differ in small, visible ways, all reproduced here:

* v1.1: an empty side gives F1 0 (no overlap); a question without a prediction scores 0 and still
  counts in the total; keys ``exact_match`` and ``f1``.
* v2.0: gold answers that normalise to ``""`` are dropped (none left → the gold is ``""``); F1 is 1
  when both sides are empty and 0 when only one is; a question is predicted *unanswerable* when its
  no-answer probability is above ``na_prob_thresh`` (1.0, so never, unless ``na_probs`` say so);
  keys ``exact``, ``f1``, ``total``, ``HasAns_*``, ``NoAns_*`` and, when ``na_probs`` are given, the
  best thresholds ``best_exact``, ``best_exact_thresh``, ``best_f1``, ``best_f1_thresh`` (tuned on
  the very set being scored — an optimistic number, and the course says so).

Reference: Rajpurkar et al., SQuAD (EMNLP 2016) and SQuAD 2.0 (ACL 2018).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

__all__ = [
    "ERROR_KINDS",
    "LENGTH_BUCKETS",
    "choose_null_threshold",
    "compute_exact",
    "compute_f1",
    "dev_chosen_threshold",
    "error_analysis",
    "error_kind",
    "get_tokens",
    "length_bucket",
    "normalize_answer",
    "null_threshold_f1",
    "question_scores",
    "score_at_threshold",
    "squad_evaluate",
]

Version = Literal["1.1", "2.0"]
_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", flags=re.UNICODE)


def normalize_answer(text: str) -> str:
    """Lowercase, remove ASCII punctuation, remove the articles a/an/the, collapse whitespace."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def get_tokens(text: str) -> list[str]:
    """The normalised whitespace tokens of ``text`` (``[]`` for an empty string)."""
    return normalize_answer(text).split() if text else []


def compute_exact(gold: str, prediction: str) -> int:
    """1 when the normalised strings are equal, else 0."""
    return int(normalize_answer(gold) == normalize_answer(prediction))


def compute_f1(gold: str, prediction: str, *, version: Version = "2.0") -> float:
    """Token-level F1 over the bags of normalised tokens.

    With ``version="2.0"`` an empty side gives 1.0 when both are empty and 0.0 otherwise; with
    ``version="1.1"`` any empty side gives 0.0 (there is no overlap to count).
    """
    gold_tokens, pred_tokens = get_tokens(gold), get_tokens(prediction)
    if version == "2.0" and (not gold_tokens or not pred_tokens):
        return float(gold_tokens == pred_tokens)
    overlap = sum((Counter(gold_tokens) & Counter(pred_tokens)).values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(pred_tokens)
    recall = overlap / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def _questions(dataset: Any) -> Iterable[Mapping[str, Any]]:
    """Every ``qa`` record of an official SQuAD JSON object (or of its ``data`` list)."""
    articles = dataset["data"] if isinstance(dataset, Mapping) else dataset
    if not isinstance(articles, list):
        raise ValueError(
            "dataset must be the official SQuAD JSON object {'version', 'data': [...]} or its "
            f"'data' list, got {type(dataset).__name__}"
        )
    for article in articles:
        for paragraph in article["paragraphs"]:
            yield from paragraph["qas"]


def question_scores(
    dataset: Any, predictions: Mapping[str, str], *, version: Version = "1.1"
) -> dict[str, tuple[float, float]]:
    """``{question id: (exact, f1)}`` (0–1) of each question, as :func:`squad_evaluate` counts
    them before averaging (max over the gold answers; v2.0: an unanswerable question's gold is
    ``""``; a question without a prediction scores 0)."""
    if version not in ("1.1", "2.0"):
        raise ValueError(f"version={version!r} is not a SQuAD version; choose '1.1' or '2.0'")
    out: dict[str, tuple[float, float]] = {}
    for qa in _questions(dataset):
        golds = [a["text"] for a in qa["answers"]]
        if version == "2.0":
            golds = [g for g in golds if normalize_answer(g)] or [""]
        prediction = predictions.get(qa["id"])
        if prediction is None:
            out[qa["id"]] = (0.0, 0.0)
            continue
        exact = max(compute_exact(gold, prediction) for gold in golds)
        f1 = max(compute_f1(gold, prediction, version=version) for gold in golds)
        out[qa["id"]] = (float(exact), float(f1))
    return out


def squad_evaluate(
    dataset: Any,
    predictions: Mapping[str, str],
    *,
    version: Version = "1.1",
    na_probs: Mapping[str, float] | None = None,
    na_prob_thresh: float = 1.0,
) -> dict[str, float]:
    """Score ``{question id: answer text}`` against an official SQuAD JSON object.

    Args:
        dataset: the official JSON object ``{"version": ..., "data": [articles]}`` (or its
            ``data`` list); each ``qa`` has ``id`` and ``answers`` (``[{"text", "answer_start"}]``).
        predictions: answer text per question id (``""`` = "no answer", v2.0).
        version: ``"1.1"`` or ``"2.0"`` — which official script to reproduce.
        na_probs: v2.0 only: no-answer score per question id (the official ``--na-prob-file``);
            adds the best-threshold keys. ``None`` = all 0.
        na_prob_thresh: v2.0 only: predict "no answer" when ``na_probs[id] > na_prob_thresh``.

    Returns:
        v1.1: ``{"exact_match", "f1"}``; v2.0: ``{"exact", "f1", "total", "HasAns_exact",
        "HasAns_f1", "HasAns_total", "NoAns_exact", "NoAns_f1", "NoAns_total"}`` (the HasAns/NoAns
        groups only when non-empty) plus ``best_exact``, ``best_exact_thresh``, ``best_f1``,
        ``best_f1_thresh`` when ``na_probs`` are given. Scores are on the 0–100 scale.

    Raises:
        ValueError: unknown version, malformed dataset, ``na_probs`` with v1.1, or (v2.0) a
            question without a prediction or without an ``na_probs`` entry — the official v2.0
            script fails on these too.
    """
    if version == "1.1":
        if na_probs is not None:
            raise ValueError("na_probs only exist for SQuAD 2.0; pass version='2.0'")
        return _evaluate_v1(dataset, predictions)
    if version == "2.0":
        return _evaluate_v2(dataset, predictions, na_probs, na_prob_thresh)
    raise ValueError(f"version={version!r} is not a SQuAD version; choose '1.1' or '2.0'")


def _evaluate_v1(dataset: Any, predictions: Mapping[str, str]) -> dict[str, float]:
    exact = f1 = 0.0
    total = 0
    for qa in _questions(dataset):
        total += 1
        if qa["id"] not in predictions:  # official: "will receive score 0", still counted
            continue
        golds = [answer["text"] for answer in qa["answers"]]
        prediction = predictions[qa["id"]]
        exact += max(compute_exact(gold, prediction) for gold in golds)
        f1 += max(compute_f1(gold, prediction, version="1.1") for gold in golds)
    if total == 0:
        raise ValueError("the dataset holds no questions")
    return {"exact_match": 100.0 * exact / total, "f1": 100.0 * f1 / total}


def _evaluate_v2(
    dataset: Any,
    predictions: Mapping[str, str],
    na_probs: Mapping[str, float] | None,
    na_prob_thresh: float,
) -> dict[str, float]:
    has_answer: dict[str, bool] = {}
    exact_raw: dict[str, float] = {}
    f1_raw: dict[str, float] = {}
    for qa in _questions(dataset):
        qid = qa["id"]
        has_answer[qid] = bool(qa["answers"])
        golds = [a["text"] for a in qa["answers"] if normalize_answer(a["text"])] or [""]
        if qid not in predictions:
            raise ValueError(f"no prediction for question {qid!r} (every id needs one in v2.0)")
        prediction = predictions[qid]
        exact_raw[qid] = float(max(compute_exact(gold, prediction) for gold in golds))
        f1_raw[qid] = max(compute_f1(gold, prediction, version="2.0") for gold in golds)
    if not has_answer:
        raise ValueError("the dataset holds no questions")
    probs = {qid: 0.0 for qid in predictions} if na_probs is None else dict(na_probs)
    missing = [qid for qid in has_answer if qid not in probs]
    if missing:
        raise ValueError(
            f"na_probs has no entry for {len(missing)} question(s), e.g. {missing[0]!r}"
        )

    def thresholded(raw: dict[str, float]) -> dict[str, float]:
        # above the threshold the question is predicted unanswerable: right iff it has no answer
        return {
            qid: float(not has_answer[qid]) if probs[qid] > na_prob_thresh else score
            for qid, score in raw.items()
        }

    exact, f1 = thresholded(exact_raw), thresholded(f1_raw)
    out: dict[str, float] = _means(exact, f1, list(exact))
    for prefix, wanted in (("HasAns", True), ("NoAns", False)):
        ids = [qid for qid, has in has_answer.items() if has is wanted]
        if ids:
            out.update({f"{prefix}_{k}": v for k, v in _means(exact, f1, ids).items()})
    if na_probs is not None:
        for name, raw in (("exact", exact_raw), ("f1", f1_raw)):
            best, thresh = _best_threshold(predictions, raw, probs, has_answer)
            out[f"best_{name}"] = best
            out[f"best_{name}_thresh"] = thresh
    return out


def _means(exact: dict[str, float], f1: dict[str, float], ids: list[str]) -> dict[str, float]:
    total = len(ids)
    return {
        "exact": 100.0 * sum(exact[q] for q in ids) / total,
        "f1": 100.0 * sum(f1[q] for q in ids) / total,
        "total": total,
    }


def _best_threshold(
    predictions: Mapping[str, str],
    scores: dict[str, float],
    na_probs: Mapping[str, float],
    has_answer: dict[str, bool],
) -> tuple[float, float]:
    """Sweep the threshold over the sorted no-answer probabilities; return (best score, thresh).

    Start with every question predicted unanswerable (score = number of unanswerable questions),
    then answer them one at a time in order of increasing ``na_probs``: an answerable question
    adds its score, an unanswerable one loses 1 if a non-empty answer was predicted.
    """
    current = best = float(sum(not has for has in has_answer.values()))
    best_thresh = 0.0
    for qid in sorted(na_probs, key=lambda k: na_probs[k]):  # stable: ties keep dict order
        if qid not in scores:
            continue
        if has_answer[qid]:
            current += scores[qid]
        elif predictions[qid]:
            current -= 1
        if current > best:
            best, best_thresh = current, float(na_probs[qid])
    return 100.0 * best / len(scores), best_thresh


# --- the null threshold, chosen on dev (notebook 04, exercise 04.3) -------------------------------


def null_threshold_f1(
    threshold: float,
    na_scores: Sequence[float],
    is_impossible: Sequence[bool],
    answer_f1: Sequence[float],
) -> float:
    """Mean F1 (0–1) at ``threshold``: a question whose ``na_score`` is above it gets ``""``
    (F1 1 when it is unanswerable, else 0); the others keep their best non-null answer's F1."""
    rows = zip(na_scores, is_impossible, answer_f1, strict=True)
    total = sum(float(imp) if na > threshold else float(f1) for na, imp, f1 in rows)
    return total / len(na_scores)


def choose_null_threshold(
    na_scores: Sequence[float], is_impossible: Sequence[bool], answer_f1: Sequence[float]
) -> float:
    """The threshold with the highest :func:`null_threshold_f1`: only ``-inf`` (always abstain)
    and the na scores themselves can differ, and a tie goes to the smallest. Unlike the official
    script's ``best_f1_thresh`` (0 when abstaining on everything wins), the returned value
    reproduces the best score when applied."""
    if not na_scores:
        raise ValueError("choose_null_threshold needs at least one question")
    candidates = [-math.inf, *sorted(float(x) for x in na_scores)]
    scores = [null_threshold_f1(t, na_scores, is_impossible, answer_f1) for t in candidates]
    return candidates[scores.index(max(scores))]


def _has_answer(dataset: Any) -> dict[str, bool]:
    return {
        qa["id"]: any(normalize_answer(a["text"]) for a in qa["answers"])
        for qa in _questions(dataset)
    }


def dev_chosen_threshold(dataset: Any, null_scores: Mapping[str, Mapping[str, Any]]) -> float:
    """:func:`choose_null_threshold` on a split's stored ``null_scores`` (per question id:
    ``{"answer": best non-null text, "na_score": null − best non-null}``) against its gold
    answers (``dataset``: the official SQuAD JSON object).

    Raises:
        ValueError: a question of ``dataset`` has no stored null score.
    """
    has = _has_answer(dataset)
    missing = [q for q in has if q not in null_scores]
    if missing:
        raise ValueError(f"no null score for {len(missing)} question(s), e.g. {missing[0]!r}")
    answers = {q: str(null_scores[q]["answer"]) for q in has}
    f1 = {q: f for q, (_, f) in question_scores(dataset, answers, version="2.0").items()}
    ids = list(has)
    return choose_null_threshold(
        [float(null_scores[q]["na_score"]) for q in ids],
        [not has[q] for q in ids],
        [f1[q] for q in ids],
    )


def score_at_threshold(
    dataset: Any, null_scores: Mapping[str, Mapping[str, Any]], threshold: float
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """SQuAD 2.0 scores when every question abstains (``""``) whose ``na_score`` is above
    ``threshold`` and otherwise gives its best non-null answer: ``({"exact", "f1", ...},
    {id: (exact, f1)})`` (0–100 and 0–1, as :func:`squad_evaluate` and :func:`question_scores`)."""
    predictions = {
        q: "" if float(s["na_score"]) > threshold else str(s["answer"])
        for q, s in null_scores.items()
    }
    metrics = squad_evaluate(dataset, predictions, version="2.0")
    return metrics, question_scores(dataset, predictions, version="2.0")


# --- error analysis on top of the official definitions --------------------------------------------

ERROR_KINDS = ("exact", "too long", "too short", "overlap", "no overlap", "no answer")
LENGTH_BUCKETS = ("1", "2", "3", "4-5", "6+")


def _contains(outer: list[str], inner: list[str]) -> bool:
    n = len(inner)
    return any(outer[i : i + n] == inner for i in range(len(outer) - n + 1))


def error_kind(golds: list[str], prediction: str) -> str:
    """Classify a prediction against its closest gold answer (highest F1), on normalised tokens.

    ``exact`` (EM = 1); ``no answer`` (empty prediction); ``too long`` (the prediction contains
    the gold: a boundary too far out); ``too short`` (the gold contains the prediction);
    ``overlap`` (shares tokens, neither contains the other: a shifted boundary); ``no overlap``.
    """
    golds = [g for g in golds if normalize_answer(g)] or [""]
    if max(compute_exact(g, prediction) for g in golds):
        return "exact"
    if not get_tokens(prediction):
        return "no answer"
    gold = max(golds, key=lambda g: compute_f1(g, prediction))
    g, p = get_tokens(gold), get_tokens(prediction)
    if _contains(p, g):
        return "too long"
    if _contains(g, p):
        return "too short"
    return "overlap" if compute_f1(gold, prediction) > 0 else "no overlap"


def length_bucket(answer: str) -> str:
    """Bucket of an answer's length in normalised words: 1, 2, 3, 4-5, 6+."""
    n = len(get_tokens(answer))
    if n <= 3:
        return LENGTH_BUCKETS[max(n, 1) - 1]  # an empty answer counts as one word
    return "4-5" if n <= 5 else "6+"


def error_analysis(dataset: Any, predictions: Mapping[str, str]) -> dict[str, Any]:
    """Per-question error kinds, counts, and EM / F1 (0–100) by gold answer length.

    Only answerable questions with a prediction are analysed (length needs a gold answer); the
    first gold answer decides the length bucket. Returns ``{"kinds": {id: kind}, "counts":
    {kind: n}, "by_length": {bucket: {"n", "exact", "f1"}}}``.
    """
    kinds: dict[str, str] = {}
    groups: dict[str, list[tuple[float, float]]] = {b: [] for b in LENGTH_BUCKETS}
    for qa in _questions(dataset):
        golds = [a["text"] for a in qa["answers"] if normalize_answer(a["text"])]
        if not golds or qa["id"] not in predictions:
            continue
        pred = predictions[qa["id"]]
        kinds[qa["id"]] = error_kind(golds, pred)
        em = max(compute_exact(g, pred) for g in golds)
        f1 = max(compute_f1(g, pred, version="1.1") for g in golds)
        groups[length_bucket(golds[0])].append((em, f1))
    counts = {k: sum(v == k for v in kinds.values()) for k in ERROR_KINDS}
    by_length = {
        b: {
            "n": len(v),
            "exact": 100 * sum(e for e, _ in v) / len(v),
            "f1": 100 * sum(f for _, f in v) / len(v),
        }
        for b, v in groups.items()
        if v
    }
    return {"kinds": kinds, "counts": counts, "by_length": by_length}
