"""Masking schemes: one selector function per scheme, and the registry that names them.

A selector chooses the masked tokens of one *segment* (a maximal run of real text tokens, local
coordinates 0..n-1) and nothing else: merging, SBO targets and 80/10/10 are the same for every
scheme and live in :mod:`~spanbert_lab.masking.targets` and
:mod:`~spanbert_lab.masking.replacement`. Reference: ``docs/spanbert-reference.md#span-masking``.

Adding a scheme is one selector plus one :data:`REGISTRY` entry (:func:`register_scheme`): the
collator, ``mask_batch`` and the widgets look everything up here, including which annotation kind
(``contracts.ANNOTATION_KINDS``) the scheme reads from an example.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import torch

from spanbert_lab.contracts import ANNOTATION_KINDS, Span
from spanbert_lab.masking.config import MaskingConfig
from spanbert_lab.masking.lengths import length_sampler


class DrawnSpan(NamedTuple):
    """One accepted draw, before merging: tokens ``[start, end)`` (cut at the budget) and the drawn
    length in words (1 for whole words and sub-word positions, 0 for an annotated span)."""

    start: int
    end: int
    length: int


class Segment(NamedTuple):
    """What a selector sees of one segment, in local coordinates 0..n-1.

    Attributes:
        n: number of tokens.
        word_starts: increasing token indices where words start (includes 0).
        annotated: the scheme's annotation spans inside the segment (half-open).
        ids: the segment's token ids (empty when the caller has none, e.g. :func:`select_tokens`).
    """

    n: int
    word_starts: Sequence[int]
    annotated: Sequence[Span] = ()
    ids: Sequence[int] = ()


Selection = tuple[bytearray, list[DrawnSpan]]
Selector = Callable[[Segment, int, MaskingConfig, torch.Generator], Selection]
"""``select(segment, budget, config, generator) -> (masked, drawn)``: ``masked`` has n bytes
(1 = selected); ``drawn`` lists the accepted draws in order. Draw only from ``generator``."""


@dataclass(frozen=True)
class SchemeSpec:
    """A registry entry.

    Attributes:
        select: the scheme's :data:`Selector`.
        annotation_kind: the example key (one of ``contracts.ANNOTATION_KINDS``) whose spans the
            selector needs as ``Segment.annotated``; ``None`` for none.
        replacement: the 80/10/10 unit that ``MaskingConfig(replacement="auto")`` means.
    """

    select: Selector
    annotation_kind: str | None = None
    replacement: Literal["span", "token"] = "span"


def select_subword(
    segment: Segment, budget: int, _config: MaskingConfig, g: torch.Generator
) -> Selection:
    """BERT: ``budget`` sub-word positions uniformly without replacement."""
    masked = bytearray(segment.n)
    drawn = []
    for t in torch.randperm(segment.n, generator=g)[:budget].tolist():
        masked[t] = 1
        drawn.append(DrawnSpan(t, t + 1, 1))
    return masked, drawn


def select_whole_word(
    segment: Segment, budget: int, _config: MaskingConfig, g: torch.Generator
) -> Selection:
    """Whole words in random order up to the budget; a word that would overshoot it is skipped."""
    masked = bytearray(segment.n)
    drawn: list[DrawnSpan] = []
    starts = list(segment.word_starts)
    ends = [*starts[1:], segment.n]
    count = 0
    for w in torch.randperm(len(starts), generator=g).tolist():
        size = ends[w] - starts[w]
        if count + size > budget:
            continue  # BERT's whole-word rule: never exceed the budget
        masked[starts[w] : ends[w]] = b"\x01" * size
        drawn.append(DrawnSpan(starts[w], ends[w], 1))
        count += size
        if count == budget:
            break
    return masked, drawn


def select_span(
    segment: Segment, budget: int, config: MaskingConfig, g: torch.Generator
) -> Selection:
    """SpanBERT: geometric spans of whole words until exactly ``budget`` tokens are masked."""
    return _geometric_spans(segment, budget, config, g, annotated=(), whole_word=False)


def select_annotated(
    segment: Segment, budget: int, config: MaskingConfig, g: torch.Generator
) -> Selection:
    """``entity`` / ``noun_phrase``: with probability ``annotation_prob`` a whole annotated span,
    otherwise the fallback (a geometric span, or one whole word) — ``NERSpanMaskingScheme``."""
    whole_word = config.annotation_fallback == "whole_word"
    return _geometric_spans(segment, budget, config, g, segment.annotated, whole_word)


class _Words(NamedTuple):
    starts: list[int]
    ends: list[int]
    of: list[int]  # token -> index of its word

    @classmethod
    def of_segment(cls, segment: Segment) -> _Words:
        starts = list(segment.word_starts)
        ends = [*starts[1:], segment.n]
        word_of = [0] * segment.n
        for w, (s, e) in enumerate(zip(starts, ends, strict=True)):
            word_of[s:e] = [w] * (e - s)
        return cls(starts, ends, word_of)


def _geometric_spans(
    segment: Segment,
    budget: int,
    cfg: MaskingConfig,
    g: torch.Generator,
    annotated: Sequence[Span],
    whole_word: bool,
) -> Selection:
    """The official loop: draw (length, anchor, coin), reject a masked anchor, add the span's
    tokens (set semantics) and stop exactly at the budget, mid-span if need be."""
    words = _Words.of_segment(segment)
    length_of = length_sampler(cfg)
    masked = bytearray(segment.n)
    drawn: list[DrawnSpan] = []
    high = segment.n if cfg.anchor == "subword" else len(words.starts)
    chunk = max(8, budget)
    u: list[float] = []
    count = 0
    while count < budget:
        if len(u) < 3:  # one torch call per chunk of draws: (length, anchor, coin) triples
            u = torch.rand(3 * chunk, generator=g, dtype=torch.float64).tolist()[::-1]
        u_len, u_anchor, coin = u.pop(), u.pop(), u.pop()
        span = _annotated_span(annotated, masked, coin, cfg)
        if span is None:
            length = 1 if whole_word else length_of(u_len)
            anchor = min(int(u_anchor * high), high - 1)
            span = _word_span(words, anchor, length, masked, cfg)
        if span is None:
            continue  # the official code rejects a masked anchor and draws again
        start, end, length = span
        for t in range(start, end):
            if not masked[t]:  # set semantics: tokens already masked are a no-op
                masked[t] = 1
                count += 1
                if count == budget:  # the budget is exact: stop mid-span if need be
                    end = t + 1
                    break
        drawn.append(DrawnSpan(start, end, length))
    return masked, drawn


def _annotated_span(
    annotated: Sequence[Span], masked: bytearray, coin: float, cfg: MaskingConfig
) -> DrawnSpan | None:
    """A whole annotated span, uniformly among those whose start is still free, if the coin
    says so and one is free."""
    if not annotated or coin >= cfg.annotation_prob:
        return None
    free = [a for a in annotated if not masked[a[0]]]
    if not free:
        return None
    start, end = free[int(coin / cfg.annotation_prob * len(free))]
    return DrawnSpan(start, end, 0)


def _word_span(
    words: _Words, anchor: int, length: int, masked: bytearray, cfg: MaskingConfig
) -> DrawnSpan | None:
    """``length`` words from the word holding the anchor; ``None`` if the anchor is masked."""
    token = anchor if cfg.anchor == "subword" else words.starts[anchor]
    if masked[token]:
        return None
    w = words.of[token]
    last = min(w + length, len(words.starts)) - 1
    return DrawnSpan(words.starts[w], words.ends[last], length)


REGISTRY: dict[str, SchemeSpec] = {
    "subword": SchemeSpec(select_subword, replacement="token"),
    "whole_word": SchemeSpec(select_whole_word),
    "span": SchemeSpec(select_span),
    "entity": SchemeSpec(select_annotated, annotation_kind="entities"),
    "noun_phrase": SchemeSpec(select_annotated, annotation_kind="noun_phrases"),
}
"""Scheme name → :class:`SchemeSpec`. Add an entry (or call :func:`register_scheme`) for a new
scheme; nothing else in the library needs to change."""

SCHEMES: tuple[str, ...] = tuple(REGISTRY)
"""The built-in schemes, in the course's order."""


