"""Exercises of notebook 02 (masking, three ways).

1. ``truncated_pmf`` — the span-length distribution (``docs/spanbert-reference.md#span-lengths``).
2. ``merge_spans`` — merging overlapping and touching spans (``#rejection-and-merging``).
3. ``replace_per_span`` — 80/10/10 decided once per span (``#replacement``).
4. ``span_sampler`` — the whole span-masking algorithm, checked against
   ``mask_batch(scheme="span")`` with the same generator (``#span-masking``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import torch

from spanbert_lab.exercises.core import (
    NOT_ATTEMPTED_MESSAGE,
    CheckFailed,
    Exercise,
    NotAttempted,
    expect,
    expect_tensor_close,
)
from spanbert_lab.masking import (
    MaskingConfig,
    VocabInfo,
    mask_batch,
    mask_budget,
    span_length_pmf,
)

_NS = {"torch": torch, "math": math}


def _check_truncated_pmf(fn) -> None:
    for p, max_len in [(0.2, 10), (0.5, 4), (0.1, 15)]:
        got = fn(p, max_len)
        expect(isinstance(got, torch.Tensor), f"return a tensor, not {type(got).__name__}")
        want = span_length_pmf(MaskingConfig(geometric_p=p, max_span_words=max_len))
        expect(
            tuple(got.shape) == (max_len,),
            f"for max_len={max_len} the result has shape {tuple(got.shape)}: one entry per length",
        )
        total = float(got.double().sum())
        expect(
            abs(total - 1.0) < 1e-6,
            f"for p={p}, max_len={max_len} the probabilities sum to {total:.4f}, not 1",
        )
        expect_tensor_close(f"P(L = l) for p={p}, max_len={max_len}", got.double(), want, atol=1e-9)


truncated_pmf = Exercise(
    key="02.1",
    title="the truncated geometric span-length distribution",
    answer_name="truncated_pmf",
    checker=_check_truncated_pmf,
    hints=(
        "Start from the geometric weights p·(1-p)^(l-1) for l = 1..max_len.",
        "Truncating keeps only those max_len weights; they no longer sum to 1.",
        "Renormalise: divide by their sum. Use float64 (`dtype=torch.float64`).",
    ),
    solution_code="""
def truncated_pmf(p, max_len):
    lengths = torch.arange(1, max_len + 1, dtype=torch.float64)
    weights = p * (1 - p) ** (lengths - 1)
    return weights / weights.sum()
""",
    wrong_solutions=(
        # no renormalisation
        "def truncated_pmf(p, max_len):\n"
        "    l = torch.arange(1, max_len + 1, dtype=torch.float64)\n"
        "    return p * (1 - p) ** (l - 1)",
        # a clip: the tail mass piled on max_len
        "def truncated_pmf(p, max_len):\n"
        "    l = torch.arange(1, max_len + 1, dtype=torch.float64)\n"
        "    w = p * (1 - p) ** (l - 1)\n"
        "    w[-1] = (1 - p) ** (max_len - 1)\n"
        "    return w",
        # uniform lengths
        "def truncated_pmf(p, max_len):\n"
        "    return torch.full((max_len,), 1.0 / max_len, dtype=torch.float64)",
    ),
    namespace=_NS,
)


_MERGE_CASES = [
    ([(3, 5), (1, 2)], [(1, 2), (3, 5)]),
    ([(1, 3), (3, 6)], [(1, 6)]),
    ([(8, 9), (1, 4), (2, 6), (6, 7)], [(1, 7), (8, 9)]),
    ([(4, 6), (5, 9), (9, 10), (12, 13)], [(4, 10), (12, 13)]),
    ([(3, 9), (5, 6)], [(3, 9)]),  # nested: the inner span must not shrink the outer one
    ([(10, 12), (2, 8), (3, 4), (8, 9), (5, 7)], [(2, 9), (10, 12)]),  # nested, then touching
    ([], []),
]


def _check_merge(fn) -> None:
    for spans, want in _MERGE_CASES:
        got = fn(list(spans))
        expect(
            isinstance(got, list), f"return a list of (start, end) pairs, not {type(got).__name__}"
        )
        got = [tuple(s) for s in got]
        if len(got) != len(want):
            raise CheckFailed(
                f"for {len(spans)} input spans you return {len(got)} spans; "
                "check that overlapping *and* touching spans are merged, and the input order"
            )
        if got != want:
            raise CheckFailed(
                f"for input {spans} the merged spans have the right count but wrong bounds or order"
            )


merge_spans = Exercise(
    key="02.2",
    title="merging overlapping and adjacent spans",
    answer_name="merge_spans",
    checker=_check_merge,
    hints=(
        "Sort the spans by their start first.",
        "Walk through them keeping the last merged span; a span starting at or before its end joins it.",
        "Half-open spans (1, 3) and (3, 6) touch: they must become (1, 6).",
    ),
    solution_code="""
