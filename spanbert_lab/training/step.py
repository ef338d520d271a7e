"""One optimiser update, shared by pretraining and fine-tuning.

::

    for batch in micro_batches:                            # one, unless accumulating
        out = forward(**batch);  loss = loss_of(out)       # (under autocast when asked)
        loss.backward()                                    # gradients add up
    grad_norm = clip_grad_norm_(…)                         # or the plain norm without clipping
    optimizer.step();  scheduler.step();  optimizer.zero_grad(set_to_none=True)

With gradient accumulation each micro-batch's ``loss_of`` must already carry the micro-batch's
weight in the whole batch's loss (the pretraining loop weights by target counts); the step only
adds the gradients up.

It draws no random numbers itself: dropout inside ``forward`` draws from torch's global generator,
which the loops seed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

__all__ = ["LossOf", "StepResult", "autocast_for", "train_step"]

LossOf = Callable[[Any], torch.Tensor]
"""The loss to back-propagate, from the forward pass's output."""


@dataclass(frozen=True)
class StepResult:
    """What one update reports.

    Attributes:
        output: the model's output for the batch (its tensors still hold the graph's values);
            with micro-batches, the last micro-batch's.
        loss: the loss that was back-propagated (a 0-dim tensor); with micro-batches, the sum
            of their losses.
        lr: the learning rate this update used.
        grad_norm: the global gradient norm before clipping.
    """

    output: Any
    loss: torch.Tensor
    lr: float
    grad_norm: float


def autocast_for(
    device: torch.device, precision: Literal["auto", "fp32", "bf16"]
) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    """A factory of the forward pass's autocast context: bf16 on CUDA when asked (``"bf16"``) or
    supported (``"auto"``), else a no-op.

    Raises:
        ValueError: ``precision="bf16"`` on a device that is not CUDA.
    """
    if precision == "bf16" and device.type != "cuda":
        raise ValueError("TrainConfig.precision='bf16' needs a CUDA device")
    use_bf16 = device.type == "cuda" and (
        precision == "bf16" or (precision == "auto" and torch.cuda.is_bf16_supported())
    )
    if use_bf16:
        return lambda: torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext


def train_step(
    model: nn.Module,
    batch: Mapping[str, torch.Tensor] | Sequence[Mapping[str, torch.Tensor]],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    *,
    max_grad_norm: float | None,
    forward: nn.Module | None = None,
    loss_of: LossOf | Sequence[LossOf] | None = None,
    autocast: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
) -> StepResult:
    """Forward, backward (per micro-batch), clip, optimiser step, scheduler step, zero the
    gradients.

    Args:
        model: the module whose parameters are clipped (the unwrapped model under DDP).
        batch: keyword arguments of the forward pass, already on the model's device; or a
            sequence of them, the micro-batches of one update (gradient accumulation).
        optimizer, scheduler: stepped once each.
        max_grad_norm: clip the global gradient norm to this; ``None`` = no clipping.
        forward: the module to call (default ``model``; the DDP wrapper in data parallelism,
            whose gradient all-reduce is then skipped (``no_sync``) for all but the last
            micro-batch).
        loss_of: the loss to back-propagate from an output (default ``output.loss``); one
            function for every micro-batch, or one per micro-batch.
        autocast: a factory of the forward pass's context (see :func:`autocast_for`).
    """
    batches = [batch] if isinstance(batch, Mapping) else list(batch)
    if not batches:
        raise ValueError("train_step: no batch")
    losses_of = list(loss_of) if isinstance(loss_of, Sequence) else [loss_of] * len(batches)
    if len(losses_of) != len(batches):
        raise ValueError(f"train_step: {len(losses_of)} loss functions for {len(batches)} batches")
    lr = float(scheduler.get_last_lr()[0])
    module = forward if forward is not None else model
    total = None
    for i, (micro, micro_loss_of) in enumerate(zip(batches, losses_of, strict=True)):
        last = i == len(batches) - 1
        no_sync = getattr(module, "no_sync", None)
        with contextlib.nullcontext() if last or no_sync is None else no_sync():
            with autocast():
                output = module(**micro)
            loss = micro_loss_of(output) if micro_loss_of is not None else output.loss
            loss.backward()
        total = loss.detach() if total is None else total + loss.detach()
    if max_grad_norm is not None:
        grad_norm = float(nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm))
    else:
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        grad_norm = float(nn.utils.get_total_norm(grads))
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return StepResult(output=output, loss=total, lr=lr, grad_norm=grad_norm)
