"""Exercises of notebook 02 (masking, three ways): spec ``spanbert-facts.md`` §1.2, §1.4, §1.6."""

from __future__ import annotations

import math

import torch

from spanbert_lab.exercises.core import CheckFailed, Exercise, expect, expect_tensor_close
from spanbert_lab.masking import MaskingConfig, span_length_pmf

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


def _check_replace(fn) -> None:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(10, 100, (60,), generator=g)
    random_ids = torch.randint(100, 200, (60,), generator=g)
    spans = [(1, 4), (6, 7), (9, 15), (20, 22), (30, 33), (40, 46), (50, 52)]
    u = torch.tensor([0.05, 0.85, 0.95, 0.79, 0.81, 0.899, 0.91], dtype=torch.float64)
    before = ids.clone()
    got = fn(ids, spans, u, 4, random_ids)
    expect(torch.equal(ids, before), "your function changed input_ids in place: work on a copy")
    want = _replace_reference(ids, spans, u, 4, random_ids)
    expect(isinstance(got, torch.Tensor), f"return a tensor, not {type(got).__name__}")
    expect(tuple(got.shape) == tuple(want.shape), f"the result has shape {tuple(got.shape)}")
    outside = torch.ones(60, dtype=torch.bool)
    for s, e in spans:
        outside[s:e] = False
    expect(torch.equal(got[outside], ids[outside]), "tokens outside every span must stay unchanged")
    for j, (s, e) in enumerate(spans):
        expect(
            torch.equal(got[s:e], want[s:e]),
            f"span {j} (draw u = {float(u[j]):.3f}) has the wrong fate: one draw decides the whole span",
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
