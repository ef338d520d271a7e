"""Exercises of notebook 03 (the span boundary objective).

1. ``sbo_targets`` — which tokens of a span get an SBO target, with which boundaries and positions.
2. ``sbo_head_input`` — the SBO head's input ``h0 = [x_{s-1}; x_{e+1}; p_{i-s}]``.
3. ``spanbert_loss`` — mean MLM cross-entropy + weight × mean SBO cross-entropy, empty-safe.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from spanbert_lab.exercises.core import CheckFailed, Exercise, expect, expect_tensor_close

_NS = {"torch": torch, "math": math, "F": F}


# --- 1. which tokens get an SBO target ------------------------------------------------------------


def _targets_ref(start: int, end: int, n: int, max_targets: int) -> list[tuple[int, int, int]]:
    if start - 1 < 1 or end > n - 2:
        return []
    return [(start - 1, end, i - start) for i in range(start, min(end, start + max_targets))]


_TARGET_CASES = [
    ((3, 6, 12, 15), "an ordinary span"),
    ((2, 3, 12, 15), "a one-token span right after the first text token"),
    ((1, 4, 12, 15), "a span that starts right after [CLS]"),
    ((7, 11, 12, 15), "a span that ends right before [SEP]"),
    ((2, 9, 12, 3), "a span longer than max_targets"),
    ((4, 10, 20, 6), "a span exactly max_targets long"),
]


def _check_targets(fn) -> None:
    for args, what in _TARGET_CASES:
        got = fn(*args)
        want = _targets_ref(*args)
        try:
            got = [tuple(int(v) for v in row) for row in got]
        except (TypeError, ValueError):
            raise CheckFailed(
                f"for {what}, return a list of (left, right, position) tuples"
            ) from None
        if len(got) != len(want):
            raise CheckFailed(
                f"for {what} {args}, you return {len(got)} targets; count again which tokens "
                "get one (edges? the max_targets limit?)"
            )
        for row, ref in zip(got, want, strict=True):
            expect(len(row) == 3, f"for {what}, each target is a (left, right, position) triple")
            expect(row[0] == ref[0], f"for {what} {args}, the left boundary index is wrong")
            expect(row[1] == ref[1], f"for {what} {args}, the right boundary index is wrong")
            expect(row[2] == ref[2], f"for {what} {args}, the relative positions are wrong")


sbo_targets = Exercise(
    key="03.1",
    title="which span tokens get an SBO target",
    answer_name="sbo_targets",
    checker=_check_targets,
    hints=(
        "A span is the half-open range [start, end): its tokens are start .. end-1.",
        "The boundaries are the tokens just outside: start - 1 and end. Both must be text tokens: "
        "index 0 is [CLS] and n - 1 is [SEP].",
        "Relative positions count from 0 at the span's first token, and only the first "
        "max_targets tokens get a target.",
    ),
    solution_code="""
def sbo_targets(start, end, n, max_targets):
    if start - 1 < 1 or end > n - 2:  # a boundary would be [CLS] or [SEP]
        return []
    return [(start - 1, end, i - start) for i in range(start, min(end, start + max_targets))]
""",
    wrong_solutions=(
        # boundaries allowed to be [CLS]/[SEP]
        "def sbo_targets(start, end, n, max_targets):\n"
        "    return [(start - 1, end, i - start) for i in range(start, min(end, start + max_targets))]",
        # no max_targets limit
        "def sbo_targets(start, end, n, max_targets):\n"
        "    if start - 1 < 1 or end > n - 2:\n        return []\n"
        "    return [(start - 1, end, i - start) for i in range(start, end)]",
        # inclusive right boundary (end - 1) and 1-based positions
        "def sbo_targets(start, end, n, max_targets):\n"
        "    if start - 1 < 1 or end > n - 2:\n        return []\n"
        "    return [(start - 1, end - 1, i - start + 1) for i in range(start, min(end, start + max_targets))]",
    ),
    namespace=_NS,
)


# --- 2. the head's input ---------------------------------------------------------------------------


def _input_case(seed: int, t: int = 9, h: int = 6, p: int = 4, k: int = 5):
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn(t, h, generator=g, dtype=torch.float64)
    table = torch.randn(k, p, generator=g, dtype=torch.float64)
    left = torch.tensor([1, 1, 1, 4, 4])
    right = torch.tensor([5, 5, 5, 7, 7])
    positions = torch.tensor([0, 1, 2, 0, 1])
    return hidden, left, right, positions, table


def _check_input(fn) -> None:
    for seed in (0, 1):
        hidden, left, right, positions, table = _input_case(seed)
        got = fn(hidden, left, right, positions, table)
        want = torch.cat([hidden[left], hidden[right], table[positions]], dim=-1)
        expect(isinstance(got, torch.Tensor), f"h0 should be a tensor, got {type(got).__name__}")
        expect(
            tuple(got.shape) == tuple(want.shape),
            f"h0 has shape {tuple(got.shape)}; one row per target, 2h + P columns",
        )
        if torch.allclose(got, torch.cat([hidden[right], hidden[left], table[positions]], -1)):
            raise CheckFailed("h0 has the right pieces in the wrong order: [left; right; position]")
        expect_tensor_close("h0", got, want, atol=1e-12)


sbo_head_input = Exercise(
    key="03.2",
    title="the SBO head's input",
    answer_name="sbo_head_input",
    checker=_check_input,
    hints=(
        "Index the hidden states with the boundary indices: `hidden[left]` is (N, h).",
        "Look up the relative positions in the position table: `table[positions]` is (N, P).",
        "Concatenate along the last dimension, left boundary first: `torch.cat([...], dim=-1)`.",
    ),
    solution_code="""
