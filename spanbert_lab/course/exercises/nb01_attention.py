"""Exercises of notebook 01 (attention from first principles)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from spanbert_lab.course.exercises.core import CheckFailed, Exercise, expect, expect_tensor_close
from spanbert_lab.model.attention import scaled_dot_product_attention

_NS = {"torch": torch, "math": math}


def _inputs(
    seed: int, t_q: int = 4, t_k: int = 6, d_k: int = 8, d_v: int = 5, heads: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random q, k, v and a boolean mask: (B, T, d) or, with ``heads``, (B, H, T, d) — the shape
    multi-head attention uses later in the notebook."""
    g = torch.Generator().manual_seed(seed)
    lead = (2,) if heads is None else (2, heads)
    q = torch.randn(*lead, t_q, d_k, generator=g, dtype=torch.float64)
    k = torch.randn(*lead, t_k, d_k, generator=g, dtype=torch.float64)
    v = torch.randn(*lead, t_k, d_v, generator=g, dtype=torch.float64)
    mask = torch.rand(*lead, t_q, t_k, generator=g) > 0.3
    mask[..., 0] = True
    return q, k, v, mask


def _shape_note(q: torch.Tensor) -> str:
    return f"for inputs of shape {tuple(q.shape)}"


def _check_scores(fn: Callable[..., object], seed: int) -> None:
    base = 1000 * seed  # the notebook checks with seed 0; the grader with fresh seeds
    for case, d_k, heads in [(0, 8, None), (1, 3, None), (2, 8, 3)]:
        q, k, _, _ = _inputs(base + case, d_k=d_k, heads=heads)
        try:
            got = fn(q, k)
        except RuntimeError as err:
            raise CheckFailed(
                f"your function fails {_shape_note(q)} ({str(err).splitlines()[0]}); "
                "it must work for any number of leading dimensions, e.g. (B, H, T, d_k)"
            ) from None
        want = q @ k.transpose(-2, -1) / math.sqrt(d_k)
        expect_tensor_close(f"the score matrix {_shape_note(q)}", got, want, atol=1e-9)


scaled_scores = Exercise(
    key="01.1",
    title="scaled dot-product scores",
    answer_name="scaled_scores",
    checker=_check_scores,
    hints=(
        "Each score is a dot product between one query row and one key row: a matrix product.",
        "`key.transpose(-2, -1)` turns (…, T_k, d_k) into (…, d_k, T_k).",
        "Divide by the square root of the key dimension, `q.shape[-1]`.",
    ),
    wrong_solutions=(
        "def scaled_scores(q, k):\n    return q @ k.transpose(-2, -1)",
        "def scaled_scores(q, k):\n    return q @ k.transpose(-2, -1) / q.shape[-1]",
        "def scaled_scores(q, k):\n    return (q * q).sum(-1, keepdim=True) / math.sqrt(q.shape[-1])",
        # batched matrix product that only accepts 3-D inputs
        "def scaled_scores(q, k):\n    return torch.bmm(q, k.transpose(1, 2)) / math.sqrt(q.shape[-1])",
        # transposes dimensions 1 and 2: right for (B, T, d_k), wrong for (B, H, T, d_k)
        "def scaled_scores(q, k):\n    return q @ k.transpose(1, 2) / math.sqrt(q.shape[-1])",
        # a hard-coded scale: right for one head size only
        "def scaled_scores(q, k):\n    return q @ k.transpose(-2, -1) / math.sqrt(8)",
    ),
    namespace=_NS,
)


def _softmax_cases(seed: int) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """(what, scores, mask): a float64 (B, T_q, T_k) case with a query that sees no key; float32
    scores near 100 (exp overflows float32 unless the row maximum is subtracted first); and a
    key-padding mask of shape (B, 1, 1, T_k) broadcast over heads and queries."""
    q, k, _, mask = _inputs(1000 * seed + 2)
    mask = mask.clone()
    mask[1, 2] = False  # one query with no key at all
    cases = [("float64 scores of shape (2, 4, 6)", q @ k.transpose(-2, -1), mask)]
    g = torch.Generator().manual_seed(1000 * seed + 7)
    big = 100.0 + 5.0 * torch.randn(2, 3, 5, 5, generator=g)  # float32, like a trained model's
    keep = torch.ones(2, 1, 1, 5, dtype=torch.bool)
    keep[0, ..., 3:] = False  # the first sequence ends in two padding tokens
    keep[1] = False  # the second is all padding: every query sees no key
    cases.append(("float32 scores near 100 with a (2, 1, 1, 5) key mask", big, keep))
    return cases


