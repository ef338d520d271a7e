"""The Wilson interval against published values, and its edge cases."""

from __future__ import annotations

import math

import pytest
import torch

from spanbert_lab.stats import wilson_interval


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [  # Wilson 95% score intervals (z = 1.96), as tabulated by Newcombe (1998), Table I
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombes_table(k, n, low, high):
    lo, hi = wilson_interval(k, n)
    assert float(lo) == pytest.approx(low, abs=1e-4)
    assert float(hi) == pytest.approx(high, abs=1e-4)


def test_wilson_is_elementwise_and_contains_the_proportion():
    correct = torch.tensor([0.0, 3.0, 10.0, 0.0])
    total = torch.tensor([10.0, 10.0, 10.0, 0.0])
    low, high = wilson_interval(correct, total)
    p = correct[:3] / total[:3]
    assert bool(((low[:3] <= p) & (p <= high[:3])).all())
    assert float(high[2]) == pytest.approx(1.0) and float(low[0]) == pytest.approx(0.0)
    assert math.copysign(1.0, float(wilson_interval(0, 3305)[0])) == 1.0, "never prints as -0.0"
    assert math.isnan(float(low[3])) and math.isnan(float(high[3]))  # an empty bin says nothing
    narrow = wilson_interval(300, 1000)
    wide = wilson_interval(3, 10)
    assert float(narrow[1] - narrow[0]) < float(wide[1] - wide[0])


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError, match="0 <= correct <= total"):
        wilson_interval(11, 10)
