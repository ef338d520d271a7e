"""Gathering the targets and the SpanBERT losses (MLM + span boundary objective).

Paper §3.2 (``docs/spanbert-reference.md#loss``): the loss is the mean masked-LM cross-entropy over
the masked tokens plus ``w ×`` the mean SBO cross-entropy over the SBO targets (``w = 1``).
Vocabulary logits are only ever computed at the targets: the functions here *gather* the rows that
have a target first, so the heads see ``(N, h)`` instead of ``(B, T, h)`` — the paper's definition,
and several times cheaper than scoring every position against the whole vocabulary.

Deviation from the official code, on purpose: the official criterion divides the SBO sum by
``N_sbo + 1``; here both terms are plain means. A batch with no target at all (possible for SBO,
e.g. when every span touches the block edge) gives an explicit zero loss that is still connected
to the graph, so every parameter receives a (zero) gradient instead of none.

Shape legend: B = batch, T = sequence length, M = SBO targets per example (padded), h = hidden
size, V = vocabulary, N = number of gathered targets.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from spanbert_lab.contracts import IGNORE_INDEX

__all__ = [
    "IGNORE_INDEX",
    "BoundaryTargets",
    "gather_mlm_targets",
    "gather_sbo_targets",
    "mean_cross_entropy",
]


class BoundaryTargets(NamedTuple):
    """The gathered SBO inputs, one row per (non-padding) target.

    Attributes:
        left: (N, h) hidden states of the left boundary tokens ``x_{s-1}``.
        right: (N, h) hidden states of the right boundary tokens ``x_{e+1}``.
        positions: (N,) long, relative positions ``i - s``.
        labels: (N,) long target ids, or ``None`` when no labels were given.
        index: (N, 2) long, the ``(batch, slot)`` coordinates of each row in the (B, M) inputs.
    """

    left: torch.Tensor
    right: torch.Tensor
    positions: torch.Tensor
    labels: torch.Tensor | None
    index: torch.Tensor


def gather_mlm_targets(
    hidden: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The hidden states at the MLM targets (``labels != IGNORE_INDEX``), in row-major order.

    Args:
        hidden: (B, T, h) final-layer hidden states.
        labels: (B, T) long, original id at targets, ``IGNORE_INDEX`` elsewhere.

    Returns:
        ``(hidden_at_targets (N, h), target_ids (N,), index (N, 2))`` where ``index`` holds the
        ``(batch, position)`` coordinates of each row.
    """
    if labels.shape != hidden.shape[:2]:
        raise ValueError(
            f"labels has shape {tuple(labels.shape)}, expected {tuple(hidden.shape[:2])}"
        )
    selected = labels != IGNORE_INDEX  # (B, T) bool
    return hidden[selected], labels[selected], selected.nonzero()


def gather_sbo_targets(
    hidden: torch.Tensor,
    sbo_left: torch.Tensor,
    sbo_right: torch.Tensor,
    sbo_positions: torch.Tensor,
    sbo_labels: torch.Tensor | None = None,
    *,
    max_targets: int | None = None,
) -> BoundaryTargets:
    """Gather the boundary hidden states of every SBO target (padding rows dropped).

    Args:
        hidden: (B, T, h) final-layer hidden states.
        sbo_left, sbo_right: (B, M) long, token index of the left / right boundary of the span
            that contains each target.
        sbo_positions: (B, M) long, relative position of each target inside its span.
        sbo_labels: (B, M) long target ids, ``IGNORE_INDEX`` = padding; ``None`` keeps every slot.
        max_targets: if given, relative positions must lie in ``0 .. max_targets-1``.

    Raises:
        ValueError: mismatched shapes, or an index outside the sequence / position table (checked
            on the kept rows only, so padding slots may hold anything).
    """
    B, T = hidden.shape[:2]
    shape = sbo_left.shape
    for name, tensor in (("sbo_right", sbo_right), ("sbo_positions", sbo_positions)):
        if tensor.shape != shape:
            raise ValueError(f"{name} has shape {tuple(tensor.shape)}, sbo_left {tuple(shape)}")
    if sbo_labels is not None and sbo_labels.shape != shape:
        raise ValueError(f"sbo_labels has shape {tuple(sbo_labels.shape)}, sbo_left {tuple(shape)}")
    if shape[0] != B:
        raise ValueError(f"SBO tensors have batch size {shape[0]}, hidden states {B}")
    if sbo_labels is None:
        selected = torch.ones(shape, dtype=torch.bool, device=sbo_left.device)
    else:
        selected = sbo_labels != IGNORE_INDEX  # (B, M) bool
    index = selected.nonzero()  # (N, 2): (batch, slot)
    batch = index[:, 0]  # (N,)
    left, right, positions = sbo_left[selected], sbo_right[selected], sbo_positions[selected]
    if index.numel():
        for name, values, hi in (("sbo_left", left, T), ("sbo_right", right, T)):
            if int(values.min()) < 0 or int(values.max()) >= hi:
                raise ValueError(f"{name} holds a token index outside 0..{hi - 1}")
        if max_targets is not None and (
            int(positions.min()) < 0 or int(positions.max()) >= max_targets
        ):
            raise ValueError(
                f"sbo_positions holds a relative position outside 0..{max_targets - 1} "
                f"(config.sbo_max_targets = {max_targets})"
            )
    return BoundaryTargets(
        left=hidden[batch, left],  # (N, h)
        right=hidden[batch, right],  # (N, h)
        positions=positions,
        labels=None if sbo_labels is None else sbo_labels[selected],
        index=index,
    )


def mean_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over rows; an explicit, graph-connected zero when there are no rows.

    Args:
        logits: (N, V) float, one row per target (already gathered).
        targets: (N,) long ids in ``0 .. V-1``.

    Returns:
        A scalar tensor. ``N == 0`` gives ``0.0`` (``logits.sum() * 0``), not NaN.
    """
    if targets.numel() == 0:
        return logits.sum() * 0.0
    return F.cross_entropy(logits, targets)
