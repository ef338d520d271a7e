"""Confidence intervals: bootstrap over examples (paired for two systems), Student t over seeds,
and a seed-aware interval for comparing two pretraining recipes.

Every random draw takes an explicit ``torch.Generator``; nothing here touches a global state.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import torch

# Two-sided 95% Student-t quantiles for 1..30 degrees of freedom (from the t distribution).
_T95 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)
# Beyond 30 degrees of freedom, (df, quantile) rows; the normal quantile 1.96 is the limit.
_T95_LARGE = ((30, 2.042), (40, 2.021), (60, 2.000), (120, 1.980), (math.inf, 1.960))


def t_quantile_95(df: float) -> float:
    """The two-sided 95% Student-t quantile for ``df`` ≥ 1 degrees of freedom.

    Tabulated at whole degrees of freedom; a fractional ``df`` (Welch–Satterthwaite) is
    interpolated linearly in ``1 / df``. The quantile is convex in ``1 / df``, so this errs on the
    wide side: by 1.1 at df = 1.5, 0.06 at 2.5, under 0.01 from df = 3.5 on.
    """
    if not df >= 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if math.isinf(df):  # e.g. no seed varies at all: the normal quantile
        return 1.96
    if df == int(df) and df <= len(_T95):
        return _T95[int(df) - 1]
    rows = [(k + 1.0, q) for k, q in enumerate(_T95)] + list(_T95_LARGE[1:])
    for (d0, q0), (d1, q1) in itertools.pairwise(rows):
        if d0 <= df <= d1:
            if math.isinf(d1):
                return q0 + (q1 - q0) * (1 / d0 - 1 / df) / (1 / d0)
            return q0 + (q1 - q0) * (1 / d0 - 1 / df) / (1 / d0 - 1 / d1)
    return 1.96


def t_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and 95% Student-t interval of ``values`` (e.g. one score per seed).

    Raises:
        ValueError: fewer than 2 values.
    """
    n = len(values)
    if n < 2:
        raise ValueError(f"t_interval needs at least 2 values, got {n}")
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = (_T95[n - 2] if n - 1 <= len(_T95) else 1.96) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def welch_interval(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """``mean(a) - mean(b)`` with the 95% Welch interval (two independent samples, unequal
    variances; Welch–Satterthwaite degrees of freedom).

    Raises:
        ValueError: a sample with fewer than 2 values, or both without spread.
    """
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"welch_interval needs at least 2 values each, got {len(a)} and {len(b)}")
    means = [sum(x) / len(x) for x in (a, b)]
    var = [sum((v - m) ** 2 for v in x) / (len(x) - 1) / len(x) for x, m in zip((a, b), means, strict=True)]  # fmt: skip
    if sum(var) == 0:
        raise ValueError("welch_interval: both samples are constant")
    df = sum(var) ** 2 / sum(v**2 / (len(x) - 1) for v, x in zip(var, (a, b), strict=True))
    diff, half = means[0] - means[1], t_quantile_95(max(df, 1.0)) * math.sqrt(sum(var))
    return diff, diff - half, diff + half


def wilson_interval(
    correct: torch.Tensor | float, total: torch.Tensor | float, *, z: float = 1.96
) -> tuple[torch.Tensor, torch.Tensor]:
    """Wilson score interval of a proportion ``correct / total`` (95% at ``z = 1.96``).

    Elementwise on tensors; bins with ``total == 0`` give NaN. It treats the ``total`` trials as
    independent: tokens of the same span are not, so read it as a lower bound on the uncertainty.

    Returns:
        ``(low, high)``, each shaped like the broadcast inputs.
    """
    k = torch.as_tensor(correct, dtype=torch.float64)
    n = torch.as_tensor(total, dtype=torch.float64)
    if bool((k < 0).any()) or bool((k > n).any()):
        raise ValueError("wilson_interval needs 0 <= correct <= total")
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * torch.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (centre - half).clamp(0.0, 1.0), (centre + half).clamp(0.0, 1.0)  # no -0.0 from rounding


def bootstrap_interval(
    scores: Sequence[float] | torch.Tensor,
    *,
    statistic: Callable[[torch.Tensor], torch.Tensor] | None = None,
    n_resamples: int = 1000,
    generator: torch.Generator,
) -> tuple[float, float, float]:
    """A statistic of per-example ``scores`` and its 95% percentile bootstrap interval.

    Args:
        scores: (N,) per-example values (e.g. reciprocal ranks), or (N, K) rows resampled together.
        statistic: maps a resample (M, ...) to a scalar tensor; default the mean of column 0
            (or of the vector).
        n_resamples: bootstrap resamples.
        generator: draws the resample indices.

    Returns:
        ``(value, low, high)``.
    """
    x = torch.as_tensor(scores, dtype=torch.float64)
    if x.shape[0] < 1:
        raise ValueError("bootstrap_interval needs at least one score")
    stat = statistic or (lambda s: s.mean(0) if s.dim() == 1 else s[:, 0].mean(0))
    idx = torch.randint(0, x.shape[0], (n_resamples, x.shape[0]), generator=generator)
    values = torch.stack([stat(x[i]) for i in idx])
    low, high = torch.quantile(values, torch.tensor([0.025, 0.975], dtype=torch.float64)).tolist()
    return float(stat(x)), low, high


