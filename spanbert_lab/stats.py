"""Confidence intervals: bootstrap over examples (paired for two systems), Student t over seeds.

Every random draw takes an explicit ``torch.Generator``; nothing here touches a global state.
"""

from __future__ import annotations

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
