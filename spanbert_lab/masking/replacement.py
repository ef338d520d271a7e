"""Replacement: the 80/10/10 rule, per merged span or per token, and the random-token sampler.

Reference: ``docs/spanbert-reference.md#replacement``. SpanBERT makes one draw per merged span
(every token of a span shares its fate); BERT one per token. Random tokens come from the corpus
unigram distribution (the official code samples the dataset's token stream) — the caller passes
the counts — or, when asked for explicitly, uniformly over the non-special vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from spanbert_lab.contracts import Span
from spanbert_lab.masking.config import MaskingConfig
from spanbert_lab.masking.vocab import VocabInfo

MISSING_COUNTS = (
    "random_token_source='unigram' needs unigram counts: pass unigram_counts= "
    "(spanbert_lab.masking.unigram_counts over the training blocks) or choose "
    "MaskingConfig(random_token_source='uniform')"
)


class RandomTokenSampler:
    """Draws random replacement tokens: unigram (inverse CDF) or uniform over non-special ids.

    Neither ever draws a special token ([UNK] included).

    Args:
        info: the tokenizer's :class:`VocabInfo`.
        config: uses ``random_token_source`` and ``random_prob``.
        counts: (V,) unigram counts (see :func:`~spanbert_lab.masking.vocab.unigram_counts`); required
            when ``random_token_source="unigram"`` and ``random_prob > 0``, ignored for uniform.

    Raises:
        ValueError: unigram without counts, or counts with no mass on non-special tokens.
    """

    def __init__(self, info: VocabInfo, config: MaskingConfig, counts: torch.Tensor | None) -> None:
        self.cdf: torch.Tensor | None = None
        self.ids = torch.nonzero(~info.is_special).flatten()
        if config.random_token_source != "unigram":
            return
        if counts is None:
            if config.random_prob > 0:
                raise ValueError(MISSING_COUNTS)
            return  # no token is ever replaced by a random one: nothing to draw from
        weights = torch.as_tensor(counts).to(torch.float64)[: info.vocab_size].clone()
        weights[info.is_special[: weights.numel()]] = 0.0
        if weights.sum() <= 0:
            raise ValueError("unigram_counts has no mass on non-special tokens")
        self.cdf = torch.cumsum(weights, 0) / weights.sum()
        last = int(torch.nonzero(weights).max())
        self.cdf[last:] = 1.0  # float rounding must never reach a zero-count id

    def draw(self, k: int, generator: torch.Generator) -> torch.Tensor:
        """``k`` token ids, long (k,), drawn with ``generator``."""
        if self.cdf is not None:
            u = torch.rand(k, generator=generator, dtype=torch.float64)
            return torch.searchsorted(self.cdf, u, right=True).clamp_(max=self.cdf.numel() - 1)
        return self.ids[torch.randint(self.ids.numel(), (k,), generator=generator)]


def decide_fates(
    spans: Sequence[Span], per_span: bool, config: MaskingConfig, generator: torch.Generator
) -> tuple[list[int], list[int]]:
    """The 80/10/10 decision for the tokens of ``spans`` (in order), from one ``torch.rand`` call.

    Returns:
        The positions that become [MASK] and those that get a random token (the rest keep theirs).
    """
    positions = [p for s, t in spans for p in range(s, t)]
    n_draws = len(spans) if per_span else len(positions)
    u = torch.rand(n_draws, generator=generator, dtype=torch.float64).tolist() if n_draws else []
    if per_span:
        u = [u[j] for j, (s, t) in enumerate(spans) for _ in range(t - s)]
    to_mask, to_random = [], []
    for p, draw in zip(positions, u, strict=True):
        if draw < config.mask_prob:
            to_mask.append(p)
        elif draw < config.mask_prob + config.random_prob:
            to_random.append(p)
    return to_mask, to_random
