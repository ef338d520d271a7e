"""Per-example seeds: a mask that depends only on (seed, epoch, index).

Whatever the batch size, number of DataLoader workers or number of processes, example ``i`` of
epoch ``e`` gets the same generator, so its mask is reproducible (fairseq's approach, with a local
``torch.Generator`` instead of reseeding a global RNG).
"""

from __future__ import annotations

import hashlib

import torch


def example_seed(seed: int, epoch: int, index: int) -> int:
    """A 63-bit seed depending only on (seed, epoch, index): stable across runs and processes."""
    digest = hashlib.blake2b(f"{seed}:{epoch}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & (2**63 - 1)


def example_generator(seed: int, epoch: int, index: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with :func:`example_seed`."""
    return torch.Generator().manual_seed(example_seed(seed, epoch, index))
