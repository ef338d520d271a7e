"""Exercises of notebook 02 (masking, three ways).

1. ``length_means`` — the mean span length under truncation and under clipping, computed from the
   distributions (``docs/spanbert-reference.md#span-lengths``).
2. ``merge_spans`` — merging overlapping and touching spans (``#rejection-and-merging``).
3. ``replace_per_span`` — 80/10/10 decided once per span (``#replacement``).
4. ``sample_lengths`` — inverse-CDF sampling of span lengths with an explicit generator, draw for
   draw equal to :func:`~spanbert_lab.masking.sample_span_lengths`.
5. ``span_sampler`` — the whole span-masking algorithm, checked against
   ``mask_batch(scheme="span")`` with the same generator (``#span-masking``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from spanbert_lab.course.exercises.core import (
    CheckFailed,
    Exercise,
    expect,
    expect_close,
)
from spanbert_lab.course.exercises.span_sampler import (
    KEPT,
    MASKED,
    RANDOM,
    SAMPLER_MUTATIONS,
    UNSELECTED,
    SolutionScope,
    check_sampler,
    uniform_pairs,
)
from spanbert_lab.masking import MaskingConfig, sample_span_lengths, span_length_pmf

__all__ = [  # the exercises, and what the notebook uses as ``ex.…`` (fate codes, uniform_pairs)
    "KEPT",
    "MASKED",
    "RANDOM",
    "UNSELECTED",
    "length_means",
    "merge_spans",
    "replace_per_span",
    "sample_lengths",
    "span_sampler",
    "uniform_pairs",
]

_NS = {"torch": torch, "math": math}


def _mean(config: MaskingConfig) -> float:
    pmf = span_length_pmf(config)
    lengths = torch.arange(config.min_span_words, config.max_span_words + 1, dtype=torch.float64)
    return float((lengths * pmf).sum())


def _length_cases(seed: int) -> list[tuple[float, int]]:
    g = torch.Generator().manual_seed(seed)
    drawn = [
        (
            round(0.05 + 0.8 * float(torch.rand(1, generator=g)), 3),
            int(torch.randint(2, 21, (1,), generator=g)),
        )
        for _ in range(2)
    ]
    return [(0.2, 10), (0.5, 4), (0.1, 15), *drawn]


def _check_length_means(fn: Callable[..., Any], seed: int) -> None:
    for p, max_len in _length_cases(seed):
        got = fn(p, max_len)
        expect(
            isinstance(got, tuple | list) and len(got) == 2,
            f"return a pair (truncated mean, clipped mean), not {type(got).__name__}",
        )
        truncated = _mean(MaskingConfig(geometric_p=p, max_span_words=max_len))
        clipped = _mean(MaskingConfig(geometric_p=p, max_span_words=max_len, length_mode="clip"))
        where = f"for p = {p}, max_len = {max_len}"
        expect_close(
            f"the mean of the truncated, renormalised distribution {where}",
            got[0],
            truncated,
            tol=1e-9,
        )
        expect_close(f"the mean of the clipped distribution {where}", got[1], clipped, tol=1e-9)


length_means = Exercise(
    key="02.1",
    title="the mean span length, truncated against clipped",
    answer_name="length_means",
    checker=_check_length_means,
    hints=(
        "Both start from the geometric weights p·(1-p)^(l-1) for l = 1..max_len; those do not sum "
        "to 1 — the missing mass is P(L > max_len).",
        "Truncating renormalises the weights (divide by their sum). Clipping, min(L, max_len), "
        "keeps them and puts the whole tail P(L ≥ max_len) = (1-p)^(max_len-1) on max_len.",
        "A mean is Σ l · P(L = l). Use float64 (`dtype=torch.float64`); return two floats.",
    ),
    wrong_solutions=(
        # the untruncated geometric's mean 1/p, twice
        "def length_means(p, max_len):\n    return 1 / p, 1 / p",
        # truncated without renormalising
        "def length_means(p, max_len):\n"
        "    l = torch.arange(1, max_len + 1, dtype=torch.float64)\n"
        "    w = p * (1 - p) ** (l - 1)\n"
        "    c = w.clone()\n"
        "    c[-1] = (1 - p) ** (max_len - 1)\n"
        "    return float((l * w).sum()), float((l * c).sum())",
        # the two means swapped
        "def length_means(p, max_len):\n"
        "    l = torch.arange(1, max_len + 1, dtype=torch.float64)\n"
        "    w = p * (1 - p) ** (l - 1)\n"
        "    c = w.clone()\n"
        "    c[-1] = (1 - p) ** (max_len - 1)\n"
        "    return float((l * c).sum()), float((l * w / w.sum()).sum())",
        # lengths counted from 0 (an off-by-one in arange)
        "def length_means(p, max_len):\n"
        "    l = torch.arange(max_len, dtype=torch.float64)\n"
        "    w = p * (1 - p) ** l\n"
        "    c = w.clone()\n"
        "    c[-1] = (1 - p) ** (max_len - 1)\n"
        "    return float((l * w / w.sum()).sum()), float((l * c).sum())",
    ),
    namespace=_NS,
    reference_names=("span_length_pmf", "length_cdf"),
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


def _check_merge(fn: Callable[..., Any], _seed: int) -> None:
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


def _replace_reference(
    input_ids: torch.Tensor,
    spans: list[tuple[int, int]],
    u: torch.Tensor,
    mask_id: int,
    random_ids: torch.Tensor,
    mask_prob: float,
    random_prob: float,
) -> torch.Tensor:
    out = input_ids.clone()
    for (start, end), draw in zip(spans, u.tolist(), strict=True):
        if draw < mask_prob:
            out[start:end] = mask_id
        elif draw < mask_prob + random_prob:
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


def _check_replace(fn: Callable[..., Any], seed: int) -> None:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(10, 100, (60,), generator=g)
    random_ids = torch.randint(100, 200, (60,), generator=g)
    spans = [(1, 4), (6, 7), (9, 15), (20, 22), (30, 33), (40, 46), (50, 52)]
    u = torch.tensor([0.05, 0.85, 0.95, 0.79, 0.81, 0.899, 0.91], dtype=torch.float64)
    cases = [(ids, random_ids, spans, u, 0.8, 0.1)]
    cases += [(*_replace_case(1000 * seed + c, 50), 0.8, 0.1) for c in (1, 2, 3)]
    # other splits, as MaskingConfig(mask_prob=…, random_prob=…) allows: no fixed 0.8 / 0.9
    cases += [
        (*_replace_case(1000 * seed + 4, 60), 0.5, 0.3),
        (*_replace_case(1000 * seed + 5, 60), 0.3, 0.6),
    ]
    for case, (ids, random_ids, spans, u, mask_prob, random_prob) in enumerate(cases):
        before = ids.clone()
        got = fn(ids, spans, u, 4, random_ids, mask_prob, random_prob)
        expect(torch.equal(ids, before), "your function changed input_ids in place: work on a copy")
        want = _replace_reference(ids, spans, u, 4, random_ids, mask_prob, random_prob)
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
                f"case {case} (mask_prob = {mask_prob}, random_prob = {random_prob}), span {j} "
                f"of length {e - s} (draw u = {float(u[j]):.3f}) has the wrong tokens: one draw "
                "decides the whole span, and a random span takes random_ids at its own positions",
            )


replace_per_span = Exercise(
    key="02.3",
    title="80/10/10 decided once per span",
    answer_name="replace_per_span",
    checker=_check_replace,
    hints=(
        "Copy the input first (`input_ids.clone()`): never modify the caller's tensor.",
        "Loop over the spans together with their draws `u[j]`.",
        "u is uniform on [0, 1): P(u < a) = a. So u < mask_prob happens with probability "
        "mask_prob — that span becomes [MASK]. Which interval of u has probability random_prob?",
        "mask_prob ≤ u < mask_prob + random_prob → take `random_ids[start:end]`; else leave the "
        "span as it is.",
    ),
    wrong_solutions=(
        # the default split hard-coded: right for 80/10/10 only
        "def replace_per_span(input_ids, spans, u, mask_id, random_ids, mask_prob, random_prob):\n"
        "    out = input_ids.clone()\n"
        "    for (s, e), d in zip(spans, u.tolist()):\n"
        "        if d < 0.8:\n"
        "            out[s:e] = mask_id\n"
        "        elif d < 0.9:\n"
        "            out[s:e] = random_ids[s:e]\n"
        "    return out",
        # the second threshold is random_prob, not mask_prob + random_prob
        "def replace_per_span(input_ids, spans, u, mask_id, random_ids, mask_prob, random_prob):\n"
        "    out = input_ids.clone()\n"
        "    for (s, e), d in zip(spans, u.tolist()):\n"
        "        if d < mask_prob:\n"
        "            out[s:e] = mask_id\n"
        "        elif d < random_prob:\n"
        "            out[s:e] = random_ids[s:e]\n"
        "    return out",
        # thresholds the wrong way round: 10% [MASK], 80% random
        "def replace_per_span(input_ids, spans, u, mask_id, random_ids, mask_prob, random_prob):\n"
        "    out = input_ids.clone()\n"
        "    for (s, e), d in zip(spans, u.tolist()):\n"
        "        if d < random_prob:\n"
        "            out[s:e] = mask_id\n"
        "        elif d < mask_prob + random_prob:\n"
        "            out[s:e] = random_ids[s:e]\n"
        "    return out",
        # only the first token of each span is replaced
        "def replace_per_span(input_ids, spans, u, mask_id, random_ids, mask_prob, random_prob):\n"
        "    out = input_ids.clone()\n"
        "    for (s, e), d in zip(spans, u.tolist()):\n"
        "        if d < mask_prob:\n"
        "            out[s] = mask_id\n"
        "        elif d < mask_prob + random_prob:\n"
        "            out[s] = random_ids[s]\n"
        "    return out",
        # one random token repeated over the whole span
        "def replace_per_span(input_ids, spans, u, mask_id, random_ids, mask_prob, random_prob):\n"
        "    out = input_ids.clone()\n"
        "    for (s, e), d in zip(spans, u.tolist()):\n"
        "        if d < mask_prob:\n"
        "            out[s:e] = mask_id\n"
        "        elif d < mask_prob + random_prob:\n"
        "            out[s:e] = random_ids[s]\n"
        "    return out",
        # modifies the input in place
        "def replace_per_span(input_ids, spans, u, mask_id, random_ids, mask_prob, random_prob):\n"
        "    for (s, e), d in zip(spans, u.tolist()):\n"
        "        if d < mask_prob:\n"
        "            input_ids[s:e] = mask_id\n"
        "        elif d < mask_prob + random_prob:\n"
        "            input_ids[s:e] = random_ids[s:e]\n"
        "    return input_ids",
    ),
    namespace=_NS,
)


# --- 4. inverse-CDF span lengths, with an explicit generator ----------------------------------------


def _check_sample_lengths(fn: Callable[..., Any], seed: int) -> None:
    for case, (n, p, max_len) in enumerate([(1000, 0.2, 10), (7, 0.5, 4), (300, 0.1, 15)]):
        case_seed = 1000 * seed + case
        config = MaskingConfig(geometric_p=p, max_span_words=max_len)
        mine_g = torch.Generator().manual_seed(case_seed)
        ref_g = torch.Generator().manual_seed(case_seed)
        got = fn(n, p, max_len, mine_g)
        want = sample_span_lengths(n, config, generator=ref_g)
        where = f"for n = {n}, p = {p}, max_len = {max_len}"
        expect(isinstance(got, torch.Tensor), f"return a tensor, not {type(got).__name__}")
        expect(tuple(got.shape) == (n,), f"{where} the lengths have shape {tuple(got.shape)}")
        expect(
            not got.dtype.is_floating_point,
            f"{where} the lengths should be integers, not {got.dtype}",
        )
        expect(
            int(got.min()) >= 1 and int(got.max()) <= max_len,
            f"{where} a length lies outside 1..max_len (from {int(got.min())} to {int(got.max())})",
        )
        expect(
            torch.equal(mine_g.get_state(), ref_g.get_state()),
            f"{where} your generator is not where it should be after the call: draw exactly n "
            "float64 uniforms from *the generator you were given* (never the global one)",
        )
        if not torch.equal(got.long(), want):
            wrong = int((got.long() != want).sum())
            raise CheckFailed(
                f"{where} {wrong} of {n} lengths differ from the inverse CDF of your uniforms: "
                "length = 1 + the number of CDF values ≤ u, with the CDF of the truncated pmf"
            )


sample_lengths = Exercise(
    key="02.4",
    title="span lengths by inverse-CDF sampling, from a given generator",
    answer_name="sample_lengths",
    checker=_check_sample_lengths,
    hints=(
        "One uniform per length: `u = torch.rand(n, generator=generator, dtype=torch.float64)`.",
        "The CDF is the cumulative sum of the truncated pmf: `cdf[l-1] = P(L ≤ l)`.",
        "Length = 1 + the number of CDF values ≤ u: `torch.searchsorted(cdf, u, right=True) + 1` "
        "(clamp it to max_len: rounding can leave cdf[-1] a hair below 1).",
    ),
    wrong_solutions=(
        # the global RNG instead of the generator passed in
        "def sample_lengths(n, p, max_len, generator):\n"
        "    w = p * (1 - p) ** torch.arange(max_len, dtype=torch.float64)\n"
        "    cdf = torch.cumsum(w / w.sum(), 0)\n"
        "    u = torch.rand(n, dtype=torch.float64)\n"
        "    return (torch.searchsorted(cdf, u, right=True) + 1).clamp(max=max_len)",
        # off by one: the number of CDF values ≤ u, without the + 1
        "def sample_lengths(n, p, max_len, generator):\n"
        "    w = p * (1 - p) ** torch.arange(max_len, dtype=torch.float64)\n"
        "    cdf = torch.cumsum(w / w.sum(), 0)\n"
        "    u = torch.rand(n, generator=generator, dtype=torch.float64)\n"
        "    return torch.searchsorted(cdf, u, right=True).clamp(min=1, max=max_len)",
        # the clipped distribution's CDF
        "def sample_lengths(n, p, max_len, generator):\n"
        "    w = p * (1 - p) ** torch.arange(max_len, dtype=torch.float64)\n"
        "    cdf = torch.cumsum(w, 0)\n"
        "    cdf[-1] = 1.0\n"
        "    u = torch.rand(n, generator=generator, dtype=torch.float64)\n"
        "    return (torch.searchsorted(cdf, u, right=True) + 1).clamp(max=max_len)",
    ),
    namespace=_NS,
    needs=(length_means,),  # the notebook's solution reuses truncated_pmf from exercise 1
    reference_names=("sample_span_lengths", "length_sampler"),
)


# --- 5. the span sampler (its checker: spanbert_lab/course/exercises/span_sampler.py) ----------------

span_sampler = Exercise(
    key="02.5",
    title="SpanBERT's span sampler, draw for draw",
    answer_name="span_sampler",
    checker=check_sampler,
    hints=(
        "Read draws with `pairs = ex.uniform_pairs(generator, budget)` and `next(pairs)`: each "
        "gives (u_length, u_anchor). Length: 1 + the number of CDF values ≤ u_length, as in "
        "exercise 4. Anchor: `int(u_anchor * n)`, a sub-word position.",
        "Keep `masked` per token. A masked anchor: `continue` (draw again). Otherwise start at "
        "the anchor's word start and take `length` whole words (or up to the end of the block).",
        "Count newly masked tokens one by one and stop the moment the count equals the budget "
        "— even inside a word. Then merge the spans (your `merge_spans`).",
        "Fates: `torch.rand(len(spans), generator=generator, dtype=torch.float64)` after the "
        "spans, one per merged span: < 0.8 → 1, < 0.9 → 2, else 3; unselected tokens stay 0.",
    ),
    mutations=tuple(SAMPLER_MUTATIONS.values()),
    namespace={**_NS, "ex": SolutionScope()},
    needs=(merge_spans,),  # the notebook's solution merges with the learner's merge_spans
    reference_names=("mask_batch", "select_spans"),
)