def _check_masked_softmax(fn: Callable[..., object], seed: int) -> None:
    for what, scores, mask in _softmax_cases(seed):
        try:
            got = fn(scores.clone(), mask)
        except (RuntimeError, IndexError) as err:
            raise CheckFailed(
                f"your function fails for {what} ({type(err).__name__}: "
                f"{str(err).splitlines()[0]}); the mask only has to *broadcast* to the scores' "
                "shape, as a (B, 1, 1, T_k) padding mask does — use masked_fill or torch.where"
            ) from None
        expect(isinstance(got, torch.Tensor), f"return a tensor, not {type(got).__name__}")
        expect(
            tuple(got.shape) == tuple(scores.shape),
            f"for {what} the weights have shape {tuple(got.shape)}, not the scores' shape",
        )
        expect(
            not torch.isnan(got).any(),
            f"for {what} your weights contain NaN: what happens to a row with no allowed key, "
            "and does exp() overflow? (softmax is unchanged by subtracting the row maximum)",
        )
        full = mask.expand_as(scores)
        expect(
            bool(torch.all(got.masked_select(~full) == 0)),
            f"for {what} masked positions (mask False) must get weight exactly 0",
        )
        rows = full.any(-1)
        expect(
            bool(torch.all(got[~rows] == 0)),
            f"for {what} a query whose keys are all masked must get all-zero weights",
        )
        sums = got.double().sum(-1)[rows]
        if not torch.allclose(sums, torch.ones_like(sums), atol=1e-5):
            raise CheckFailed(f"for {what} each row with an allowed key must sum to 1")
        want = scores.double().masked_fill(~full, float("-inf")).softmax(-1).nan_to_num(0.0)
        expect_tensor_close(f"the weights for {what}", got.double(), want, atol=1e-6)


masked_softmax = Exercise(
    key="01.2",
    title="softmax with a padding mask",
    answer_name="masked_softmax",
    checker=_check_masked_softmax,
    hints=(
        "Before the softmax, give masked scores a value whose exponential is 0.",
        "`scores.masked_fill(~mask, float('-inf'))` does that, but an all -inf row gives NaN.",
        "After the softmax, multiply by `mask.any(-1, keepdim=True)` or replace NaN with 0.",
    ),
    wrong_solutions=(
        "def masked_softmax(scores, mask):\n    return scores.softmax(-1)",
        "def masked_softmax(scores, mask):\n    return scores.masked_fill(~mask, float('-inf')).softmax(-1)",
        "def masked_softmax(scores, mask):\n    return scores.softmax(-1) * mask",
        # exp() without subtracting the row maximum: inf / inf = NaN for a float32 score of 100
        "def masked_softmax(scores, mask):\n"
        "    e = scores.exp() * mask\n"
        "    total = e.sum(-1, keepdim=True)\n"
        "    return torch.where(total > 0, e / total, torch.zeros_like(e))",
        # boolean indexing: needs a mask of the scores' full shape, crashes on (B, 1, 1, T_k)
        "def masked_softmax(scores, mask):\n"
        "    scores = scores.clone()\n"
        "    scores[~mask] = float('-inf')\n"
        "    return scores.softmax(-1).nan_to_num(0.0)",
    ),
    namespace=_NS,
)


def _check_attention(fn: Callable[..., object], seed: int) -> None:
    base = 1000 * seed
    for case, heads in [(3, None), (4, None), (5, 3), (6, 2)]:
        q, k, v, mask = _inputs(base + case, heads=heads)
        if heads is not None:
            mask[1, :, 2] = False  # one query with no allowed key, in every head
        if case == 6:  # a key-padding mask (B, 1, 1, T_k), broadcast over heads and queries
            mask = torch.ones(2, 1, 1, k.shape[-2], dtype=torch.bool)
            mask[1, ..., -2:] = False
        try:
            got = fn(q, k, v, mask)
        except (RuntimeError, IndexError) as err:
            raise CheckFailed(
                f"your function fails {_shape_note(q)} with a mask of shape "
                f"{tuple(mask.shape)} ({str(err).splitlines()[0]}); multi-head attention calls "
                "it with (B, H, T, d) tensors and masks that broadcast"
            ) from None
        want, _ = scaled_dot_product_attention(q, k, v, mask)
        expect_tensor_close(f"the attention output {_shape_note(q)}", got, want, atol=1e-9)


attention = Exercise(
    key="01.3",
    title="attention from scores, mask and values",
    answer_name="attention",
    checker=_check_attention,
    hints=(
        "Combine your two previous answers: scores → masked softmax → weighted sum of values.",
        "The weighted sum of the value rows is one more matrix product: `weights @ v`.",
    ),
    wrong_solutions=(
        "def attention(q, k, v, mask):\n    return (q @ k.transpose(-2, -1)).softmax(-1) @ v",
        "def attention(q, k, v, mask):\n"
        "    s = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill(~mask, -1e9)\n"
        "    return s.softmax(-2) @ v",
        # torch.bmm: right on (B, T, d), crashes on (B, H, T, d)
        "def attention(q, k, v, mask):\n"
        "    s = torch.bmm(q, k.transpose(1, 2)) / math.sqrt(q.shape[-1])\n"
        "    w = s.masked_fill(~mask, torch.finfo(s.dtype).min).softmax(-1) * mask.any(-1, keepdim=True)\n"
        "    return torch.bmm(w, v)",
    ),
    namespace=_NS,
    needs=(scaled_scores, masked_softmax),  # the notebook's solution reuses both answers
    reference_names=("scaled_dot_product_attention",),
)