def sbo_head_input(hidden, left, right, positions, table):
    return torch.cat([hidden[left], hidden[right], table[positions]], dim=-1)
""",
    wrong_solutions=(
        "def sbo_head_input(hidden, left, right, positions, table):\n"
        "    return torch.cat([hidden[left], hidden[right]], dim=-1)",
        "def sbo_head_input(hidden, left, right, positions, table):\n"
        "    return torch.cat([hidden[right], hidden[left], table[positions]], dim=-1)",
        "def sbo_head_input(hidden, left, right, positions, table):\n"
        "    return torch.cat([hidden[left + 1], hidden[right - 1], table[positions]], dim=-1)",
    ),
    namespace=_NS,
)


# --- 3. the combined loss --------------------------------------------------------------------------


def _loss_ref(mlm_logits, mlm_labels, sbo_logits, sbo_labels, weight):
    mlm = F.cross_entropy(mlm_logits, mlm_labels)
    sbo = F.cross_entropy(sbo_logits, sbo_labels) if len(sbo_labels) else mlm_logits.sum() * 0
    return mlm + weight * sbo


def _loss_case(seed: int, n_mlm: int, n_sbo: int, v: int = 11):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(n_mlm, v, generator=g, dtype=torch.float64) * 2,
        torch.randint(0, v, (n_mlm,), generator=g),
        torch.randn(n_sbo, v, generator=g, dtype=torch.float64) * 2,
        torch.randint(0, v, (n_sbo,), generator=g),
    )


def _check_loss(fn) -> None:
    for seed, n_mlm, n_sbo, weight in [(0, 7, 5, 1.0), (1, 4, 9, 0.5), (2, 6, 0, 1.0)]:
        args = _loss_case(seed, n_mlm, n_sbo)
        got = fn(*args, weight)
        want = _loss_ref(*args, weight)
        what = "with no SBO target at all" if n_sbo == 0 else f"with weight {weight}"
        expect(isinstance(got, torch.Tensor), f"return a tensor, not {type(got).__name__}")
        expect(got.dim() == 0, f"the loss should be a scalar, got shape {tuple(got.shape)}")
        expect(not torch.isnan(got), f"the loss is NaN {what}: handle the empty case explicitly")
        if not torch.allclose(got, want, atol=1e-9):
            raise CheckFailed(
                f"the loss {what} is {float(got):.4f}, which is not right: each term is a mean "
                "over its own targets, and only the SBO term is weighted"
            )


spanbert_loss = Exercise(
    key="03.3",
    title="the combined SpanBERT loss",
    answer_name="spanbert_loss",
    checker=_check_loss,
    hints=(
        "`F.cross_entropy(logits, labels)` already averages over the rows.",
        "The SBO term is multiplied by `weight`; the MLM term is not.",
        "With zero SBO rows the mean is 0/0: return a zero SBO term instead (e.g. `logits.sum() * 0`).",
    ),
    solution_code="""
def spanbert_loss(mlm_logits, mlm_labels, sbo_logits, sbo_labels, weight):
    mlm = F.cross_entropy(mlm_logits, mlm_labels)
    if len(sbo_labels) == 0:
        return mlm + 0.0 * sbo_logits.sum()
    return mlm + weight * F.cross_entropy(sbo_logits, sbo_labels)
""",
    wrong_solutions=(
        # sums instead of means
        "def spanbert_loss(mlm_logits, mlm_labels, sbo_logits, sbo_labels, weight):\n"
        "    mlm = F.cross_entropy(mlm_logits, mlm_labels, reduction='sum')\n"
        "    return mlm + weight * F.cross_entropy(sbo_logits, sbo_labels, reduction='sum')",
        # the official code's hidden +1 in the SBO denominator
        "def spanbert_loss(mlm_logits, mlm_labels, sbo_logits, sbo_labels, weight):\n"
        "    mlm = F.cross_entropy(mlm_logits, mlm_labels)\n"
        "    sbo = F.cross_entropy(sbo_logits, sbo_labels, reduction='sum') / (len(sbo_labels) + 1)\n"
        "    return mlm + weight * sbo",
        # NaN on an empty SBO batch, weight ignored
        "def spanbert_loss(mlm_logits, mlm_labels, sbo_logits, sbo_labels, weight):\n"
        "    return F.cross_entropy(mlm_logits, mlm_labels) + F.cross_entropy(sbo_logits, sbo_labels)",
    ),
    namespace=_NS,
)