def merge_spans(spans):
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
""",
    wrong_solutions=(
        # only overlapping spans merged, touching ones kept apart
        "def merge_spans(spans):\n"
        "    merged = []\n"
        "    for s, e in sorted(spans):\n"
        "        if merged and s < merged[-1][1]:\n"
        "            merged[-1] = (merged[-1][0], max(merged[-1][1], e))\n"
        "        else:\n"
        "            merged.append((s, e))\n"
        "    return merged",
        # forgets to sort
        "def merge_spans(spans):\n"
        "    merged = []\n"
        "    for s, e in spans:\n"
        "        if merged and s <= merged[-1][1]:\n"
        "            merged[-1] = (merged[-1][0], max(merged[-1][1], e))\n"
        "        else:\n"
        "            merged.append((s, e))\n"
        "    return merged",
        # forgets max(): a span nested in the previous one cuts it short
        "def merge_spans(spans):\n"
        "    merged = []\n"
        "    for s, e in sorted(spans):\n"
        "        if merged and s <= merged[-1][1]:\n"
        "            merged[-1] = (merged[-1][0], e)\n"
        "        else:\n"
        "            merged.append((s, e))\n"
        "    return merged",
    ),
    namespace=_NS,
)


def _replace_reference(input_ids, spans, u, mask_id, random_ids):
    out = input_ids.clone()
    for (start, end), draw in zip(spans, u.tolist(), strict=True):
        if draw < 0.8:
            out[start:end] = mask_id
        elif draw < 0.9:
            out[start:end] = random_ids[start:end]
    return out


def _replace_case(seed: int, n: int) -> tuple[torch.Tensor, torch.Tensor, list, torch.Tensor]:
    """Random disjoint spans (some one token long) over n tokens, one draw per span, and a
    different random token at every position (so a span must copy its own positions)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(10, 100, (n,), generator=g)
    random_ids = torch.randperm(900, generator=g)[:n] + 100  # distinct per position
    spans, t = [], int(torch.randint(0, 3, (1,), generator=g))
    while t < n - 1:
        length = int(torch.randint(1, 6, (1,), generator=g))
        spans.append((t, min(t + length, n)))
        t = spans[-1][1] + int(torch.randint(1, 4, (1,), generator=g))
    u = torch.rand(len(spans), generator=g, dtype=torch.float64)
    return ids, random_ids, spans, u


def _check_replace(fn) -> None:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(10, 100, (60,), generator=g)
    random_ids = torch.randint(100, 200, (60,), generator=g)
    spans = [(1, 4), (6, 7), (9, 15), (20, 22), (30, 33), (40, 46), (50, 52)]
    u = torch.tensor([0.05, 0.85, 0.95, 0.79, 0.81, 0.899, 0.91], dtype=torch.float64)
    cases = [(ids, random_ids, spans, u)] + [_replace_case(seed, 50) for seed in (1, 2, 3)]
    for case, (ids, random_ids, spans, u) in enumerate(cases):
        before = ids.clone()
        got = fn(ids, spans, u, 4, random_ids)
        expect(torch.equal(ids, before), "your function changed input_ids in place: work on a copy")
        want = _replace_reference(ids, spans, u, 4, random_ids)
        expect(isinstance(got, torch.Tensor), f"return a tensor, not {type(got).__name__}")
        expect(tuple(got.shape) == tuple(want.shape), f"the result has shape {tuple(got.shape)}")
        outside = torch.ones(len(ids), dtype=torch.bool)
        for s, e in spans:
            outside[s:e] = False
        expect(
            torch.equal(got[outside], ids[outside]), "tokens outside every span must stay unchanged"
        )
        for j, (s, e) in enumerate(spans):
            expect(
                torch.equal(got[s:e], want[s:e]),
                f"case {case}, span {j} of length {e - s} (draw u = {float(u[j]):.3f}) has the "
                "wrong tokens: one draw decides the whole span, and a random span takes "
                "random_ids at its own positions",
            )


