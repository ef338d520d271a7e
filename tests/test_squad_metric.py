"""squad_evaluate against an independent re-statement of the official SQuAD v1.1 / v2.0 scoring.

The reference below is written from the definitions in ``docs/spanbert-reference.md#squad-metric``
in a different style (character loops, explicit counting, a brute-force threshold search), so that a
shared slip is unlikely. Then hand-made cases pin the edge cases with numbers worked out by hand.
"""

from __future__ import annotations

import math
import random

import pytest

from spanbert_lab.tasks.qa.metric import compute_f1, normalize_answer, squad_evaluate

ASCII_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


# --- the independent reference --------------------------------------------------------------------


def ref_normalize(s: str) -> str:
    s = "".join(c for c in s.lower() if c not in ASCII_PUNCT)
    # split into maximal runs of word / non-word characters; a run "a", "an" or "the" is a whole
    # word (that is what the official \\b...\\b pattern matches) and becomes a space
    runs: list[str] = []
    for c in s:
        is_word = c.isalnum() or c == "_"
        if runs and (runs[-1][0].isalnum() or runs[-1][0] == "_") == is_word:
            runs[-1] += c
        else:
            runs.append(c)
    s = "".join(" " if r in ("a", "an", "the") else r for r in runs)
    return " ".join(s.split())


def ref_f1(gold: str, pred: str, v2: bool) -> float:
    g = ref_normalize(gold).split() if gold else []
    p = ref_normalize(pred).split() if pred else []
    if v2 and (len(g) == 0 or len(p) == 0):
        return 1.0 if g == p else 0.0
    remaining = list(g)
    common = 0
    for tok in p:
        if tok in remaining:
            remaining.remove(tok)
            common += 1
    if common == 0:
        return 0.0
    prec, rec = common / len(p), common / len(g)
    return 2 * prec * rec / (prec + rec)


def ref_v1(dataset: dict, preds: dict) -> dict:
    qas = [qa for art in dataset["data"] for par in art["paragraphs"] for qa in par["qas"]]
    em = f1 = 0.0
    for qa in qas:
        if qa["id"] in preds:
            golds = [a["text"] for a in qa["answers"]]
            em += max(float(ref_normalize(g) == ref_normalize(preds[qa["id"]])) for g in golds)
            f1 += max(ref_f1(g, preds[qa["id"]], v2=False) for g in golds)
    return {"exact_match": 100 * em / len(qas), "f1": 100 * f1 / len(qas)}


def ref_v2(dataset: dict, preds: dict, na: dict | None, thresh: float = 1.0) -> dict:
    qas = [qa for art in dataset["data"] for par in art["paragraphs"] for qa in par["qas"]]
    probs = na if na is not None else {k: 0.0 for k in preds}
    em, f1, has = {}, {}, {}
    for qa in qas:
        golds = [a["text"] for a in qa["answers"] if ref_normalize(a["text"]) != ""]
        if not golds:
            golds = [""]
        p = preds[qa["id"]]
        em[qa["id"]] = max(float(ref_normalize(g) == ref_normalize(p)) for g in golds)
        f1[qa["id"]] = max(ref_f1(g, p, v2=True) for g in golds)
        has[qa["id"]] = len(qa["answers"]) > 0

    def final(raw: dict, q: str) -> float:
        return (0.0 if has[q] else 1.0) if probs[q] > thresh else raw[q]

    out: dict = {}
    groups = [("", list(has))]
    groups += [("HasAns_", [q for q in has if has[q]]), ("NoAns_", [q for q in has if not has[q]])]
    for prefix, ids in groups:
        if ids:
            out[prefix + "exact"] = 100 * sum(final(em, q) for q in ids) / len(ids)
            out[prefix + "f1"] = 100 * sum(final(f1, q) for q in ids) / len(ids)
            out[prefix + "total"] = len(ids)
    if na is not None:
        for name, raw in (("exact", em), ("f1", f1)):
            out["best_" + name], out[f"best_{name}_thresh"] = ref_best(raw, preds, probs, has)
    return out


def ref_best(raw: dict, preds: dict, probs: dict, has: dict) -> tuple[float, float]:
    """Brute force: answer exactly the questions with na_prob ≤ t, for every t (distinct probs)."""
    order = sorted(has, key=lambda q: probs[q])
    best_score, best_t = -1.0, 0.0
    for k in range(len(order) + 1):  # k questions answered (prefix of the order)
        answered = set(order[:k])
        score = 0.0
        for q in has:
            if q in answered:
                score += raw[q] if has[q] else float(preds[q] == "")
            else:
                score += 0.0 if has[q] else 1.0
        if score > best_score + 1e-12:
            best_score, best_t = score, (probs[order[k - 1]] if k else 0.0)
    return 100 * best_score / len(has), best_t


# --- random data -----------------------------------------------------------------------------------

