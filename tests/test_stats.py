"""The Wilson interval against published values, and its edge cases."""

from __future__ import annotations

import math

import pytest
import torch

from spanbert_lab.stats import (
    paired_difference,
    seed_aware_difference,
    t_quantile_95,
    wilson_interval,
)


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


# --- the seed-aware interval (pretraining seeds × fine-tuning seeds × examples) ----------------


def _synthetic_study(g, *, seeds=(3, 3), finetune=2, examples=200, pretrain_sd=2.0,
                     finetune_sd=1.0, noise_sd=5.0, interaction_sd=0.0, effect=0.0):  # fmt: skip
    """Two recipes' (P, F, E) scores: example difficulty shared, every other source independent."""
    difficulty = torch.randn(examples, generator=g, dtype=torch.float64) * 10
    arms = []
    for k, p in enumerate(seeds):
        pretrain = torch.randn(p, 1, 1, generator=g, dtype=torch.float64) * pretrain_sd
        tune = torch.randn(p, finetune, 1, generator=g, dtype=torch.float64) * finetune_sd
        noise = torch.randn(p, finetune, examples, generator=g, dtype=torch.float64) * noise_sd
        inter = torch.randn(examples, generator=g, dtype=torch.float64) * interaction_sd
        arms.append(50 + (effect if k == 0 else 0) + pretrain + tune + difficulty + inter + noise)
    return arms


@pytest.mark.parametrize(
    "setting",
    [
        {},  # seed variance at both levels
        {"seeds": (3, 2)},
        {"seeds": (2, 2), "pretrain_sd": 5.0},
        {"pretrain_sd": 0.0, "finetune_sd": 0.0},  # only run-to-run noise
        {"pretrain_sd": 0.0, "finetune_sd": 0.0, "interaction_sd": 3.0},  # examples matter
        {"interaction_sd": 3.0},
    ],
)
def test_seed_aware_interval_covers_a_null_effect_about_95_percent(setting):
    g = torch.Generator().manual_seed(0)
    studies = 1000
    covered = sum(
        r["low"] <= 0.0 <= r["high"]
        for r in (seed_aware_difference(*_synthetic_study(g, **setting)) for _ in range(studies))
    )
    # binomial sd at 95% over 1000 studies is 0.7 points; the Welch df make it a bit conservative
    assert 0.93 <= covered / studies <= 0.985, f"coverage {covered / studies:.3f} for {setting}"


def test_an_example_bootstrap_alone_misses_seed_variance():
    """Why the seed-aware interval exists: resampling examples of seed-averaged scores covers a
    null effect far less than 95% of the time when pretraining seeds vary."""
    g = torch.Generator().manual_seed(1)
    covered = 0
    for _ in range(200):
        a, b = _synthetic_study(g, pretrain_sd=3.0)
        _, low, high = paired_difference(
            a.mean(dim=(0, 1)), b.mean(dim=(0, 1)), n_resamples=200, generator=g
        )
        covered += low <= 0.0 <= high
    assert covered / 200 < 0.8, f"the example bootstrap covered {covered / 200:.2f}"


def test_seed_aware_interval_finds_a_real_effect_and_reports_its_parts():
    g = torch.Generator().manual_seed(2)
    results = [seed_aware_difference(*_synthetic_study(g, effect=12.0)) for _ in range(100)]
    found = sum(r["low"] > 0 for r in results)
    assert found >= 90, f"a +12 effect was found in only {found} of 100 studies"
    assert abs(sum(r["diff"] for r in results) / 100 - 12.0) < 1.0
    for r in results:
        assert r["se"] ** 2 == pytest.approx(r["se_seeds"] ** 2 + r["se_examples"] ** 2)
        assert r["df"] >= 2


def test_seed_aware_interval_of_arms_whose_seeds_agree_exactly():
    """No seed variance at all (e.g. two arms that abstain on every question of a subset):
    infinite degrees of freedom, the normal quantile, and no crash."""
    same = seed_aware_difference(torch.zeros(2, 1, 5), torch.zeros(3, 1, 5))
    assert (same["diff"], same["low"], same["high"]) == (0.0, 0.0, 0.0)
    assert same["df"] == float("inf")
    shifted = torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0]).expand(2, 2, 5)
    r = seed_aware_difference(shifted, torch.zeros(3, 1, 5))
    assert r["diff"] == pytest.approx(0.6) and r["low"] <= 0.6 <= r["high"]


def test_seed_aware_interval_rejects_bad_shapes():
    ok = torch.zeros(2, 1, 5)
    with pytest.raises(ValueError, match="pretrain seeds, finetune seeds, examples"):
        seed_aware_difference(torch.zeros(2, 5), ok)
    with pytest.raises(ValueError, match="at least 2 pretraining seeds"):
        seed_aware_difference(torch.zeros(1, 2, 5), ok)
    with pytest.raises(ValueError, match="different examples"):
        seed_aware_difference(torch.zeros(2, 1, 4), ok)


def test_t_quantile_matches_the_table_and_errs_wide_between_rows():
    assert t_quantile_95(1) == 12.706 and t_quantile_95(2) == 4.303 and t_quantile_95(30) == 2.042
    assert t_quantile_95(1e9) == pytest.approx(1.96, abs=1e-6)
    assert t_quantile_95(float("inf")) == 1.96
    scipy_stats = pytest.importorskip("scipy.stats")
    for df in (1.5, 2.5, 3.5, 7.25, 12.3, 35.0, 80.0, 500.0):
        exact = float(scipy_stats.t.ppf(0.975, df))
        assert exact - 1e-3 <= t_quantile_95(df) <= exact + (1.2 if df < 2 else 0.07), df
    with pytest.raises(ValueError, match="degrees of freedom"):
        t_quantile_95(0.5)


def test_welch_interval_matches_scipy():
    from scipy import stats as sps

    from spanbert_lab.stats import welch_interval

    a, b = [0.71, 0.74, 0.69, 0.75, 0.70], [0.60, 0.68, 0.55, 0.66, 0.61, 0.64]
    diff, low, high = welch_interval(a, b)
    ci = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert diff == pytest.approx(sum(a) / 5 - sum(b) / 6)
    assert (low, high) == pytest.approx((ci.low, ci.high), abs=2e-3)  # tabulated t, interpolated df
    with pytest.raises(ValueError, match="at least 2 values"):
        welch_interval([1.0], b)
    with pytest.raises(ValueError, match="both samples are constant"):
        welch_interval([1.0, 1.0], [2.0, 2.0])
