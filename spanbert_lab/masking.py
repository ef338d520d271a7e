"""Masking for (Span)BERT pre-training, as pure functions over token ids.

Reference: ``docs/spanbert-reference.md#span-masking`` (span masking, exactly as the official
implementation does it) and ``#sbo`` (which tokens get span boundary objective targets). Five
schemes:

* ``subword`` — BERT: ceil(ratio·n) sub-word positions, 80/10/10 decided per token;
* ``whole_word`` — whole words (WordPiece ``##`` rule) in random order up to the budget, a word
  that would overshoot it skipped (Google BERT's whole-word masking; a plausible reading of the
  paper's ablation, geometric spans of one word, is ``span`` with ``max_span_words=1``);
* ``span`` — SpanBERT: lengths in words from Geo(p) truncated and renormalised on 1..10, an anchor
  drawn over sub-word positions and moved to the start of its word, masked anchors rejected, spans
  merged when they overlap or touch, exactly ceil(ratio·n) tokens, 80/10/10 decided per merged span
  with random tokens drawn from the corpus unigram distribution;
* ``entity`` / ``noun_phrase`` — the paper's ablation: with probability ``annotation_prob`` a whole
  annotated span, otherwise a geometric span (the official ``NERSpanMaskingScheme``).

n counts the real, non-special tokens of a *segment* (a maximal run of non-special tokens): special
and padding tokens are never selected, and in the two-segment (NSP) layout each segment is masked on
its own, so spans never cross [SEP]. Every draw comes from an explicit ``torch.Generator``; the
collator gives every example its own generator seeded from (seed, epoch, index) via
:func:`example_generator`, so a mask never depends on batch size, worker or process count.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import torch

from spanbert_lab.seeding import example_generator, example_seed
from spanbert_lab.vocab import RandomTokenSampler, VocabInfo, unigram_counts, vocab_info

__all__ = [
    "IGNORE_INDEX",
    "SCHEMES",
    "DrawnSpan",
    "MaskedBatch",
    "MaskingConfig",
    "RandomTokenSampler",
    "VocabInfo",
    "example_generator",
    "example_seed",
    "mask_batch",
    "mask_budget",
    "mask_example",
    "sample_span_lengths",
    "select_tokens",
    "span_length_pmf",
    "unigram_counts",
    "vocab_info",
]

Scheme = Literal["subword", "whole_word", "span", "entity", "noun_phrase"]
SCHEMES: tuple[str, ...] = ("subword", "whole_word", "span", "entity", "noun_phrase")
IGNORE_INDEX = -100


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
            ``"auto"``: per token for ``subword`` (BERT), per span for every other scheme.
        mask_prob, random_prob: the 80/10/10 split; the rest (0.1) keeps the original token.
        random_token_source: ``"unigram"`` (corpus frequencies — official; needs unigram counts,
            otherwise falls back to uniform) or ``"uniform"`` (uniform over non-special ids).
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
        def bad(name: str, why: str) -> ValueError:
            return ValueError(f"MaskingConfig.{name}={getattr(self, name)!r}: {why}")

        if not 0.0 < self.mask_ratio <= 1.0:
            raise bad("mask_ratio", "must be in (0, 1]")
        if not 0.0 < self.geometric_p <= 1.0:
            raise bad("geometric_p", "must be in (0, 1]")
        for name in ("min_span_words", "max_span_words", "max_sbo_targets_per_span"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise bad(name, "must be an integer >= 1")
        if self.max_span_words < self.min_span_words:
            raise bad("max_span_words", f"must be >= min_span_words={self.min_span_words}")
        choices = {
            "length_mode": ("truncate", "clip"),
            "anchor": ("subword", "word"),
            "replacement": ("auto", "span", "token"),
            "random_token_source": ("unigram", "uniform"),
            "annotation_fallback": ("span", "whole_word"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise bad(name, f"choose one of {allowed}")
        for name in ("mask_prob", "random_prob", "annotation_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise bad(name, "must be in [0, 1]")
        if self.mask_prob + self.random_prob > 1.0 + 1e-12:
            raise bad(
                "random_prob",
                f"mask_prob + random_prob = {self.mask_prob + self.random_prob:g} exceeds 1",
            )

    def replacement_for(self, scheme: str) -> Literal["span", "token"]:
        """The replacement unit used for ``scheme`` (resolves ``"auto"``)."""
        if self.replacement != "auto":
            return self.replacement
        return "token" if scheme == "subword" else "span"


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


def sample_span_lengths(
    n: int, config: MaskingConfig | None = None, *, generator: torch.Generator
) -> torch.Tensor:
    """``n`` span lengths in words, long tensor (n,), drawn with ``generator``."""
    cfg = config or MaskingConfig()
    cdf = torch.tensor(_length_cdf(cfg), dtype=torch.float64)
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    return torch.searchsorted(cdf, u, right=True).clamp_(max=cdf.numel() - 1) + cfg.min_span_words


@functools.lru_cache(maxsize=64)
def _length_cdf(cfg: MaskingConfig) -> list[float]:
    """Cumulative span-length probabilities (inverse-CDF sampling: L = min + #{cdf <= u})."""
    return torch.cumsum(span_length_pmf(cfg), 0).tolist()


def mask_budget(n: int, ratio: float = 0.15) -> int:
    """Tokens to mask in a segment of n real tokens: ceil(ratio · n), exact for decimal ratios.

    (The 1e-9 guards against float noise: 0.15 · 100 = 15.000000000000002 must give 15.)
    """
    return math.ceil(ratio * n - 1e-9)


class DrawnSpan(NamedTuple):
    """One accepted draw, before merging: tokens ``[start, end)`` (cut at the budget) and the drawn
    length in words (1 for whole words and sub-word positions, 0 for an annotated span)."""

    start: int
    end: int
    length: int


def select_tokens(
    scheme: Scheme,
    n: int,
    word_starts: Sequence[int],
    budget: int,
    config: MaskingConfig,
    generator: torch.Generator,
    annotated: Sequence[tuple[int, int]] = (),
) -> tuple[bytearray, list[DrawnSpan]]:
    """Choose the masked tokens of one segment of ``n`` real tokens (local coordinates 0..n-1).

    Args:
        word_starts: increasing token indices where words start (must include 0).
        budget: tokens to mask (see :func:`mask_budget`); reached exactly, except that
            ``whole_word`` stops short when no remaining word fits.
        annotated: ``entity`` / ``noun_phrase``: candidate spans (half-open, local).

    Returns:
        ``masked`` (n bytes, 1 = selected) and the accepted draws in order.
    """
    cfg, gen = config, generator
    masked = bytearray(n)
    drawn: list[DrawnSpan] = []
    if scheme == "subword":
        for t in torch.randperm(n, generator=gen)[:budget].tolist():
            masked[t] = 1
            drawn.append(DrawnSpan(t, t + 1, 1))
        return masked, drawn
    word_starts = list(word_starts)
    word_ends = [*word_starts[1:], n]
    n_words = len(word_starts)
    if scheme == "whole_word":
        count = 0
        for w in torch.randperm(n_words, generator=gen).tolist():
            size = word_ends[w] - word_starts[w]
            if count + size > budget:
                continue  # BERT's whole-word rule: never exceed the budget
            masked[word_starts[w] : word_ends[w]] = b"\x01" * size
            drawn.append(DrawnSpan(word_starts[w], word_ends[w], 1))
            count += size
            if count == budget:
                break
        return masked, drawn
    word_of = [0] * n  # token -> index of its word
    for w in range(n_words):
        word_of[word_starts[w] : word_ends[w]] = [w] * (word_ends[w] - word_starts[w])
    cdf, lower = _length_cdf(cfg), cfg.min_span_words
    high = n if cfg.anchor == "subword" else n_words
    chunk = max(8, budget)
    u: list[float] = []
    count = 0
    while count < budget:
        if len(u) < 3:  # one torch call per chunk of draws: (length, anchor, coin) triples
            u = torch.rand(3 * chunk, generator=gen, dtype=torch.float64).tolist()[::-1]
        u_len, u_anchor, coin = u.pop(), u.pop(), u.pop()
        length = min(lower + bisect.bisect_right(cdf, u_len), cfg.max_span_words)
        anchor = min(int(u_anchor * high), high - 1)
        use_annotation = bool(annotated) and coin < cfg.annotation_prob
        free = [a for a in annotated if not masked[a[0]]] if use_annotation else []
        if free:  # a whole annotated span, uniformly among those whose start is still free
            start, end = free[int(coin / cfg.annotation_prob * len(free))]
            length = 0
        else:
            if scheme != "span" and cfg.annotation_fallback == "whole_word":
                length = 1
            token = anchor if cfg.anchor == "subword" else word_starts[anchor]
            if masked[token]:
                continue  # the official code rejects a masked anchor and draws again
            w = word_of[token]
            start, end = word_starts[w], word_ends[min(w + length, n_words) - 1]
        for t in range(start, end):
            if not masked[t]:  # set semantics: tokens already masked are a no-op
                masked[t] = 1
                count += 1
                if count == budget:  # the budget is exact: stop mid-span if need be
                    end = t + 1
                    break
        drawn.append(DrawnSpan(start, end, length))
    return masked, drawn


@dataclass
class MaskedBatch:
    """Result of :func:`mask_batch`: the SBO batch format of ``docs/DEVELOPING.md``.

    Attributes:
        input_ids, labels, attention_mask, token_type_ids: (B, T) long.
        spans: per example, the merged masked spans as half-open token ranges (start, end).
        sbo_left, sbo_right, sbo_positions, sbo_labels: (B, M) long; M = max targets (>= 1),
            padding has ``sbo_labels == -100`` and 0 elsewhere.
        drawn: per example, the accepted draws before merging (:class:`DrawnSpan`).
    """

    input_ids: torch.Tensor
    labels: torch.Tensor
    attention_mask: torch.Tensor
    token_type_ids: torch.Tensor
    spans: list[list[tuple[int, int]]]
    sbo_left: torch.Tensor
    sbo_right: torch.Tensor
    sbo_positions: torch.Tensor
    sbo_labels: torch.Tensor
    drawn: list[list[DrawnSpan]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, torch.Tensor]:
        """The tensors under their batch-format keys (what a model's ``forward`` takes)."""
        keys = ("input_ids", "attention_mask", "token_type_ids", "labels")
        keys += ("sbo_left", "sbo_right", "sbo_positions", "sbo_labels")
        return {key: getattr(self, key) for key in keys}


def _row_lists(mask: torch.Tensor) -> list[list[int]]:
    """Column indices of the True entries of a (B, T) bool tensor, per row (one nonzero call)."""
    rows, cols = torch.nonzero(mask, as_tuple=True)
    cols_list = cols.tolist()
    bounds = [0, *torch.bincount(rows, minlength=mask.shape[0]).cumsum(0).tolist()]
    return [cols_list[bounds[b] : bounds[b + 1]] for b in range(mask.shape[0])]


def mask_batch(
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    *,
    tokenizer: Any,
    scheme: Scheme = "span",
    config: MaskingConfig | None = None,
    generator: torch.Generator | None = None,
    annotations: Sequence[Sequence[tuple[int, int]]] | None = None,
    generators: Sequence[torch.Generator] | None = None,
    unigram_counts: torch.Tensor | RandomTokenSampler | None = None,
    token_type_ids: torch.Tensor | None = None,
) -> MaskedBatch:
    """Mask a padded batch.

    Args:
        input_ids: (B, T) long, with the special tokens already in place ([CLS] … [SEP] [PAD]…).
        attention_mask: (B, T), 1 = real token; default: every non-pad token.
        tokenizer: a WordPiece tokenizer (or its :class:`VocabInfo`).
        scheme: one of :data:`SCHEMES`.
        config: :class:`MaskingConfig` (default: the paper's settings).
        generator: one generator used for the examples in order (default: seeded with 0).
        annotations: per example, half-open token spans (``entity`` / ``noun_phrase``); spans
            crossing a segment boundary are ignored.
        generators: one generator per example instead (what the collator passes; see
            :func:`example_generator`); wins over ``generator``. Example b's draws come only from
            its generator, in a fixed order, so its mask does not depend on the rest of the batch.
        unigram_counts: (V,) counts for ``random_token_source="unigram"``; without them random
            tokens are uniform over the non-special vocabulary. A prepared
            :class:`RandomTokenSampler` is accepted too.
        token_type_ids: (B, T), copied to the result (zeros by default).

    Returns:
        A :class:`MaskedBatch`; the input tensors are not modified.
    """
    cfg = config or MaskingConfig()
    info = vocab_info(tokenizer)
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    if ids.dim() != 2:
        raise ValueError(f"input_ids must be (B, T), got shape {tuple(ids.shape)}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme={scheme!r}: choose one of {SCHEMES}")
    if scheme in ("entity", "noun_phrase") and annotations is None:
        raise ValueError(f"scheme={scheme!r} needs annotations (per-example token spans)")
    batch, length = ids.shape
    if generators is not None and len(generators) != batch:
        raise ValueError(f"got {len(generators)} generators for a batch of {batch}")
    if attention_mask is None:
        attention_mask = (ids != info.pad_token_id).long()
    attention_mask = torch.as_tensor(attention_mask, dtype=torch.long)
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    sampler = unigram_counts
    if not isinstance(sampler, RandomTokenSampler):
        sampler = RandomTokenSampler(info, cfg, sampler)
    per_span = cfg.replacement_for(scheme) == "span"

    # vectorised over the batch: candidates, segment starts/ends, word starts
    safe = ids.clamp(0, info.vocab_size - 1)
    candidate = (attention_mask != 0) & ~info.is_special[safe]
    edges = torch.diff(torch.nn.functional.pad(candidate.to(torch.int8), (1, 1)), dim=1)
    seg_starts, seg_ends = _row_lists(edges == 1), _row_lists(edges == -1)
    word_starts = _row_lists(candidate & (~info.is_continuation[safe] | (edges[:, :-1] == 1)))
    id_rows = ids.tolist()

    mask_at, random_at, random_ids, target_at = [], [], [], []
    all_spans, all_drawn, sbo_rows = [], [], []
    k_sbo = cfg.max_sbo_targets_per_span
    for b in range(batch):
        g = generators[b] if generators is not None else gen
        positions: list[int] = []
        drawn: list[DrawnSpan] = []
        ws = word_starts[b]
        spans: list[tuple[int, int]] = []
        sbo: list[tuple[int, int, int, int]] = []
        for a, e in zip(seg_starts[b], seg_ends[b], strict=True):
            local_ws = [p - a for p in ws[bisect.bisect_left(ws, a) : bisect.bisect_left(ws, e)]]
            ann = []
            if scheme in ("entity", "noun_phrase"):
                ann = [(s - a, t - a) for s, t in annotations[b] or () if a <= s < t <= e]
            masked, seg_drawn = select_tokens(
                scheme, e - a, local_ws, mask_budget(e - a, cfg.mask_ratio), cfg, g, ann
            )
            drawn.extend(DrawnSpan(d.start + a, d.end + a, d.length) for d in seg_drawn)
            seg_pos = [a + t for t, m in enumerate(masked) if m]
            positions.extend(seg_pos)
            # merge overlapping / adjacent draws: maximal runs of masked tokens
            seg_spans = []
            for p in seg_pos:
                if seg_spans and seg_spans[-1][1] == p:
                    seg_spans[-1][1] = p + 1
                else:
                    seg_spans.append([p, p + 1])
            for s, t in seg_spans:
                spans.append((s, t))
                # SBO: both boundaries are real text tokens (docs/spanbert-reference.md#sbo)
                if s > a and t < e:
                    row = id_rows[b]
                    sbo.extend((s - 1, t, i - s, row[i]) for i in range(s, min(t, s + k_sbo)))
        # 80/10/10: one draw per merged span or per token, from this example's generator
        n_draws = len(spans) if per_span else len(positions)
        u = torch.rand(n_draws, generator=g, dtype=torch.float64).tolist() if n_draws else []
        if per_span:
            u = [u[j] for j, (s, t) in enumerate(spans) for _ in range(t - s)]
        offset = b * length
        rand_here = []
        for p, draw in zip(positions, u, strict=True):
            if draw < cfg.mask_prob:
                mask_at.append(offset + p)
            elif draw < cfg.mask_prob + cfg.random_prob:
                rand_here.append(offset + p)
        if rand_here:
            random_at.extend(rand_here)
            random_ids.append(sampler.draw(len(rand_here), g))
        target_at.extend(offset + p for p in positions)
        all_spans.append(spans)
        all_drawn.append(drawn)
        sbo_rows.append(sbo)

    # scatter the decisions into flat views of the batch
    flat_ids = ids.reshape(-1)
    out = flat_ids.clone()
    labels = torch.full_like(flat_ids, IGNORE_INDEX)
    target = torch.tensor(target_at, dtype=torch.long)
    labels[target] = flat_ids[target]
    out[torch.tensor(mask_at, dtype=torch.long)] = info.mask_token_id
    if random_at:
        out[torch.tensor(random_at, dtype=torch.long)] = torch.cat(random_ids)
    m = max([1] + [len(r) for r in sbo_rows])
    padding = [(0, 0, 0, IGNORE_INDEX)]
    sbo_t = torch.tensor([r + padding * (m - len(r)) for r in sbo_rows], dtype=torch.long)
    sbo_t = sbo_t.view(batch, m, 4)  # (B, M, [left, right, position, label])
    return MaskedBatch(
        input_ids=out.view(batch, length),
        labels=labels.view(batch, length),
        attention_mask=attention_mask,
        token_type_ids=torch.zeros_like(ids)
        if token_type_ids is None
        else torch.as_tensor(token_type_ids, dtype=torch.long),
        spans=all_spans,
        sbo_left=sbo_t[:, :, 0],
        sbo_right=sbo_t[:, :, 1],
        sbo_positions=sbo_t[:, :, 2],
        sbo_labels=sbo_t[:, :, 3],
        drawn=all_drawn,
    )


def mask_example(
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    *,
    tokenizer: Any,
    scheme: Scheme = "span",
    config: MaskingConfig | None = None,
    generator: torch.Generator,
    annotations: Sequence[tuple[int, int]] | None = None,
    unigram_counts: torch.Tensor | RandomTokenSampler | None = None,
) -> MaskedBatch:
    """Mask one sequence (T,) with ``generator``: :func:`mask_batch` on a batch of one."""
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    if ids.dim() != 1:
        raise ValueError(f"mask_example expects one sequence (T,), got shape {tuple(ids.shape)}")
    return mask_batch(
        ids[None],
        None if attention_mask is None else torch.as_tensor(attention_mask)[None],
        tokenizer=tokenizer,
        scheme=scheme,
        config=config,
        generators=[generator],
        annotations=None if annotations is None else [annotations],
        unigram_counts=unigram_counts,
    )
