"""Which blocks form each update's global batch: shuffled, or shuffled and length-bucketed.

``random`` (the default): a permutation per epoch seeded by ``(seed, epoch)``, cut into batches.
Every batch is padded to its longest block, so short blocks carry padding that costs compute.

``bucketed``: the same permutation, cut into pools of ``POOL_BATCHES`` batches; each pool is
sorted by block length and cut into batches, and the batches of the epoch are shuffled. A batch
then holds blocks of similar length and carries little padding, while the epoch still visits
every block once in a seeded order. The blocks and their masks are unchanged (masks depend on
``(seed, epoch, index)`` only); only which blocks share an update changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch

from spanbert_lab.masking import example_seed

__all__ = [
    "BATCHINGS",
    "POOL_BATCHES",
    "Batching",
    "epoch_batches",
    "epoch_order",
    "global_batches",
]

Batching = Literal["random", "bucketed"]
BATCHINGS: tuple[str, ...] = ("random", "bucketed")
POOL_BATCHES = 50


def epoch_order(n: int, *, seed: int, epoch: int) -> list[int]:
    """The order of the ``n`` training examples in ``epoch``: a permutation seeded by (seed, epoch)."""
    generator = torch.Generator().manual_seed(example_seed(seed, epoch, -1))
    return torch.randperm(n, generator=generator).tolist()


def global_batches(n: int, batch_size: int, *, seed: int, epoch: int) -> list[list[int]]:
    """The full global batches of ``epoch`` (an incomplete last batch is dropped)."""
    order = epoch_order(n, seed=seed, epoch=epoch)
    return [order[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


def bucketed_batches(
    lengths: Sequence[int], batch_size: int, *, seed: int, epoch: int
) -> list[list[int]]:
    """Length-bucketed global batches of ``epoch`` (see the module docstring)."""
    order = epoch_order(len(lengths), seed=seed, epoch=epoch)
    usable = len(order) - len(order) % batch_size  # an incomplete last batch is dropped
    pool = batch_size * POOL_BATCHES
    batches = []
    for start in range(0, usable, pool):
        members = sorted(order[start : min(start + pool, usable)], key=lambda i: lengths[i])
        batches += [members[i : i + batch_size] for i in range(0, len(members), batch_size)]
    generator = torch.Generator().manual_seed(example_seed(seed, epoch, -2))
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def epoch_batches(
    batching: Batching, lengths: Sequence[int], batch_size: int, *, seed: int, epoch: int
) -> list[list[int]]:
    """The global batches of ``epoch`` for the ``batching`` named in the run's config."""
    if batching == "random":
        return global_batches(len(lengths), batch_size, seed=seed, epoch=epoch)
    if batching == "bucketed":
        return bucketed_batches(lengths, batch_size, seed=seed, epoch=epoch)
    raise ValueError(f"batching={batching!r}: choose one of {BATCHINGS}")