def paired_difference(
    a: Sequence[float] | torch.Tensor,
    b: Sequence[float] | torch.Tensor,
    *,
    n_resamples: int = 1000,
    generator: torch.Generator,
) -> tuple[float, float, float]:
    """Mean of ``a - b`` over the same examples, with a paired bootstrap 95% interval."""
    a_t, b_t = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    if a_t.shape != b_t.shape:
        raise ValueError(f"paired scores differ in shape: {tuple(a_t.shape)} vs {tuple(b_t.shape)}")
    return bootstrap_interval(a_t - b_t, n_resamples=n_resamples, generator=generator)


def fmt_ci(value: float, low: float, high: float, digits: int = 3) -> str:
    """``0.512 [0.480, 0.545]``: a value and its interval, rounded."""
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def verdict(a: str, b: str, interval: Sequence[float], digits: int = 3) -> str:
    """One line reading a difference ``a - b`` and its 95% interval ``[value, low, high]``."""
    value, low, high = interval[:3]
    text = f"{a} − {b} = {value:+.{digits}f} [{low:+.{digits}f}, {high:+.{digits}f}]: "
    if low > 0:
        return text + f"{a} is better (the interval excludes 0)"
    if high < 0:
        return text + f"{b} is better (the interval excludes 0)"
    return text + "no difference shown (the interval includes 0)"


def seed_aware_difference(
    a: torch.Tensor | Sequence[Sequence[Sequence[float]]],
    b: torch.Tensor | Sequence[Sequence[Sequence[float]]],
) -> dict[str, float]:
    """Mean difference of two pretraining recipes and a 95% interval that counts every seed.

    Each recipe is pretrained with several seeds, each encoder fine-tuned with several seeds, and
    every fine-tuned model scored on the same test examples. The difference of grand means varies
    for three reasons: which pretraining seeds were drawn, which fine-tuning seeds, and which test
    examples. A bootstrap over examples sees only the last; a percentile bootstrap over two or
    three pretraining seeds cannot reach 95% coverage either (resampling three values
    under-states their spread). So the interval is built from variance components (a two-level
    random-effects analysis), one per independent source:

    - **seeds**, per recipe: the sample variance of its per-pretraining-seed means (each the mean
      over its fine-tuning seeds and the examples) over the number of pretraining seeds.
      Fine-tuning seeds and run-to-run noise are inside these means.
    - **examples**: how much the recipes' difference depends on *which* examples were drawn. The
      examples are shared, so the comparison is paired: an example's difficulty cancels. What is
      left is the recipe × example interaction, estimated as the variance of the per-example
      difference minus the part that run-to-run noise alone puts there (each recipe's residual
      variance after removing run and example means, over its number of runs), floored at 0,
      over the number of examples.

    The two are added; the degrees of freedom come from Welch–Satterthwaite over the seed parts
    (the example part, estimated from hundreds of examples, counts as exact), and the quantile is
    Student's t (:func:`t_quantile_95`). ``tests/test_stats.py`` checks on synthetic scores with
    a known null effect that the interval covers 0 about 95% of the time, with and without seed
    variance and interaction (measured: 95–97%; the Welch degrees of freedom make it a little
    conservative with two or three seeds).

    Args:
        a, b: (P, F, E) scores: P pretraining seeds (at least 2), F fine-tuning seeds, E examples
            (at least 2); P and F may differ between the two, the examples (same ones, same order)
            may not.

    Returns:
        ``{"diff", "low", "high", "df", "se", "se_seeds", "se_examples"}``.
    """
    x, y = (torch.as_tensor(v, dtype=torch.float64) for v in (a, b))
    for name, t in (("a", x), ("b", y)):
        if t.dim() != 3:
            raise ValueError(
                f"{name} must be (pretrain seeds, finetune seeds, examples), got {tuple(t.shape)}"
            )
        if t.shape[0] < 2 or t.shape[2] < 2:
            raise ValueError(
                f"{name} has shape {tuple(t.shape)}: at least 2 pretraining seeds and 2 examples"
            )
    if x.shape[2] != y.shape[2]:
        raise ValueError(f"a and b are scored on different examples: {x.shape[2]} vs {y.shape[2]}")
    seed_means = [t.mean(dim=(1, 2)) for t in (x, y)]  # (P,) each
    seed_vars = [float(m.var()) / m.numel() for m in seed_means]
    per_example = x.mean(dim=(0, 1)) - y.mean(dim=(0, 1))  # (E,)
    noise = sum(_residual_variance(t) / (t.shape[0] * t.shape[1]) for t in (x, y))
    interaction = max(0.0, float(per_example.var()) - noise)
    example_var = interaction / per_example.numel()
    total = sum(seed_vars) + example_var
    denominator = sum(v**2 / (m.numel() - 1) for v, m in zip(seed_vars, seed_means, strict=True))
    df = total**2 / denominator if denominator > 0 else float("inf")
    diff = float(x.mean() - y.mean())
    half = t_quantile_95(max(df, 1.0)) * math.sqrt(total)
    return {
        "diff": diff,
        "low": diff - half,
        "high": diff + half,
        "df": df,
        "se": math.sqrt(total),
        "se_seeds": math.sqrt(sum(seed_vars)),
        "se_examples": math.sqrt(example_var),
    }


def _residual_variance(scores: torch.Tensor) -> float:
    """Run-to-run noise of one recipe: (P, F, E) scores as (runs, examples), the variance left
    after removing each run's mean and each example's mean (two-way layout, (R−1)(E−1) df)."""
    m = scores.reshape(-1, scores.shape[2])  # (R, E)
    r, e = m.shape
    if r < 2:
        return 0.0
    resid = m - m.mean(1, keepdim=True) - m.mean(0, keepdim=True) + m.mean()
    return float(resid.square().sum()) / ((r - 1) * (e - 1))