replace_per_span = Exercise(
    key="02.3",
    title="80/10/10 decided once per span",
    answer_name="replace_per_span",
    checker=_check_replace,
    hints=(
        "Copy the input first (`input_ids.clone()`): never modify the caller's tensor.",
        "Loop over the spans together with their draws `u[j]`.",
        "u < 0.8 → the whole span becomes [MASK]; 0.8 ≤ u < 0.9 → take `random_ids[start:end]`; "
        "else leave the span as it is.",
    ),
    solution_code="""
def replace_per_span(input_ids, spans, u, mask_id, random_ids):
    out = input_ids.clone()
    for (start, end), draw in zip(spans, u.tolist()):
        if draw < 0.8:
            out[start:end] = mask_id
        elif draw < 0.9:
            out[start:end] = random_ids[start:end]
    return out
""",
    wrong_solutions=(
        # thresholds the wrong way round: 10% [MASK], 80% random
        "def replace_per_span(input_ids, spans, u, mask_id, random_ids):\n"
        "    out = input_ids.clone()\n"
        "    for (s, e), d in zip(spans, u.tolist()):\n"
        "        if d < 0.1:\n"
        "            out[s:e] = mask_id\n"
        "        elif d < 0.9:\n"
        "            out[s:e] = random_ids[s:e]\n"
        "    return out",
        # only the first token of each span is replaced
        "def replace_per_span(input_ids, spans, u, mask_id, random_ids):\n"
        "    out = input_ids.clone()\n"
        "    for (s, e), d in zip(spans, u.tolist()):\n"
        "        if d < 0.8:\n"
        "            out[s] = mask_id\n"
        "        elif d < 0.9:\n"
        "            out[s] = random_ids[s]\n"
        "    return out",
        # one random token repeated over the whole span
        "def replace_per_span(input_ids, spans, u, mask_id, random_ids):\n"
        "    out = input_ids.clone()\n"
        "    for (s, e), d in zip(spans, u.tolist()):\n"
        "        if d < 0.8:\n"
        "            out[s:e] = mask_id\n"
        "        elif d < 0.9:\n"
        "            out[s:e] = random_ids[s]\n"
        "    return out",
        # modifies the input in place
        "def replace_per_span(input_ids, spans, u, mask_id, random_ids):\n"
        "    for (s, e), d in zip(spans, u.tolist()):\n"
        "        if d < 0.8:\n"
        "            input_ids[s:e] = mask_id\n"
        "        elif d < 0.9:\n"
        "            input_ids[s:e] = random_ids[s:e]\n"
        "    return input_ids",
    ),
    namespace=_NS,
)


# --- 4. the span sampler -----------------------------------------------------------------------

# fate codes of span_sampler's second result
UNSELECTED, MASKED, RANDOM, KEPT = 0, 1, 2, 3


def uniform_pairs(generator: torch.Generator, budget: int) -> Iterator[tuple[float, float]]:
    """The ``(u_length, u_anchor)`` uniforms of successive span draws, in ``mask_batch``'s order.

    ``mask_batch`` draws uniforms in chunks of ``3 · max(8, budget)`` (float64) and uses them three
    at a time: length, anchor, and a coin that only the entity / noun-phrase schemes read. This
    iterator replays exactly that, so a sampler that reads it draws what the library draws.
    """
    chunk = max(8, budget)
    while True:
        draws = torch.rand(3 * chunk, generator=generator, dtype=torch.float64).tolist()
        for j in range(0, len(draws), 3):
            yield draws[j], draws[j + 1]