def register_scheme(name: str, spec: SchemeSpec) -> None:
    """Add ``spec`` to :data:`REGISTRY` under ``name`` (a new name; kinds from the contracts)."""
    if name in REGISTRY:
        raise ValueError(f"scheme {name!r} is already registered")
    if spec.annotation_kind is not None and spec.annotation_kind not in ANNOTATION_KINDS:
        raise ValueError(
            f"scheme {name!r}: annotation_kind={spec.annotation_kind!r}, choose one of "
            f"{ANNOTATION_KINDS} (spanbert_lab.contracts.ANNOTATION_KINDS)"
        )
    REGISTRY[name] = spec


def scheme_spec(name: str) -> SchemeSpec:
    """The registry entry of ``name``; a ValueError listing the registered schemes otherwise."""
    spec = REGISTRY.get(name)
    if spec is None:
        raise ValueError(f"scheme={name!r}: choose one of {tuple(REGISTRY)}")
    return spec


def replacement_unit(config: MaskingConfig, scheme: str) -> Literal["span", "token"]:
    """The 80/10/10 unit for ``scheme``: ``config.replacement``, or the scheme's own if ``auto``."""
    if config.replacement != "auto":
        return config.replacement
    return scheme_spec(scheme).replacement


def select_tokens(
    scheme: str,
    n: int,
    word_starts: Sequence[int],
    budget: int,
    config: MaskingConfig,
    generator: torch.Generator,
    annotated: Sequence[Span] = (),
) -> Selection:
    """Choose the masked tokens of one segment of ``n`` real tokens with ``scheme``'s selector.

    Args:
        word_starts: increasing token indices where words start (must include 0).
        budget: tokens to mask (see ``mask_budget``); reached exactly, except that
            ``whole_word`` stops short when no remaining word fits.
        annotated: ``entity`` / ``noun_phrase``: candidate spans (half-open, local).

    Returns:
        ``masked`` (n bytes, 1 = selected) and the accepted draws in order.
    """
    segment = Segment(n, list(word_starts), list(annotated))
    return scheme_spec(scheme).select(segment, budget, config, generator)
