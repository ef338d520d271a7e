"""Exercises of notebook 05 (fine-tuning for span tasks: SQuAD F1, answer labels, span decoding)."""

from __future__ import annotations

import collections
import re
import string
from collections.abc import Callable

import numpy as np

from spanbert_lab.course.exercises.core import CheckFailed, Exercise, expect
from spanbert_lab.tasks.qa.metric import compute_f1

_NS = {"collections": collections, "re": re, "string": string, "np": np}

# --- 05.3 SQuAD token F1 ------------------------------------------------------------------------

_F1_CASES = [
    ("the Eiffel Tower", "Eiffel Tower!"),
    ("Eiffel Tower in Paris", "Eiffel Tower, Paris"),
    ("x x y", "x x x"),  # multiplicity counts: overlap 2, not 1
    ("New York", "new york city"),
    ("1889", "in 1889 ."),
    ("Zoë", "zoë"),
    ("cat", "dog"),
    ("a b", "the"),  # the prediction normalises to nothing
    ("A.I. research", "AI research"),  # punctuation goes before articles: "a.i." is not "a"
]


def _check_f1(fn: Callable[..., object], _seed: int) -> None:
    for gold, pred in _F1_CASES:
        got = fn(gold, pred)
        try:
            value = float(got)
        except (TypeError, ValueError):
            raise CheckFailed(
                f"token_f1 should return a number, got {type(got).__name__}"
            ) from None
        want = compute_f1(gold, pred, version="1.1")
        expect(
            abs(value - want) < 1e-9,
            f"token_f1({gold!r}, {pred!r}) = {value:.4f} is wrong; check normalisation "
            "(case, punctuation, articles) and that repeated tokens are counted as a multiset",
        )


token_f1 = Exercise(
    key="05.3",
    title="SQuAD token-level F1",
    answer_name="token_f1",
    checker=_check_f1,
    hints=(
        "Normalise both strings first: lowercase, drop string.punctuation, drop a/an/the, split.",
        "The overlap is a multiset intersection: collections.Counter(a) & collections.Counter(b).",
        "Precision = overlap / len(prediction tokens), recall = overlap / len(gold tokens); "
        "return 0 when the overlap is 0.",
    ),
    wrong_solutions=(
        # sets instead of multisets
        """
def token_f1(gold, pred):
    def norm(s):
        s = "".join(c for c in s.lower() if c not in string.punctuation)
        return re.sub(r"\\b(a|an|the)\\b", " ", s).split()
    g, p = norm(gold), norm(pred)
    overlap = len(set(g) & set(p))
    if overlap == 0:
        return 0.0
    return 2 * overlap / (len(p) + len(g))
""",
        # no normalisation at all
        """
def token_f1(gold, pred):
    g, p = gold.split(), pred.split()
    overlap = sum((collections.Counter(g) & collections.Counter(p)).values())
    if overlap == 0:
        return 0.0
    return 2 * overlap / (len(p) + len(g))
""",
    ),
    namespace=_NS,
)

# --- 05.1 character span → token labels ------------------------------------------------------------

# (offsets of one window, None = question/special token), answer [start, end) → labels
_OFFSETS = [None, None, None, (0, 3), (4, 9), (9, 12), (13, 18), (19, 23), None]
_LABEL_CASES = [
    ((4, 12), (4, 5)),  # a word split into two pieces
    ((0, 3), (3, 3)),  # first passage token
    ((19, 23), (7, 7)),  # last passage token
    ((9, 18), (5, 6)),  # starts mid-word
    ((13, 30), (0, 0)),  # runs past the window: [CLS]
    ((4, 13), (4, 5)),  # ends on the space before a token: that token is not in the answer
]


def _check_labels(fn: Callable[..., object], _seed: int) -> None:
    for (start_char, end_char), want in _LABEL_CASES:
        got = fn(list(_OFFSETS), start_char, end_char)
        expect(
            isinstance(got, tuple) and len(got) == 2,
            f"answer_labels should return a (start, end) tuple, got {got!r}",
        )
        expect(
            tuple(int(x) for x in got) == want,
            f"wrong labels for the answer at characters [{start_char}, {end_char}); remember: "
            "the first token ending after the start, the last token starting before the end, "
            "and (0, 0) when the window does not hold the whole answer",
        )


