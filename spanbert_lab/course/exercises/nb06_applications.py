"""Exercises of notebook 06 (what SpanBERT is for)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from spanbert_lab.course.exercises.core import CheckFailed, Exercise, expect
from spanbert_lab.tasks.relations import RelationExample, relation_scores

_NS = {"torch": torch, "math": math}

# --- 1. typed entity markers -----------------------------------------------------------------------

_MARK_CASES = [
    ("Ada Lunn was born in Brackwater.", (0, 8, "PER"), (21, 31, "LOC")),
    ("Brackwater was where Ada Lunn was born.", (21, 29, "PER"), (0, 10, "LOC")),
    ("The Hollin Bank, founded by Tam Orr, is based in Sethby.", (4, 15, "ORG"), (28, 35, "PER")),
    ("Kel Aster married Ruth Pell in Ostby.", (0, 9, "PER"), (18, 27, "PER")),
]


def _check_mark(fn: Callable[..., object], _seed: int) -> None:
    for text, subj, obj in _MARK_CASES:
        want = RelationExample(text, subj, obj, "birthplace").marked()
        got = fn(text, subj, obj)
        expect(
            isinstance(got, str), f"return the marked sentence as a str, got {type(got).__name__}"
        )
        if got == want:
            continue
        for role, (s, e, t) in (("SUBJ", subj), ("OBJ", obj)):
            expect(
                f"[{role}-{t}]" in got,
                f"in {text!r} the {role.lower()} should become the typed marker [{role}-<TYPE>]",
            )
            expect(
                text[s:e] not in got,
                f"in {text!r} the {role.lower()} mention's words should be replaced, not kept",
            )
        raise CheckFailed(
            f"for {text!r} the rest of the sentence is damaged — replace the later mention first "
            "so that the earlier offsets stay valid"
        )


mark_entities = Exercise(
    key="06.1",
    title="subject and object replaced by typed markers",
    answer_name="mark_entities",
    checker=_check_mark,
    hints=(
        "A mention is (start, end, type) in characters; the marker is e.g. `[SUBJ-PER]`.",
        "Replacing the first mention changes the length of the text, so the second mention's "
        "offsets move. Replace the mention that starts *later* first.",
    ),
    wrong_solutions=(
        # left to right: the second replacement uses stale offsets
        "def mark_entities(text, subj, obj):\n"
        "    for (s, e, t), role in sorted([(subj, 'SUBJ'), (obj, 'OBJ')], key=lambda m: m[0][0]):\n"
        "        text = text[:s] + f'[{role}-{t}]' + text[e:]\n"
        "    return text",
        # markers inserted around the mention, words kept (a different recipe)
        "def mark_entities(text, subj, obj):\n"
        "    for (s, e, t), role in sorted([(subj, 'SUBJ'), (obj, 'OBJ')], key=lambda m: -m[0][0]):\n"
        "        text = text[:s] + f'[{role}-{t}] ' + text[s:e] + text[e:]\n"
        "    return text",
        # untyped markers
        "def mark_entities(text, subj, obj):\n"
        "    for (s, e, t), role in sorted([(subj, 'SUBJ'), (obj, 'OBJ')], key=lambda m: -m[0][0]):\n"
        "        text = text[:s] + f'[{role}]' + text[e:]\n"
        "    return text",
    ),
    namespace=_NS,
)

# --- 2. macro-F1 over the relations ----------------------------------------------------------------

_F1_CASES = [
    (
        ["birthplace", "employer", "no_relation", "birthplace", "spouse"],
        ["birthplace", "no_relation", "no_relation", "employer", "spouse"],
    ),
    (
        ["hq", "hq", "no_relation", "no_relation", "founder"],
        ["hq", "no_relation", "hq", "no_relation", "founder"],
    ),
    (
        ["school", "no_relation", "school", "residence"],
        ["school", "school", "no_relation", "residence"],
    ),
    (["spouse", "parent", "no_relation"], ["no_relation", "no_relation", "no_relation"]),
    # a relation predicted that gold never has: not one of the averaged relations
    (["birthplace", "spouse", "no_relation"], ["birthplace", "employer", "no_relation"]),
]


def _check_macro_f1(fn: Callable[..., object], _seed: int) -> None:
    for gold, pred in _F1_CASES:
        want = relation_scores(gold, pred)["macro_f1"]
        got = fn(list(gold), list(pred))
        try:
            value = float(got)
        except (TypeError, ValueError):
            raise CheckFailed(f"return a number, got {type(got).__name__}") from None
        if not math.isclose(value, want, abs_tol=1e-9):
            raise CheckFailed(
                f"for gold {gold} and predictions {pred} your macro-F1 is {value:.4f}, which is "
                "not right: average the per-relation F1 over the relations in gold, leaving "
                "no_relation out"
            )


macro_f1 = Exercise(
    key="06.2",
    title="macro-F1 over the relations, without no_relation",
    answer_name="macro_f1",
    checker=_check_macro_f1,
    hints=(
        "For each relation r (not `no_relation`) that occurs in gold: precision = "
        "correct r / predicted r, recall = correct r / gold r, F1 = 2PR/(P+R) (0 when P+R = 0).",
        "Macro: the plain mean of those F1 values — each relation counts the same, however rare.",
    ),
    wrong_solutions=(
        # no_relation averaged in as a class
        "def macro_f1(gold, pred):\n"
        "    f1s = []\n"
        "    for rel in sorted(set(gold)):\n"
        "        tp = sum(g == p == rel for g, p in zip(gold, pred))\n"
        "        n_pred, n_gold = sum(p == rel for p in pred), sum(g == rel for g in gold)\n"
        "        prec, rec = (tp / n_pred if n_pred else 0.0), tp / n_gold\n"
        "        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)\n"
        "    return sum(f1s) / len(f1s)",
        # plain accuracy
        "def macro_f1(gold, pred):\n    return sum(g == p for g, p in zip(gold, pred)) / len(gold)",
        # micro-F1 (TACRED's official score) instead of macro
        "def macro_f1(gold, pred):\n"
        "    ok = sum(g == p != 'no_relation' for g, p in zip(gold, pred))\n"
        "    guessed = sum(p != 'no_relation' for p in pred)\n"
        "    real = sum(g != 'no_relation' for g in gold)\n"
        "    p, r = (ok / guessed if guessed else 0.0), (ok / real if real else 0.0)\n"
        "    return 2 * p * r / (p + r) if p + r else 0.0",
    ),
    namespace=_NS,
)

# --- 3. reciprocal rank ----------------------------------------------------------------------------

_RR_CASES = [
    ([0.9, 0.1, 0.5, 0.3], {2}),
    ([0.2, 0.8, 0.7, 0.1, 0.05], {3, 2}),
    ([0.4, 0.3, 0.2], {0}),
    ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], {0, 1}),
    ([0.3, 0.2, 0.1], set()),  # no relevant passage: 0 (it adds nothing to the mean)
]


def _rr_reference(scores: list[float], relevant: set[int]) -> float:
    if not relevant:
        return 0.0
    best = max(scores[i] for i in relevant)
    return 1.0 / (1 + sum(s > best for i, s in enumerate(scores) if i not in relevant))


def _check_rr(fn: Callable[..., object], _seed: int) -> None:
    for scores, relevant in _RR_CASES:
        want = _rr_reference(scores, relevant)
        got = fn(torch.tensor(scores), set(relevant))
        try:
            value = float(got)
        except (TypeError, ValueError):
            raise CheckFailed(f"return a number, got {type(got).__name__}") from None
        if not relevant:
            expect(value == 0.0, f"with no relevant passage the reciprocal rank is 0; you returned {value:.4g}")  # fmt: skip
            continue
        expect(0 < value <= 1, f"a reciprocal rank lies in (0, 1]; you returned {value:.4g}")
        if not math.isclose(value, want, abs_tol=1e-9):
            raise CheckFailed(
                f"for scores {scores} and relevant passages {sorted(relevant)} your reciprocal "
                f"rank {value:.4g} is not right: rank 1 is the best-scoring passage, and the "
                "*first* relevant passage in that order counts"
            )


reciprocal_rank = Exercise(
    key="06.3",
    title="the reciprocal rank of the first relevant passage",
    answer_name="reciprocal_rank",
    checker=_check_rr,
    hints=(
        "Sort passages by score, highest first; ranks start at 1.",
        "Find the first position whose passage is relevant; return 1 / that rank. "
        "MRR is the mean of this over queries.",
        "No relevant passage at all (an empty `relevant`): return 0.0.",
    ),
    wrong_solutions=(
        # ranks counted from 0 (and 1/0 avoided by +1 in the wrong place)
        "def reciprocal_rank(scores, relevant):\n"
        "    order = torch.argsort(scores, descending=True).tolist()\n"
        "    for rank, p in enumerate(order):\n"
        "        if p in relevant:\n"
        "            return 1.0 / (rank + 2)",
        # ascending sort (lowest score first)
        "def reciprocal_rank(scores, relevant):\n"
        "    order = torch.argsort(scores).tolist()\n"
        "    for rank, p in enumerate(order, start=1):\n"
        "        if p in relevant:\n"
        "            return 1.0 / rank",
        # the last relevant passage instead of the first
        "def reciprocal_rank(scores, relevant):\n"
        "    order = torch.argsort(scores, descending=True).tolist()\n"
        "    return 1.0 / max(order.index(p) + 1 for p in relevant)",
        # no return when nothing is relevant (None)
        "def reciprocal_rank(scores, relevant):\n"
        "    order = torch.argsort(scores, descending=True).tolist()\n"
        "    for rank, p in enumerate(order, start=1):\n"
        "        if p in relevant:\n"
        "            return 1.0 / rank",
    ),
    namespace=_NS,
)