VOCAB = [
    "a",
    "an",
    "the",
    "The",
    "A",
    "cat",
    "Cat",
    "dog",
    "café",
    "Café",
    "naïve",
    "1066",
    "über",
    "e.g.",
    "U.S.",
    "—",
    "«x»",
    "(",
    ")",
    "'s",
    ",",
    ".",
    "!",
    "-",
    "the-end",
    "an'",
    "ÿ",
    "東京",
]


def rand_text(rng: random.Random, max_words: int = 6) -> str:
    n = rng.randint(0, max_words)
    seps = [" ", "  ", "\t", "\n", "\u00a0", ""]
    return "".join(rng.choice(VOCAB) + rng.choice(seps) for _ in range(n))


def rand_dataset(rng: random.Random, n: int, *, v2: bool) -> tuple[dict, dict, dict]:
    qas, preds, na = [], {}, {}
    for i in range(n):
        n_gold = 0 if v2 and rng.random() < 0.3 else rng.randint(1, 3)
        answers = [{"text": rand_text(rng), "answer_start": 0} for _ in range(n_gold)]
        qid = f"q{i}"
        qas.append({"id": qid, "question": "?", "answers": answers})
        roll = rng.random()
        if roll < 0.3 and answers:
            preds[qid] = answers[rng.randrange(len(answers))]["text"]  # exact copy
        elif roll < 0.4:
            preds[qid] = ""
        else:
            preds[qid] = rand_text(rng)
        na[qid] = rng.random() * 4 - 2  # distinct with probability 1
    data = {"version": "x", "data": [{"title": "t", "paragraphs": [{"context": "c", "qas": qas}]}]}
    return data, preds, na


def assert_same(got: dict, want: dict) -> None:
    assert list(got) == list(want), f"keys differ: {list(got)} vs {list(want)}"
    for key in want:
        assert math.isclose(got[key], want[key], rel_tol=0, abs_tol=1e-9), (
            f"{key}: got {got[key]!r}, reference {want[key]!r}"
        )


@pytest.mark.parametrize("seed", range(40))
def test_v1_matches_reference_on_random_cases(seed: int) -> None:
    rng = random.Random(seed)
    data, preds, _ = rand_dataset(rng, 30, v2=False)
    for qid in rng.sample(sorted(preds), 3):  # some questions left unanswered
        del preds[qid]
    assert_same(squad_evaluate(data, preds, version="1.1"), ref_v1(data, preds))


@pytest.mark.parametrize("seed", range(40))
def test_v2_matches_reference_on_random_cases(seed: int) -> None:
    rng = random.Random(1000 + seed)
    data, preds, na = rand_dataset(rng, 30, v2=True)
    assert_same(squad_evaluate(data, preds, version="2.0"), ref_v2(data, preds, None))
    assert_same(squad_evaluate(data, preds, version="2.0", na_probs=na), ref_v2(data, preds, na))
    got = squad_evaluate(data, preds, version="2.0", na_probs=na, na_prob_thresh=0.5)
    assert_same(got, ref_v2(data, preds, na, thresh=0.5))


@pytest.mark.parametrize("seed", range(20))
def test_normalisation_matches_reference(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        s = rand_text(rng, 8)
        assert normalize_answer(s) == ref_normalize(s), f"normalising {s!r}"


# --- hand-made cases -------------------------------------------------------------------------------


def one(qid: str, *golds: str) -> dict:
    answers = [{"text": g, "answer_start": 0} for g in golds]
    return {
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {"context": "c", "qas": [{"id": qid, "question": "?", "answers": answers}]}
                ],
            }
        ]
    }


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("The Cat", "cat"),
        ("  a  Cat, the dog!  ", "cat dog"),
        ("theatre", "theatre"),  # articles only as whole words
        ("the-end", "theend"),  # punctuation removed before articles
        ("Café «Zoë»", "café «zoë»"),  # unicode punctuation is not ASCII punctuation: kept
        ("Über\u00a0das\tHaus", "über das haus"),  # any unicode whitespace collapses
        ("A. B. C.", "b c"),  # "a" left alone after removing "." is an article
        ("", ""),
    ],
)
def test_normalize_hand_made(text: str, normal: str) -> None:
    assert normalize_answer(text) == normal


def test_articles_punctuation_and_several_golds() -> None:
    data = one("q", "the Eiffel Tower", "Eiffel tower in Paris")
    assert squad_evaluate(data, {"q": "Eiffel Tower!"}) == {"exact_match": 100.0, "f1": 100.0}
    # pred "eiffel tower paris": vs gold 1 P = 2/3, R = 1, F1 = 0.8; vs gold 2 P = 1, R = 3/4
    res = squad_evaluate(data, {"q": "Eiffel Tower, Paris"})
    assert res["exact_match"] == 0.0
    assert math.isclose(res["f1"], 100 * max(0.8, 2 * 1 * 0.75 / 1.75)), res


def test_bag_of_tokens_counts_multiplicity() -> None:
    # pred "x x y", gold "x y y": overlap = 1 x + 1 y = 2; P = R = 2/3
    assert math.isclose(compute_f1("x y y", "x x y"), 2 / 3)


