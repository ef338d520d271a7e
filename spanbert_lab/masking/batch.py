"""``mask_batch``: find the segments and word starts of a padded batch, then for every example run
the scheme's selector on each segment, merge the runs into spans and SBO rows, decide 80/10/10 and
scatter the result into tensors.

Every draw comes from an explicit ``torch.Generator``: one per example (what the collator passes,
see :func:`~spanbert_lab.masking.seeding.example_generator`), or one shared by the examples in order.
Example b's draws come only from its generator, in a fixed order — selection segment by segment,
one ``torch.rand`` for 80/10/10, then the random tokens — so its mask does not depend on the rest
of the batch when each example has its own.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from spanbert_lab.contracts import Span, SpanBatch, TokenizerLike
from spanbert_lab.masking.config import MaskingConfig, mask_budget
from spanbert_lab.masking.replacement import RandomTokenSampler, decide_fates
from spanbert_lab.masking.schemes import DrawnSpan, SchemeSpec, Segment, replacement_unit
from spanbert_lab.masking.schemes import scheme_spec as _scheme_spec
from spanbert_lab.masking.targets import SboRow, merge_runs, mlm_labels, sbo_rows, sbo_tensors
from spanbert_lab.masking.vocab import VocabInfo, vocab_info

Generators = torch.Generator | Sequence[torch.Generator]


@dataclass
class MaskedBatch:
    """Result of :func:`mask_batch`: the SBO batch format of ``docs/DEVELOPING.md``.

    Attributes:
        input_ids, labels, attention_mask, token_type_ids: (B, T) long.
        spans: per example, the merged masked spans as half-open token ranges (start, end).
        sbo_left, sbo_right, sbo_positions, sbo_labels: (B, M) long; M = max targets (>= 1),
            padding has ``sbo_labels == IGNORE_INDEX`` and 0 elsewhere.
        drawn: per example, the accepted draws before merging (:class:`DrawnSpan`).
    """

    input_ids: torch.Tensor
    labels: torch.Tensor
    attention_mask: torch.Tensor
    token_type_ids: torch.Tensor
    spans: list[list[Span]]
    sbo_left: torch.Tensor
    sbo_right: torch.Tensor
    sbo_positions: torch.Tensor
    sbo_labels: torch.Tensor
    drawn: list[list[DrawnSpan]] = field(default_factory=list, repr=False)

    def to_dict(self) -> SpanBatch:
        """The tensors under their batch-format keys (what a model's ``forward`` takes)."""
        return SpanBatch(
            input_ids=self.input_ids,
            attention_mask=self.attention_mask,
            token_type_ids=self.token_type_ids,
            labels=self.labels,
            sbo_left=self.sbo_left,
            sbo_right=self.sbo_right,
            sbo_positions=self.sbo_positions,
            sbo_labels=self.sbo_labels,
        )


@dataclass
class _Example:
    """One example's selection: merged spans, accepted draws and SBO rows (batch coordinates)."""

    spans: list[Span] = field(default_factory=list)
    drawn: list[DrawnSpan] = field(default_factory=list)
    sbo: list[SboRow] = field(default_factory=list)


def mask_batch(
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    *,
    tokenizer: TokenizerLike | VocabInfo,
    generator: Generators,
    scheme: str = "span",
    config: MaskingConfig | None = None,
    annotations: Sequence[Sequence[Span] | None] | None = None,
    unigram_counts: torch.Tensor | RandomTokenSampler | None = None,
    token_type_ids: torch.Tensor | None = None,
) -> MaskedBatch:
    """Mask a padded batch.

    Args:
        input_ids: (B, T) long, with the control tokens already in place ([CLS] … [SEP] [PAD]…).
        attention_mask: (B, T), 1 = real token; default: every non-pad token.
        tokenizer: a WordPiece tokenizer (or its :class:`VocabInfo`).
        generator: required. One ``torch.Generator`` used by the examples in order, or a
            sequence of B generators, one per example (what the collator passes).
        scheme: a name in :data:`~spanbert_lab.masking.schemes.REGISTRY`.
        config: :class:`MaskingConfig` (default: the paper's settings).
        annotations: per example, half-open token spans of the scheme's annotation kind (needed
            by ``entity`` / ``noun_phrase``); spans crossing a segment boundary are ignored.
        unigram_counts: (V,) corpus counts for ``random_token_source="unigram"`` (required then,
            unless ``random_prob`` is 0), or a prepared :class:`RandomTokenSampler`.
        token_type_ids: (B, T), copied to the result (zeros by default).

    Returns:
        A :class:`MaskedBatch`; the input tensors are not modified.

    Raises:
        TypeError: no generator. ValueError: a bad shape, scheme, annotation or missing counts.
    """
    cfg = config or MaskingConfig()
    info = vocab_info(tokenizer)
    spec = _scheme_spec(scheme)
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    if ids.dim() != 2:
        raise ValueError(f"input_ids must be (B, T), got shape {tuple(ids.shape)}")
    gens = _per_example(generator, ids.shape[0])
    if spec.annotation_kind is not None and annotations is None:
        raise ValueError(f"scheme={scheme!r} needs annotations ({spec.annotation_kind} spans)")
    if attention_mask is None:
        attention_mask = (ids != info.pad_token_id).long()
    attention_mask = torch.as_tensor(attention_mask, dtype=torch.long)
    sampler = unigram_counts
    if not isinstance(sampler, RandomTokenSampler):
        sampler = RandomTokenSampler(info, cfg, sampler)
    per_span = replacement_unit(cfg, scheme) == "span"

    segments, word_starts = _segments(ids, attention_mask, info)
    id_rows = ids.tolist()
    examples: list[_Example] = []
    mask_at: list[int] = []
    random_at: list[int] = []
    random_ids: list[torch.Tensor] = []
    for b, g in enumerate(gens):
        ann = annotations[b] if annotations is not None else None
        ex = _select_example(spec, segments[b], word_starts[b], id_rows[b], ann, cfg, g)
        to_mask, to_random = decide_fates(ex.spans, per_span, cfg, g)
        offset = b * ids.shape[1]
        mask_at.extend(offset + p for p in to_mask)
        if to_random:
            random_at.extend(offset + p for p in to_random)
            random_ids.append(sampler.draw(len(to_random), g))
        examples.append(ex)

    width = ids.shape[1]
    targets = [
        b * width + p for b, ex in enumerate(examples) for s, t in ex.spans for p in range(s, t)
    ]
    out = ids.reshape(-1).clone()
    out[torch.tensor(mask_at, dtype=torch.long)] = info.mask_token_id
    if random_at:
        out[torch.tensor(random_at, dtype=torch.long)] = torch.cat(random_ids)
    sbo = sbo_tensors([ex.sbo for ex in examples])  # (B, M, [left, right, position, label])
    types = torch.zeros_like(ids) if token_type_ids is None else torch.as_tensor(token_type_ids)
    return MaskedBatch(
        input_ids=out.view_as(ids),
        labels=mlm_labels(ids, targets),
        attention_mask=attention_mask,
        token_type_ids=types.long(),
        spans=[ex.spans for ex in examples],
        sbo_left=sbo[:, :, 0],
        sbo_right=sbo[:, :, 1],
        sbo_positions=sbo[:, :, 2],
        sbo_labels=sbo[:, :, 3],
        drawn=[ex.drawn for ex in examples],
    )


def _per_example(generator: Generators | None, batch: int) -> list[torch.Generator]:
    """One generator per example: a single generator is shared by the examples in order."""
    if generator is None:
        raise TypeError(
            "mask_batch needs generator=: a torch.Generator (or one per example); there is no "
            "default seed, so that calling it in a loop never repeats the same masks"
        )
    if isinstance(generator, torch.Generator):
        return [generator] * batch
    gens = list(generator)
    if len(gens) != batch:
        raise ValueError(f"got {len(gens)} generators for a batch of {batch}")
    return gens


def _row_lists(mask: torch.Tensor) -> list[list[int]]:
    """Column indices of the True entries of a (B, T) bool tensor, per row (one nonzero call)."""
    rows, cols = torch.nonzero(mask, as_tuple=True)
    cols_list = cols.tolist()
    bounds = [0, *torch.bincount(rows, minlength=mask.shape[0]).cumsum(0).tolist()]
    return [cols_list[bounds[b] : bounds[b + 1]] for b in range(mask.shape[0])]


def _segments(
    ids: torch.Tensor, attention_mask: torch.Tensor, info: VocabInfo
) -> tuple[list[list[Span]], list[list[int]]]:
    """Per example, the segments (maximal runs of real, non-control tokens) and the word starts,
    vectorised over the batch."""
    safe = ids.clamp(0, info.vocab_size - 1)
    candidate = (attention_mask != 0) & ~info.is_control[safe]
    edges = torch.diff(torch.nn.functional.pad(candidate.to(torch.int8), (1, 1)), dim=1)
    starts, ends = _row_lists(edges == 1), _row_lists(edges == -1)
    word_starts = _row_lists(candidate & (~info.is_continuation[safe] | (edges[:, :-1] == 1)))
    segments = [list(zip(s, e, strict=True)) for s, e in zip(starts, ends, strict=True)]
    return segments, word_starts


def _select_example(
    spec: SchemeSpec,
    segments: Sequence[Span],
    word_starts: Sequence[int],
    ids: Sequence[int],
    annotations: Sequence[Span] | None,
    cfg: MaskingConfig,
    g: torch.Generator,
) -> _Example:
    """Run the selector on every segment of one example; merge, and list the SBO rows."""
    ex = _Example()
    for a, e in segments:
        first, stop = bisect.bisect_left(word_starts, a), bisect.bisect_left(word_starts, e)
        local_ws = [p - a for p in word_starts[first:stop]]
        ann = [(s - a, t - a) for s, t in annotations or () if a <= s < t <= e]
        segment = Segment(e - a, local_ws, ann, ids[a:e])
        masked, drawn = spec.select(segment, mask_budget(e - a, cfg.mask_ratio), cfg, g)
        ex.drawn.extend(DrawnSpan(d.start + a, d.end + a, d.length) for d in drawn)
        spans = merge_runs([a + t for t, m in enumerate(masked) if m])
        ex.spans.extend(spans)
        ex.sbo.extend(sbo_rows(spans, (a, e), ids, cfg.max_sbo_targets_per_span))
    return ex


def mask_example(
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    *,
    tokenizer: TokenizerLike | VocabInfo,
    generator: torch.Generator,
    scheme: str = "span",
    config: MaskingConfig | None = None,
    annotations: Sequence[Span] | None = None,
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
        generator=[generator],
        annotations=None if annotations is None else [annotations],
        unigram_counts=unigram_counts,
    )
