"""Every knob of the masking schemes in one frozen dataclass, and the budget rule."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class MaskingConfig:
    """Every knob of the masking schemes; the defaults are the paper's / official code's behaviour.

    Attributes:
        mask_ratio: fraction of a segment's tokens to mask; budget = ceil(mask_ratio · n).
        geometric_p: p of the span-length distribution Geo(p) (in words).
        min_span_words, max_span_words: support of the span length, in words (1..10).
        length_mode: ``"truncate"`` (renormalise on the support — the paper's "clip", mean 3.8) or
            ``"clip"`` (min(L, max), a true clip: mean 4.46).
        anchor: ``"subword"`` (uniform over sub-word positions, moved to its word start — official)
            or ``"word"`` (uniform over words).
        replacement: ``"span"`` (one 80/10/10 draw per merged span), ``"token"`` (one per token) or
            ``"auto"``: the scheme's own unit (its registry entry: per token for ``subword``, as in
            BERT; per span for every other built-in scheme).
        mask_prob, random_prob: the 80/10/10 split; the rest (0.1) keeps the original token.
        random_token_source: ``"unigram"`` (corpus frequencies — official; the caller must pass
            unigram counts, or masking raises) or ``"uniform"`` (uniform over non-special ids).
        max_sbo_targets_per_span: SBO targets per span (the first K tokens), K = 15.
        annotation_prob: ``entity`` / ``noun_phrase``: chance that an iteration masks an annotation.
        annotation_fallback: what the other iterations mask: ``"span"`` (geometric span, official
            code) or ``"whole_word"`` (one random whole word).
    """

    mask_ratio: float = 0.15
    geometric_p: float = 0.2
    min_span_words: int = 1
    max_span_words: int = 10
    length_mode: Literal["truncate", "clip"] = "truncate"
    anchor: Literal["subword", "word"] = "subword"
    replacement: Literal["auto", "span", "token"] = "auto"
    mask_prob: float = 0.8
    random_prob: float = 0.1
    random_token_source: Literal["unigram", "uniform"] = "unigram"
    max_sbo_targets_per_span: int = 15
    annotation_prob: float = 0.5
    annotation_fallback: Literal["span", "whole_word"] = "span"

    def __post_init__(self) -> None:
        if not 0.0 < self.mask_ratio <= 1.0:
            raise self._bad("mask_ratio", "must be in (0, 1]")
        if not 0.0 < self.geometric_p <= 1.0:
            raise self._bad("geometric_p", "must be in (0, 1]")
        for name in ("min_span_words", "max_span_words", "max_sbo_targets_per_span"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise self._bad(name, "must be an integer >= 1")
        if self.max_span_words < self.min_span_words:
            raise self._bad("max_span_words", f"must be >= min_span_words={self.min_span_words}")
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise self._bad(name, f"choose one of {allowed}")
        for name in ("mask_prob", "random_prob", "annotation_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise self._bad(name, "must be in [0, 1]")
        if self.mask_prob + self.random_prob > 1.0 + 1e-12:
            total = self.mask_prob + self.random_prob
            raise self._bad("random_prob", f"mask_prob + random_prob = {total:g} exceeds 1")

    def _bad(self, name: str, why: str) -> ValueError:
        return ValueError(f"MaskingConfig.{name}={getattr(self, name)!r}: {why}")


#: the allowed values of each string-valued field (command lines offer them as choices)
CHOICES: dict[str, tuple[str, ...]] = {
    "length_mode": ("truncate", "clip"),
    "anchor": ("subword", "word"),
    "replacement": ("auto", "span", "token"),
    "random_token_source": ("unigram", "uniform"),
    "annotation_fallback": ("span", "whole_word"),
}


def mask_budget(n: int, ratio: float = 0.15) -> int:
    """Tokens to mask in a segment of n real tokens: ceil(ratio · n), exact for decimal ratios.

    (The 1e-9 guards against float noise: 0.15 · 100 = 15.000000000000002 must give 15.)
    """
    return math.ceil(ratio * n - 1e-9)