def test_empty_answers_v1_vs_v2() -> None:
    assert compute_f1("", "", version="1.1") == 0.0
    assert compute_f1("", "", version="2.0") == 1.0
    assert compute_f1("the", "", version="2.0") == 1.0  # "the" normalises to empty
    assert compute_f1("cat", "", version="2.0") == 0.0


def test_v2_unanswerable_and_thresholds() -> None:
    data = {
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": "c",
                        "qas": [
                            {
                                "id": "h1",
                                "question": "?",
                                "answers": [{"text": "blue whale", "answer_start": 0}],
                            },
                            {
                                "id": "h2",
                                "question": "?",
                                "answers": [{"text": "1889", "answer_start": 0}],
                            },
                            {"id": "n1", "question": "?", "answers": []},
                            {"id": "n2", "question": "?", "answers": []},
                        ],
                    }
                ],
            }
        ]
    }
    preds = {"h1": "whale", "h2": "1889", "n1": "", "n2": "Paris"}
    res = squad_evaluate(data, preds, version="2.0")
    # exact: h2 and n1 right; f1: h1 = 2·1·0.5/1.5 = 2/3
    assert res["exact"] == 50.0 and res["total"] == 4
    assert math.isclose(res["f1"], 100 * (2 / 3 + 1 + 1 + 0) / 4)
    assert res["HasAns_exact"] == 50.0 and res["NoAns_exact"] == 50.0
    assert "best_f1" not in res
    na = {"h1": 0.1, "h2": -1.0, "n1": 0.5, "n2": 2.0}
    res = squad_evaluate(data, preds, version="2.0", na_probs=na)
    # n2 (na 2.0 > 1.0) becomes "no answer" → right
    assert res["exact"] == 75.0
    # answer in order h2, h1, n1, n2 starting from "all unanswerable" (score 2):
    # exact: +1 (h2) = 3 at -1.0, +0 (h1), +0 (n1 predicted ""), -1 (n2) → best 3 at -1.0
    # f1: +1 (h2) = 3, +2/3 (h1) = 3 2/3 at 0.1, +0, -1 → best 3 2/3 at 0.1
    assert res["best_exact"] == 75.0 and res["best_exact_thresh"] == -1.0
    assert math.isclose(res["best_f1"], 100 * (3 + 2 / 3) / 4) and res["best_f1_thresh"] == 0.1


def test_malformed_inputs_raise() -> None:
    data = one("q", "x")
    with pytest.raises(ValueError, match="version"):
        squad_evaluate(data, {"q": "x"}, version="3.0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no prediction"):
        squad_evaluate(data, {}, version="2.0")
    with pytest.raises(ValueError, match="na_probs"):
        squad_evaluate(data, {"q": "x"}, version="1.1", na_probs={"q": 0.0})
    with pytest.raises(ValueError, match="na_probs has no entry"):
        squad_evaluate(data, {"q": "x"}, version="2.0", na_probs={})
    with pytest.raises(ValueError, match="official SQuAD JSON"):
        squad_evaluate("nonsense", {"q": "x"})
    # v1.1: a missing prediction scores 0 and still counts
    assert squad_evaluate(one("q", "x"), {}) == {"exact_match": 0.0, "f1": 0.0}


@pytest.mark.parametrize(
    ("golds", "pred", "kind"),
    [
        (["the Eiffel Tower"], "Eiffel tower.", "exact"),
        (["Eiffel Tower"], "the Eiffel Tower in Paris", "too long"),
        (["Eiffel Tower in Paris"], "Tower in", "too short"),
        (["Eiffel Tower in Paris"], "Paris France", "overlap"),
        (["Eiffel Tower"], "Louvre", "no overlap"),
        (["Eiffel Tower"], "", "no answer"),
        (["Louvre", "Eiffel Tower"], "Eiffel Tower top", "too long"),  # closest gold decides
    ],
)
def test_error_kinds(golds: list[str], pred: str, kind: str) -> None:
    from spanbert_lab.tasks.qa.metric import error_kind

    assert error_kind(golds, pred) == kind


def test_error_analysis_by_length() -> None:
    from spanbert_lab.tasks.qa.metric import error_analysis, length_bucket

    assert [length_bucket(t) for t in ("a cat", "x y", "x y z", "v w x y", "u v w x y z")] == [
        "1", "2", "3", "4-5", "6+"]  # fmt: skip
    data = {"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": [
        {"id": "1", "question": "?", "answers": [{"text": "Paris", "answer_start": 0}]},
        {"id": "2", "question": "?", "answers": [{"text": "New York City", "answer_start": 0}]},
        {"id": "3", "question": "?", "answers": []},
    ]}]}]}  # fmt: skip
    out = error_analysis(data, {"1": "Paris", "2": "York City", "3": ""})
    assert out["kinds"] == {"1": "exact", "2": "too short"}
    assert out["counts"]["exact"] == 1 and out["counts"]["too short"] == 1
    assert out["by_length"]["1"] == {"n": 1, "exact": 100.0, "f1": 100.0}
    assert out["by_length"]["3"]["f1"] == pytest.approx(100 * 0.8)
