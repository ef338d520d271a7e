"""Span lengths, in words: the distribution and the one sampler.

Change the distribution here (``docs/spanbert-reference.md#span-lengths``): every scheme that draws
a length goes through :func:`length_sampler`, and :func:`sample_span_lengths` is the same rule
vectorised.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable

import torch

from spanbert_lab.masking.config import MaskingConfig


def span_length_pmf(config: MaskingConfig | None = None) -> torch.Tensor:
    """P(L = l) for l = min_span_words..max_span_words, float64 of shape (max - min + 1,).

    ``truncate``: w(l) = p(1-p)^(l-min), renormalised (``docs/spanbert-reference.md#span-lengths``);
    ``clip``: the geometric mass beyond the maximum is piled on the maximum.
    """
    cfg = config or MaskingConfig()
    k = torch.arange(cfg.max_span_words - cfg.min_span_words + 1, dtype=torch.float64)
    weights = cfg.geometric_p * (1.0 - cfg.geometric_p) ** k
    if cfg.length_mode == "truncate":
        return weights / weights.sum()
    weights[-1] = (1.0 - cfg.geometric_p) ** k[-1]  # P(L >= max)
    return weights


@functools.lru_cache(maxsize=64)
def length_cdf(config: MaskingConfig) -> list[float]:
    """Cumulative span-length probabilities (inverse-CDF sampling: L = min + #{cdf <= u})."""
    return torch.cumsum(span_length_pmf(config), 0).tolist()


def length_sampler(config: MaskingConfig) -> Callable[[float], int]:
    """``u`` in [0, 1) -> the span length (words) it stands for, by inverse CDF.

    Build it once per segment: the returned function is what every geometric draw calls.
    """
    cdf, lower, upper = length_cdf(config), config.min_span_words, config.max_span_words

    def length(u: float) -> int:
        return min(lower + bisect.bisect_right(cdf, u), upper)

    return length


def sample_span_lengths(
    n: int, config: MaskingConfig | None = None, *, generator: torch.Generator
) -> torch.Tensor:
    """``n`` span lengths in words, long tensor (n,), drawn with ``generator``."""
    cfg = config or MaskingConfig()
    cdf = torch.tensor(length_cdf(cfg), dtype=torch.float64)
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    return torch.searchsorted(cdf, u, right=True).clamp_(max=cdf.numel() - 1) + cfg.min_span_words
