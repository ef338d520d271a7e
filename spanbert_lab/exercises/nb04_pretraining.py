"""Exercises of notebook 04 (pretraining on a laptop)."""

from __future__ import annotations

import math

import torch
from torch import nn

from spanbert_lab.exercises.core import CheckFailed, Exercise, expect, expect_close
from spanbert_lab.schedule import lr_at_step

_NS = {"torch": torch, "math": math, "nn": nn}


def _check_schedule(fn) -> None:
    for peak, warmup, total in [(1e-3, 4, 20), (5e-4, 1, 7), (2.0, 10, 11)]:
        for step in range(total + 3):
            want = lr_at_step(step, peak_lr=peak, warmup_steps=warmup, total_steps=total)
            got = fn(step, peak, warmup, total)
            try:
                value = float(got)
            except (TypeError, ValueError):
                raise CheckFailed(f"return a number, got {type(got).__name__}") from None
            if not math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-15):
                phase = ("warm-up" if step < warmup else "after the last update" if step >= total
                         else "decay")  # fmt: skip
                raise CheckFailed(
                    f"wrong learning rate during the {phase} (update {step} of a run with "
                    f"warmup_steps={warmup}, total_steps={total})"
                )


lr_schedule = Exercise(
    key="04.1",
    title="warm-up then linear decay",
    answer_name="lr_schedule",
    checker=_check_schedule,
    hints=(
        "Two phases: `step < warmup_steps` (rising) and the rest (falling); 0 from `total_steps` on.",
        "Update 0 is a real update: during warm-up use `(step + 1) / warmup_steps` of the peak.",
        "After warm-up the rate falls by `peak / (total_steps - warmup_steps)` per update and "
        "would reach 0 at `step == total_steps`.",
    ),
    solution_code="""
def lr_schedule(step, peak_lr, warmup_steps, total_steps):
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return 0.0
    return peak_lr * (total_steps - step) / (total_steps - warmup_steps)
""",
    wrong_solutions=(
        # warm-up starts at 0: the first update is wasted
        "def lr_schedule(step, peak_lr, warmup_steps, total_steps):\n"
        "    if step < warmup_steps:\n        return peak_lr * step / warmup_steps\n"
        "    return max(0.0, peak_lr * (total_steps - step) / (total_steps - warmup_steps))",
        # decay measured from step 0 instead of from the end of warm-up
        "def lr_schedule(step, peak_lr, warmup_steps, total_steps):\n"
        "    if step < warmup_steps:\n        return peak_lr * (step + 1) / warmup_steps\n"
        "    return max(0.0, peak_lr * (total_steps - step) / total_steps)",
        # no decay at all
        "def lr_schedule(step, peak_lr, warmup_steps, total_steps):\n"
        "    return peak_lr * min(1.0, (step + 1) / warmup_steps)",
    ),
    namespace=_NS,
)


def _toy() -> nn.Module:
    return nn.Sequential(nn.Embedding(11, 6), nn.Linear(6, 5), nn.LayerNorm(5), nn.Linear(5, 3))


def _check_decay(fn) -> None:
    model = _toy()
    got = fn(model)
    expect(isinstance(got, (set, list, tuple, frozenset)),
           f"return the names of the decayed parameters (a set), got {type(got).__name__}")  # fmt: skip
    got = set(got)
    names = {n for n, _ in model.named_parameters()}
    expect(got <= names, "return names from `model.named_parameters()`")
    want = {n for n, p in model.named_parameters() if p.dim() >= 2}
    expect(not (want - got), "some weight matrices (or the embedding table) do not decay")
    expect(not (got - want), "some vectors decay: biases and LayerNorm gains should not")


decayed_parameters = Exercise(
    key="04.2",
    title="which tensors get weight decay",
    answer_name="decayed_parameters",
    checker=_check_decay,
    hints=(
        "Look at each tensor's number of dimensions, `p.dim()`, not at its name.",
        "Matrices and embedding tables have 2 dimensions; biases and LayerNorm weights have 1.",
    ),
    solution_code="""
def decayed_parameters(model):
    return {name for name, p in model.named_parameters() if p.dim() >= 2}
""",
    wrong_solutions=(
        "def decayed_parameters(model):\n"
        "    return {n for n, p in model.named_parameters() if not n.endswith('bias')}",
        "def decayed_parameters(model):\n    return {n for n, p in model.named_parameters()}",
        "def decayed_parameters(model):\n"
        "    return {n for n, p in model.named_parameters() if 'weight' in n and '0' not in n}",
    ),
    namespace=_NS,
)


def _check_global_mean(fn) -> None:
    cases = [([2.0, 4.0], [1, 3]), ([1.5, 0.5, 3.0], [10, 0, 5]), ([7.0], [4])]
    for means, counts in cases:
        want = sum(m * n for m, n in zip(means, counts, strict=True)) / sum(counts)
        got = fn(torch.tensor(means), torch.tensor(counts))
        if isinstance(got, torch.Tensor) and got.numel() != 1:
            raise CheckFailed(f"return one number (a scalar), got shape {tuple(got.shape)}")
        expect_close("the global mean loss", got, want, tol=1e-6)


global_mean = Exercise(
    key="04.3",
    title="the global loss of a sharded batch",
    answer_name="global_mean",
    checker=_check_global_mean,
    hints=(
        "A shard's mean times its number of targets is that shard's *sum* of token losses.",
        "Add the sums of all shards, then divide by the total number of targets.",
        "A shard with 0 targets contributes nothing — and must not cause a division by zero.",
    ),
    solution_code="""
def global_mean(means, counts):
    return (means * counts).sum() / counts.sum()
""",
    wrong_solutions=(
        "def global_mean(means, counts):\n    return means.mean()",
        "def global_mean(means, counts):\n    return (means * counts).sum() / len(counts)",
        "def global_mean(means, counts):\n    return (means / counts.clamp(min=1)).sum()",
    ),
    namespace=_NS,
)


def _check_flops(fn) -> None:
    for n_params, n_tokens in [(1.3e6, 1.3e7), (3.4e8, 2.4e6 * 256 * 512)]:
        got = fn(n_params, n_tokens)
        try:
            ratio = float(got) / (6 * n_params * n_tokens)
        except (TypeError, ValueError):
            raise CheckFailed(f"return a number, got {type(got).__name__}") from None
        expect(
            math.isclose(ratio, 1.0, rel_tol=1e-9),
            f"the estimate for N={n_params:.2g} parameters and D={n_tokens:.2g} tokens is wrong: "
            "count the FLOPs per parameter per token of the forward *and* the backward pass",
        )


training_flops = Exercise(
    key="04.4",
    title="training compute ≈ 6 · parameters · tokens",
    answer_name="training_flops",
    checker=_check_flops,
    hints=(
        "A forward pass costs about 2 FLOPs (one multiply, one add) per parameter per token.",
        "The backward pass costs about twice the forward pass (gradients for inputs and weights).",
    ),
    solution_code="""
def training_flops(n_params, n_tokens):
    return 6 * n_params * n_tokens
""",
    wrong_solutions=(
        "def training_flops(n_params, n_tokens):\n    return 2 * n_params * n_tokens",
        "def training_flops(n_params, n_tokens):\n    return 3 * n_params * n_tokens",
    ),
    namespace=_NS,
)
