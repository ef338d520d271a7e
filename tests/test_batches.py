"""Length-bucketed batches: the same blocks once per epoch, seeded, with less padding."""

from __future__ import annotations

import random

import pytest

from spanbert_lab.pretrain import TrainConfig
from spanbert_lab.pretrain.batches import epoch_batches, global_batches


def _lengths(n: int, seed: int = 0) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(20, 128) for _ in range(n)]


def _padding(batches: list[list[int]], lengths: list[int]) -> float:
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    real = sum(lengths[i] for b in batches for i in b)
    return 1 - real / padded


def test_bucketed_batches_visit_every_block_once_and_pad_less():
    lengths = _lengths(3_210)
    bucketed = epoch_batches("bucketed", lengths, 32, seed=0, epoch=0)
    plain = epoch_batches("random", lengths, 32, seed=0, epoch=0)
    assert all(len(b) == 32 for b in bucketed)
    seen = [i for b in bucketed for i in b]
    assert len(seen) == len(set(seen)) == 3_210 // 32 * 32, "each block at most once, tail dropped"
    assert set(seen) == {i for b in plain for i in b}, "the same blocks as the plain epoch"
    assert _padding(bucketed, lengths) < 0.05 < 0.25 < _padding(plain, lengths)


def test_bucketed_batches_are_seeded_and_change_every_epoch():
    lengths = _lengths(1_000)
    a = epoch_batches("bucketed", lengths, 16, seed=3, epoch=1)
    assert a == epoch_batches("bucketed", lengths, 16, seed=3, epoch=1)
    assert a != epoch_batches("bucketed", lengths, 16, seed=3, epoch=2)
    assert a != epoch_batches("bucketed", lengths, 16, seed=4, epoch=1)
    # batch order is shuffled: lengths do not simply rise through the epoch
    firsts = [max(lengths[i] for i in b) for b in a]
    assert firsts != sorted(firsts)


def test_random_batching_is_the_old_order():
    lengths = _lengths(100)
    assert epoch_batches("random", lengths, 8, seed=1, epoch=0) == global_batches(
        100, 8, seed=1, epoch=0
    )


def test_unknown_batching_is_refused():
    with pytest.raises(ValueError, match="batching"):
        TrainConfig(batching="sorted")
    with pytest.raises(ValueError, match="batching"):
        epoch_batches("sorted", [1, 2], 1, seed=0, epoch=0)
