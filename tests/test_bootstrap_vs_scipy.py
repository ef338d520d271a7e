"""The course's percentile bootstrap (``spanbert_lab.stats``, the taught version) equals
``scipy.stats.bootstrap(method="percentile")`` on the same inputs.

Two comparisons, because the two libraries draw from different generators (a ``torch.Generator``
against NumPy's):

1. **Same resamples, exact.** ``scipy.stats.bootstrap`` accepts a bootstrap distribution from an
   earlier run (``bootstrap_result=``, with ``n_resamples=0``) and takes its interval from those
   values alone. We hand it the statistic on the very resamples ``bootstrap_interval`` uses — all
   row indices come from one ``torch.randint(0, N, (B, N))`` call on the given generator — so the
   two intervals must agree to rounding. This pins the percentile rule: the 2.5% and 97.5%
   quantiles, linearly interpolated, for any statistic (a mean, a ratio of sums over rows).
2. **Each its own resamples, within Monte-Carlo error.** With fixed seeds on both sides the two
   intervals are two independent Monte-Carlo estimates of the same bootstrap quantiles; they must
   agree within a bound derived from the quantile estimator's standard error. This checks the
   resampling itself (N rows drawn uniformly with replacement; for paired scores, rows kept
   together), which the first comparison takes as given.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scipy import stats as scipy_stats

from spanbert_lab.stats import bootstrap_interval, paired_difference


def _data(kind: str, n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if kind == "accuracy":  # 0/1 correctness
        return (torch.rand(n, generator=g, dtype=torch.float64) < 0.7).double()
    if kind == "reciprocal_rank":  # 1, 1/2, 1/3, ... skewed towards 1
        ranks = 1 + torch.floor(
            torch.log(torch.rand(n, generator=g, dtype=torch.float64)) / math.log(0.4)
        )
        return 1 / ranks
    return torch.randn(n, generator=g, dtype=torch.float64) * 2 + 1  # a continuous score


# --- 1. same resamples: exact ----------------------------------------------------------------


def _scipy_interval_over(distribution: torch.Tensor, data: np.ndarray) -> tuple[float, float]:
    res = scipy_stats.bootstrap(
        (data,),
        np.mean,
        n_resamples=0,
        method="percentile",
        confidence_level=0.95,
        bootstrap_result=SimpleNamespace(bootstrap_distribution=distribution.numpy()),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


@pytest.mark.parametrize("kind", ["accuracy", "reciprocal_rank", "continuous"])
@pytest.mark.parametrize(("n", "resamples", "seed"), [(2, 50, 0), (7, 200, 1), (150, 1000, 2)])
def test_same_resamples_give_scipys_percentile_interval(kind, n, resamples, seed) -> None:
    x = _data(kind, n, seed)
    value, low, high = bootstrap_interval(
        x, n_resamples=resamples, generator=torch.Generator().manual_seed(seed)
    )
    idx = torch.randint(0, n, (resamples, n), generator=torch.Generator().manual_seed(seed))
    distribution = x[idx].mean(1)
    want_low, want_high = _scipy_interval_over(distribution, x.numpy())
    assert value == pytest.approx(float(x.mean()), abs=1e-12)
    assert (low, high) == pytest.approx((want_low, want_high), abs=1e-12), (
        f"ours [{low}, {high}] vs scipy on the same resamples [{want_low}, {want_high}]"
    )


def test_same_resamples_with_a_statistic_over_rows() -> None:
    """(N, 2) rows resampled together, statistic = ratio of column sums (a micro-averaged
    precision: correct / predicted per example)."""
    g = torch.Generator().manual_seed(5)
    predicted = torch.randint(0, 4, (120,), generator=g).double()
    correct = torch.floor(predicted * torch.rand(120, generator=g, dtype=torch.float64))
    rows = torch.stack([correct, predicted], dim=1)

    def ratio(s: torch.Tensor) -> torch.Tensor:
        return s[:, 0].sum() / s[:, 1].sum()

    value, low, high = bootstrap_interval(
        rows, statistic=ratio, n_resamples=800, generator=torch.Generator().manual_seed(9)
    )
    idx = torch.randint(0, 120, (800, 120), generator=torch.Generator().manual_seed(9))
    distribution = torch.stack([ratio(rows[i]) for i in idx])
    res = scipy_stats.bootstrap(
        (correct.numpy(), predicted.numpy()),
        lambda c, p, axis=-1: c.sum(axis) / p.sum(axis),
        paired=True,
        n_resamples=0,
        method="percentile",
        bootstrap_result=SimpleNamespace(bootstrap_distribution=distribution.numpy()),
    )
    assert value == pytest.approx(float(correct.sum() / predicted.sum()), abs=1e-12)
    got, want = (low, high), (res.confidence_interval.low, res.confidence_interval.high)
    assert got == pytest.approx(want, abs=1e-12), f"ours {got} vs scipy {want}"


# --- 2. own resamples: within Monte-Carlo error -----------------------------------------------

B = 4000  # resamples on each side
Z = 1.959964  # the 97.5% normal quantile


def _mc_tolerance(x: np.ndarray, resamples: int, sigmas: float = 5.0) -> float:
    """``sigmas`` standard errors of the difference of two independent B-resample estimates of
    the 2.5% (or 97.5%) quantile of the bootstrap distribution of a mean.

    That distribution is close to normal with sd ``se = std(x, ddof=0) / sqrt(N)`` (N ≥ 100 here).
    A sample q-quantile of B draws has standard error ``sqrt(q (1 - q) / B) / f(ξ_q)``, and the
    normal density at its 2.5% quantile is ``φ(1.96) / se``; two independent estimates differ by
    √2 times that.
    """
    se = float(np.std(x)) / math.sqrt(len(x))
    density = math.exp(-(Z**2) / 2) / math.sqrt(2 * math.pi) / se
    one = math.sqrt(0.025 * 0.975 / resamples) / density
    return sigmas * math.sqrt(2) * one


@pytest.mark.parametrize("kind", ["accuracy", "reciprocal_rank", "continuous"])
@pytest.mark.parametrize("seed", [0, 1])
def test_own_resamples_agree_with_scipy_within_monte_carlo_error(kind, seed) -> None:
    x = _data(kind, 300, 10 + seed)
    _, low, high = bootstrap_interval(
        x, n_resamples=B, generator=torch.Generator().manual_seed(seed)
    )
    res = scipy_stats.bootstrap(
        (x.numpy(),),
        np.mean,
        n_resamples=B,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    tol = _mc_tolerance(x.numpy(), B)
    for name, ours, theirs in (
        ("low", low, res.confidence_interval.low),
        ("high", high, res.confidence_interval.high),
    ):
        assert abs(ours - theirs) < tol, (
            f"{kind}: {name} ours {ours:.5f}, scipy {theirs:.5f}, |diff| "
            f"{abs(ours - theirs):.5f} over the Monte-Carlo bound {tol:.5f}"
        )
    # and the bound is tight enough to matter: an interval 20% too wide or narrow would fail it
    assert tol < 0.2 * (high - low) / 2, (tol, high - low)


def test_paired_difference_agrees_with_scipy_paired_within_monte_carlo_error() -> None:
    g = torch.Generator().manual_seed(3)
    base = torch.rand(300, generator=g, dtype=torch.float64)
    a = (base < 0.75).double()
    b = ((base + 0.1 * torch.randn(300, generator=g, dtype=torch.float64)) < 0.7).double()
    _, low, high = paired_difference(
        a, b, n_resamples=B, generator=torch.Generator().manual_seed(4)
    )
    res = scipy_stats.bootstrap(
        (a.numpy(), b.numpy()),
        lambda u, v, axis=-1: (u - v).mean(axis),
        paired=True,
        n_resamples=B,
        method="percentile",
        rng=np.random.default_rng(4),
    )
    tol = _mc_tolerance((a - b).numpy(), B)
    got, want = (low, high), (res.confidence_interval.low, res.confidence_interval.high)
    assert max(abs(u - v) for u, v in zip(got, want, strict=True)) < tol, (got, want, tol)
    # unpaired resampling would give a much wider interval: the comparison can tell them apart
    unpaired = scipy_stats.bootstrap(
        (a.numpy(), b.numpy()),
        lambda u, v, axis=-1: u.mean(axis) - v.mean(axis),
        n_resamples=B,
        method="percentile",
        rng=np.random.default_rng(4),
    ).confidence_interval
    assert (unpaired.high - unpaired.low) - (high - low) > 2 * tol
