"""Exercises of notebook 02 (masking, three ways).

1. ``truncated_pmf`` — the span-length distribution (``docs/spanbert-reference.md#span-lengths``).
2. ``merge_spans`` — merging overlapping and touching spans (``#rejection-and-merging``).
3. ``replace_per_span`` — 80/10/10 decided once per span (``#replacement``).
4. ``span_sampler`` — the whole span-masking algorithm, checked against
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
    expect_tensor_close,
)
from spanbert_lab.course.exercises.span_sampler import (
    KEPT,
    MASKED,
    RANDOM,
    SAMPLER_MUTATIONS,
    SAMPLER_SOLUTION,
    UNSELECTED,
    SolutionScope,
    check_sampler,
    mutate,
    reference_sampler,
    uniform_pairs,
)
from spanbert_lab.masking import (
    MaskingConfig,
    span_length_pmf,
)

__all__ = [  # the exercises, and what the notebook uses as ``ex.…`` (fate codes, uniform_pairs)
    "KEPT",
    "MASKED",
    "RANDOM",
    "UNSELECTED",
    "merge_spans",
    "replace_per_span",
    "span_sampler",
    "truncated_pmf",
    "uniform_pairs",
]

_NS = {"torch": torch, "math": math}


def _check_truncated_pmf(fn: Callable[..., Any]) -> None:
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


def _check_merge(fn: Callable[..., Any]) -> None:
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


def _replace_reference(
    input_ids: torch.Tensor,
    spans: list[tuple[int, int]],
    u: torch.Tensor,
    mask_id: int,
    random_ids: torch.Tensor,
) -> torch.Tensor:
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


def _check_replace(fn: Callable[..., Any]) -> None:
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


# --- 4. the span sampler (its solution and checker: spanbert_lab/course/exercises/span_sampler.py) -----

# names the notebook (``ex.uniform_pairs``, the fate codes) and the tests use
_SAMPLER_SOLUTION, _SAMPLER_MUTATIONS = SAMPLER_SOLUTION, SAMPLER_MUTATIONS
_mutate, _reference_sampler = mutate, reference_sampler

span_sampler = Exercise(
    key="02.4",
    title="SpanBERT's span sampler, draw for draw",
    answer_name="span_sampler",
    checker=check_sampler,
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
    solution_code=SAMPLER_SOLUTION,
    wrong_solutions=tuple(mutate(SAMPLER_SOLUTION, *m) for m in SAMPLER_MUTATIONS.values()),
    namespace={**_NS, "ex": SolutionScope()},
)