_SAMPLER_SOLUTION = """
def span_sampler(n, word_starts, budget, generator, p=0.2, max_words=10):
    # lengths: inverse CDF of the truncated, renormalised geometric on 1..max_words
    weights = [p * (1 - p) ** (l - 1) for l in range(1, max_words + 1)]
    cdf = [sum(weights[: i + 1]) / sum(weights) for i in range(max_words)]
    word_ends = list(word_starts[1:]) + [n]
    word_of = [0] * n  # token -> index of its word
    for w, (a, b) in enumerate(zip(word_starts, word_ends)):
        word_of[a:b] = [w] * (b - a)
    masked = [False] * n
    drawn, count = [], 0
    pairs = ex.uniform_pairs(generator, budget)
    while count < budget:
        u_length, u_anchor = next(pairs)
        length = min(1 + sum(c <= u_length for c in cdf), max_words)
        anchor = min(int(u_anchor * n), n - 1)  # uniform over sub-word positions
        if masked[anchor]:
            continue  # reject a masked anchor: draw length and anchor again
        w = word_of[anchor]  # snap to the start of the anchor's word ...
        start = word_starts[w]
        end = word_ends[min(w + length, len(word_starts)) - 1]  # ... extend by whole words
        for t in range(start, end):
            if not masked[t]:
                masked[t] = True
                count += 1
                if count == budget:  # the budget is exact: stop, even mid-word
                    end = t + 1
                    break  # out of this span; the while loop ends too
        drawn.append((start, end))
    spans = []  # merge overlapping and touching spans
    for s, e in sorted(drawn):
        if spans and s <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], e))
        else:
            spans.append((s, e))
    fate = torch.zeros(n, dtype=torch.long)  # 0 = not selected
    u = torch.rand(len(spans), generator=generator, dtype=torch.float64)  # one draw per span
    for (s, e), draw in zip(spans, u.tolist()):
        fate[s:e] = 1 if draw < 0.8 else 2 if draw < 0.9 else 3  # [MASK] / random / kept
    return spans, fate
"""

# Each wrong sampler differs from the solution in one place (a (old, new) text substitution).
_SAMPLER_MUTATIONS = {
    "per-token fates": (
        """    u = torch.rand(len(spans), generator=generator, dtype=torch.float64)  # one draw per span
    for (s, e), draw in zip(spans, u.tolist()):
        fate[s:e] = 1 if draw < 0.8 else 2 if draw < 0.9 else 3  # [MASK] / random / kept""",
        """    u = torch.rand(count, generator=generator, dtype=torch.float64)  # one draw per token
    chosen = [t for t in range(n) if masked[t]]
    for t, draw in zip(chosen, u.tolist()):
        fate[t] = 1 if draw < 0.8 else 2 if draw < 0.9 else 3""",
    ),
    "clip instead of truncate": (
        "    cdf = [sum(weights[: i + 1]) / sum(weights) for i in range(max_words)]",
        "    cdf = [sum(weights[: i + 1]) for i in range(max_words - 1)] + [1.0]",
    ),
    "sub-word anchors (no snap to the word start)": (
        "        start = word_starts[w]\n",
        "        start = anchor\n",
    ),
    "no rejection of masked anchors": (
        "            continue  # reject a masked anchor: draw length and anchor again",
        "            pass",
    ),
    "budget overshoot (finishes the span)": (
        """                if count == budget:  # the budget is exact: stop, even mid-word
                    end = t + 1
                    break  # out of this span; the while loop ends too""",
        "                pass",
    ),
    "touching spans not merged": (
        "        if spans and s <= spans[-1][1]:",
        "        if spans and s < spans[-1][1]:",
    ),
}


def _mutate(code: str, old: str, new: str) -> str:
    if code.count(old) != 1:
        raise ValueError(f"wrong-sampler substitution does not match exactly once: {old!r}")
    return code.replace(old, new)


def _toy_vocab() -> VocabInfo:
    """A 24-id vocabulary: 0 [PAD], 1 [CLS], 2 [SEP], 3 [MASK], 4..13 word starts, 14..23 ``##``."""
    special = torch.zeros(24, dtype=torch.bool)
    special[:4] = True
    continuation = torch.zeros(24, dtype=torch.bool)
    continuation[14:] = True
    return VocabInfo(24, 3, 0, continuation, special)


def _toy_block(seed: int, n: int) -> tuple[torch.Tensor, list[int]]:
    """``[CLS] n pieces [SEP]``: words of 1–3 pieces; returns the ids and the word starts (0..n-1)."""
    g = torch.Generator().manual_seed(1000 + seed)
    starts, t = [], 0
    while t < n:
        starts.append(t)
        t += int(torch.randint(1, 4, (1,), generator=g))
    pieces = torch.randint(14, 24, (n,), generator=g)
    pieces[starts] = torch.randint(4, 14, (len(starts),), generator=g)
    return torch.cat([torch.tensor([1]), pieces, torch.tensor([2])]), starts


# (seed, n, mask ratio): the paper's 15 %, and a denser 40 % that makes rejections and merges common
_SAMPLER_CASES = [
    *[(seed, n, 0.15) for seed, n in enumerate([20, 37, 64, 126, 126, 9, 100, 126])],
    *[(seed, n, 0.4) for seed, n in enumerate([30, 64, 126, 126], start=8)],
]