answer_labels = Exercise(
    key="05.1",
    title="training labels from character offsets",
    answer_name="answer_labels",
    checker=_check_labels,
    hints=(
        "Only positions whose offset is not None are passage tokens.",
        "If the first passage token starts after start_char, or the last one ends before "
        "end_char, the answer is not wholly inside: return (0, 0).",
        "Start token: first passage token with offsets[i][1] > start_char; end token: last "
        "passage token with offsets[i][0] < end_char.",
    ),
    wrong_solutions=(
        # never falls back to [CLS]
        """
def answer_labels(offsets, start_char, end_char):
    passage = [i for i, o in enumerate(offsets) if o is not None]
    start = next(i for i in passage if offsets[i][1] > start_char)
    end = max(i for i in passage if offsets[i][0] < end_char)
    return (start, end)
""",
        # exclusive end token (off by one)
        """
def answer_labels(offsets, start_char, end_char):
    passage = [i for i, o in enumerate(offsets) if o is not None]
    if offsets[passage[0]][0] > start_char or offsets[passage[-1]][1] < end_char:
        return (0, 0)
    start = next(i for i in passage if offsets[i][1] > start_char)
    end = next(i for i in reversed(passage) if offsets[i][0] < end_char)
    return (start, end + 1)
""",
    ),
    namespace=_NS,
)

# --- 05.2 best valid span -------------------------------------------------------------------------


def _best_reference(start: np.ndarray, end: np.ndarray, max_len: int) -> tuple[int, int]:
    best, arg = -np.inf, (0, 0)
    for s in range(len(start)):
        for e in range(s, min(len(end), s + max_len)):
            if start[s] + end[e] > best:
                best, arg = start[s] + end[e], (s, e)
    return arg


def _check_best_span(fn: Callable[..., object], seed: int) -> None:
    rng = np.random.default_rng(5 + 1000 * seed)
    cases = [(np.array([0.0, 5, 1, 0]), np.array([6.0, 0, 1, 2]), 3)]  # argmax end before start
    cases.append((np.array([4.0, 0, 0, 0, 0]), np.array([0.0, 0, 0, 0, 5]), 2))  # too long
    cases += [
        (rng.normal(size=12), rng.normal(size=12), int(rng.integers(1, 5))) for _ in range(20)
    ]
    for start, end, max_len in cases:
        got = fn(start.copy(), end.copy(), max_len)
        expect(
            isinstance(got, tuple) and len(got) == 2, f"best_span should return (s, e), got {got!r}"
        )
        s, e = (int(x) for x in got)
        want = _best_reference(start, end, max_len)
        expect(s <= e, f"best_span returned start {s} after end {e}")
        expect(
            e - s + 1 <= max_len, f"best_span returned {e - s + 1} tokens, over the limit {max_len}"
        )
        expect(
            np.isclose(start[s] + end[e], start[want[0]] + end[want[1]]),
            f"best_span's span scores {start[s] + end[e]:.3f}; a valid span scores higher",
        )


best_span = Exercise(
    key="05.2",
    title="the best valid answer span",
    answer_name="best_span",
    checker=_check_best_span,
    hints=(
        "Independent argmaxes of the start and end logits can give end < start.",
        "Score every pair (s, e) with s ≤ e < s + max_len by start[s] + end[e].",
        "A double loop is fine; `np.triu` on the outer sum is the vectorised version.",
    ),
    wrong_solutions=(
        "def best_span(start, end, max_len):\n    return (int(np.argmax(start)), int(np.argmax(end)))",
        """
def best_span(start, end, max_len):
    s = int(np.argmax(start))
    e = s + int(np.argmax(end[s:]))
    return (s, e)
""",
    ),
    namespace=_NS,
)
