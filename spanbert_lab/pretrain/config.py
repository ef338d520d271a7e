"""The settings of a pretraining run (:class:`TrainConfig`); model and data are built elsewhere
(:mod:`spanbert_lab.pretrain.recipes`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from spanbert_lab.pretrain.batches import BATCHINGS, Batching

__all__ = ["Precision", "TrainConfig"]

Precision = Literal["auto", "fp32", "bf16"]


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a pretraining run (model and data are built elsewhere).

    The command line (``python -m spanbert_lab pretrain``) takes its defaults from these fields;
    its warm-up default is 10% of ``--max-steps``, which is this class's 20 of 200.

    Attributes:
        max_steps: optimiser updates of the whole run (also the schedule's length).
        batch_size: *global* batch, in blocks per update (split over processes, then into
            ``grad_accumulation`` micro-batches).
        grad_accumulation: micro-batches per update: each process splits its share of the
            global batch into this many, runs forward + backward on each (gradients add up,
            every micro-batch weighted by its share of the global batch's targets, so the loss
            is the global batch's token mean), then clips and steps once. ``batch_size`` must be
            divisible by ``grad_accumulation`` × the number of processes.
        lr: peak learning rate.
        warmup_steps: linear warm-up updates (must be < ``max_steps``).
        weight_decay: AdamW decoupled decay on ≥ 2-D tensors.
        adam_betas, adam_eps: AdamW's β1, β2 and ε (paper: 0.9, 0.999, 1e-8).
        max_grad_norm: clip the global gradient norm to this; ``None`` = no clipping.
        eval_every: evaluate every this many updates (0 = only at the end).
        eval_batch_size: blocks per evaluation batch.
        seed: data order, masks (via the collator's seed) and dropout.
        time_budget_s: stop after this many seconds of training (``None`` = no limit); the run
            then ends early with the schedule unfinished, is evaluated and checkpointed.
        output_dir: where checkpoints go (``None`` = none are written).
        save_every: checkpoint every this many updates (0 = only at the end).
        keep_checkpoints: how many ``checkpoint-*`` folders to keep (``None`` = all).
        precision: ``"auto"`` (bf16 autocast on CUDA when supported, else fp32), ``"fp32"``,
            ``"bf16"`` (CUDA only).
        progress: write one line per evaluation (rank 0 only; :mod:`spanbert_lab.training.progress`).
        batching: ``"random"`` (shuffled blocks) or ``"bucketed"`` (shuffled, then blocks of
            similar length share a batch: less padding; :mod:`spanbert_lab.pretrain.batches`).
    """

    max_steps: int = 200
    batch_size: int = 16
    grad_accumulation: int = 1
    lr: float = 1e-3
    warmup_steps: int = 20
    weight_decay: float = 0.01
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1e-8
    max_grad_norm: float | None = 1.0
    eval_every: int = 0
    eval_batch_size: int = 32
    seed: int = 0
    time_budget_s: float | None = None
    output_dir: str | None = None
    save_every: int = 0
    keep_checkpoints: int | None = 2
    precision: Precision = "auto"
    progress: bool = True
    batching: Batching = "random"

    def __post_init__(self) -> None:
        def bad(name: str, why: str) -> ValueError:
            return ValueError(f"TrainConfig.{name}={getattr(self, name)!r}: {why}")

        for name in ("max_steps", "batch_size", "grad_accumulation", "eval_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise bad(name, "must be a positive int")
        if self.batch_size % self.grad_accumulation:
            raise bad(
                "grad_accumulation",
                f"must divide batch_size={self.batch_size} (micro-batches of equal size)",
            )
        for name in ("eval_every", "save_every", "warmup_steps"):
            if getattr(self, name) < 0:
                raise bad(name, "must be >= 0")
        if self.warmup_steps >= self.max_steps:
            raise bad("warmup_steps", f"must be < max_steps={self.max_steps}")
        checks = (
            ("lr", self.lr > 0 and math.isfinite(self.lr), "must be a positive number"),
            ("weight_decay", self.weight_decay >= 0, "must be >= 0"),
            ("max_grad_norm", _none_or_positive(self.max_grad_norm), "must be > 0 or None"),
            ("time_budget_s", _none_or_positive(self.time_budget_s), "must be > 0 or None"),
            ("keep_checkpoints", _none_or_positive(self.keep_checkpoints), "must be >= 1 or None"),
        )
        for name, ok, why in checks:
            if not ok:
                raise bad(name, why)
        if self.precision not in ("auto", "fp32", "bf16"):
            raise bad("precision", "choose 'auto', 'fp32' or 'bf16'")
        if self.batching not in BATCHINGS:
            raise bad("batching", f"choose one of {BATCHINGS}")


def _none_or_positive(value: float | None) -> bool:
    return value is None or value > 0