def _check_sampler(fn) -> None:
    vocab = _toy_vocab()
    ref_fn = _reference_sampler()
    for case, (seed, n, ratio) in enumerate(_SAMPLER_CASES):
        ids, starts = _toy_block(seed, n)
        budget = mask_budget(n, ratio)
        got = fn(n, list(starts), budget, torch.Generator().manual_seed(seed))
        if not isinstance(got, tuple) or len(got) != 2:
            raise CheckFailed("return a pair (spans, fate)")
        spans, fate = got
        if fate is None or spans is None:
            raise NotAttempted(f"Exercise 02.4: {NOT_ATTEMPTED_MESSAGE}")
        lib = mask_batch(
            ids[None],
            tokenizer=vocab,
            config=MaskingConfig(mask_ratio=ratio, random_token_source="uniform"),
            generator=torch.Generator().manual_seed(seed),
        )
        want = [(s - 1, e - 1) for s, e in lib.spans[0]]  # library positions count [CLS]
        where = f"block {case} (n = {n}, budget = {budget})"
        try:
            spans = [(int(s), int(e)) for s, e in spans]
        except (TypeError, ValueError):
            raise CheckFailed("spans must be a list of (start, end) pairs") from None
        covered = sum(e - s for s, e in spans)
        expect(
            covered == budget,
            f"{where}: your spans cover {covered} tokens; the budget is exact, even mid-word",
        )
        word_start = set(starts)
        expect(
            all(s in word_start for s, _ in spans),
            f"{where}: a span starts in the middle of a word; move the anchor to its word start",
        )
        expect(
            all(s2 > e1 for (_, e1), (s2, _) in itertools.pairwise(spans)),
            f"{where}: two of your spans overlap or touch; merge them",
        )
        if spans != want:
            raise CheckFailed(
                f"{where}: your spans differ from mask_batch's with the same generator "
                f"({len(spans)} vs {len(want)} spans); check the length distribution, the "
                "rejection of masked anchors and the order of the draws"
            )
        expect(
            isinstance(fate, torch.Tensor) and tuple(fate.shape) == (n,),
            f"{where}: fate should be a tensor of shape ({n},)",
        )
        for j, (s, e) in enumerate(spans):
            expect(
                len(set(fate[s:e].tolist())) == 1,
                f"{where}: span {j} mixes fates; SpanBERT draws 80/10/10 once per merged span",
            )
        _, want_fate = ref_fn(n, list(starts), budget, torch.Generator().manual_seed(seed))
        expect(
            bool(((fate == 0) == (want_fate == 0)).all()),
            f"{where}: fate is 0 exactly at the unselected tokens",
        )
        expect(
            torch.equal(fate.long(), want_fate),
            f"{where}: the span fates differ; after the spans, draw one uniform per merged span "
            "from the same generator (< 0.8 → [MASK] 1, < 0.9 → random 2, else kept 3)",
        )


def _reference_sampler():
    scope: dict = {"torch": torch, "math": math, "ex": _ExNamespace()}
    exec(_SAMPLER_SOLUTION, scope)
    return scope["span_sampler"]


class _ExNamespace:
    """What the solution code calls ``ex`` (the notebook imports this module under that name)."""

    uniform_pairs = staticmethod(uniform_pairs)


span_sampler = Exercise(
    key="02.4",
    title="SpanBERT's span sampler, draw for draw",
    answer_name="span_sampler",
    checker=_check_sampler,
    hints=(
        "Read draws with `pairs = ex.uniform_pairs(generator, budget)` and `next(pairs)`: each "
        "gives (u_length, u_anchor). Length: 1 + the number of CDF values ≤ u_length, from "
        "your truncated pmf. Anchor: `int(u_anchor * n)`, a sub-word position.",
        "Keep `masked` per token. A masked anchor: `continue` (draw again). Otherwise start at "
        "the anchor's word start and take `length` whole words (or up to the end of the block).",
        "Count newly masked tokens one by one and stop the moment the count equals the budget "
        "— even inside a word. Then merge the spans (your `merge_spans`).",
        "Fates: `torch.rand(len(spans), generator=generator, dtype=torch.float64)` after the "
        "spans, one per merged span: < 0.8 → 1, < 0.9 → 2, else 3; unselected tokens stay 0.",
    ),
    solution_code=_SAMPLER_SOLUTION,
    wrong_solutions=tuple(_mutate(_SAMPLER_SOLUTION, *m) for m in _SAMPLER_MUTATIONS.values()),
    namespace={**_NS, "ex": _ExNamespace()},
)
