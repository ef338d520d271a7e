"""Learning-rate schedule and optimiser set-up for pretraining (paper §4.2,
``docs/spanbert-reference.md#pretraining``).

SpanBERT warms the learning rate up linearly for 10k steps to a peak of 1e-4 and then decays it
linearly to zero at the last step (fairseq's ``polynomial_decay`` with power 1). Here the schedule
is a *pure function of the step* — :func:`lr_at_step` — so it can be plotted and unit-tested, and
:func:`build_scheduler` only wraps it in a ``torch.optim.lr_scheduler.LambdaLR``.

Step convention: ``step`` is the 0-based index of the optimiser update about to be taken.
Update ``s < warmup`` uses ``peak · (s + 1) / warmup``; update ``s ≥ warmup`` uses
``peak · (total - s) / (total - warmup)``. The first update is not wasted at zero, the peak is
reached at update ``warmup - 1`` and held for one more, and the last update (``total - 1``) uses
``peak / (total - warmup)``; from ``total`` on the rate is 0.

The optimiser is AdamW (decoupled weight decay) with one grouping rule, nanoGPT's: tensors with
two or more dimensions (weight matrices, embeddings) decay; vectors (biases, LayerNorm gains) do
not. The official code decays *every* parameter; the course follows the now-standard rule and the
notebook says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "WarmupLinearSchedule",
    "build_optimizer",
    "build_scheduler",
    "lr_at_step",
    "param_groups",
]


def lr_at_step(step: int, *, peak_lr: float, warmup_steps: int, total_steps: int) -> float:
    """The learning rate of update ``step`` (0-based): linear warm-up, then linear decay to 0.

    Args:
        step: index of the update, ``0 ≤ step``; steps at or past ``total_steps`` give 0.
        peak_lr: the largest learning rate, reached at ``step = warmup_steps - 1``.
        warmup_steps: number of warm-up updates (0 = start at the peak).
        total_steps: number of updates of the whole run, ``> warmup_steps``.

    Raises:
        ValueError: a negative step or inconsistent step counts.
    """
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if warmup_steps < 0 or total_steps <= warmup_steps:
        raise ValueError(
            f"need 0 <= warmup_steps < total_steps, got warmup_steps={warmup_steps}, "
            f"total_steps={total_steps}"
        )
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return 0.0
    return peak_lr * (total_steps - step) / (total_steps - warmup_steps)


@dataclass(frozen=True)
class WarmupLinearSchedule:
    """:func:`lr_at_step` divided by the peak: the multiplier ``LambdaLR`` applies to the base rate.

    A (picklable) callable object rather than a lambda, so that the scheduler's ``state_dict``
    records the schedule's parameters in a checkpoint.
    """

    warmup_steps: int
    total_steps: int

    def __post_init__(self) -> None:
        if self.warmup_steps < 0 or self.total_steps <= self.warmup_steps:
            raise ValueError(
                f"need 0 <= warmup_steps < total_steps, got warmup_steps={self.warmup_steps}, "
                f"total_steps={self.total_steps}"
            )

    def __call__(self, step: int) -> float:
        return lr_at_step(
            step, peak_lr=1.0, warmup_steps=self.warmup_steps, total_steps=self.total_steps
        )


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """AdamW parameter groups: tensors with ``dim() >= 2`` decay, all others do not.

    Tied parameters (the word embeddings shared with the MLM and SBO decoders) appear once,
    because ``named_parameters`` de-duplicates them. Frozen parameters are left out.

    Returns:
        ``[{"params": [...], "weight_decay": weight_decay}, {"params": [...], "weight_decay": 0.0}]``
    """
    decay, no_decay = [], []
    for _, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (decay if p.dim() >= 2 else no_decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def build_optimizer(
    model: nn.Module,
    *,
    lr: float,
    weight_decay: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> torch.optim.AdamW:
    """AdamW with decoupled weight decay on the ≥ 2-D tensors (see :func:`param_groups`)."""
    return torch.optim.AdamW(param_groups(model, weight_decay), lr=lr, betas=betas, eps=eps)


def build_scheduler(
    optimizer: torch.optim.Optimizer, *, warmup_steps: int, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """A ``LambdaLR`` following :func:`lr_at_step`; call ``scheduler.step()`` after each update.

    The optimiser's ``lr`` is the peak; right after construction the groups hold the rate of
    update 0.
    """
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, WarmupLinearSchedule(warmup_steps=warmup_steps, total_steps=total_steps)
    )
