"""Masking for (Span)BERT pre-training, as pure functions over token ids.

Reference: ``docs/spanbert-reference.md#span-masking`` and ``#sbo``. The files follow the
algorithm:

* :mod:`~spanbert_lab.masking.config` — :class:`MaskingConfig` (every knob) and the budget,
  ceil(ratio · n) tokens per segment;
* :mod:`~spanbert_lab.masking.lengths` — the span-length distribution (words) and its sampler;
* :mod:`~spanbert_lab.masking.schemes` — one selector per scheme and the :data:`REGISTRY`:
  ``subword`` (BERT), ``whole_word``, ``span`` (SpanBERT's geometric spans), ``entity`` /
  ``noun_phrase`` (the paper's ablation);
* :mod:`~spanbert_lab.masking.targets` — merged runs become MLM labels and SBO rows;
* :mod:`~spanbert_lab.masking.replacement` — 80/10/10 per span or per token, random tokens;
* :mod:`~spanbert_lab.masking.batch` — :func:`mask_batch`, a short loop over these.

:mod:`~spanbert_lab.masking.mentions` measures the result: how often a scheme hides a whole
annotated mention (``mention_coverage``).

A segment is a maximal run of real text tokens: the control tokens ([CLS], [SEP], [PAD],
[MASK]) are never selected and, in the two-segment (NSP) layout, each segment is masked on its
own, so spans never cross [SEP]. [UNK] is ordinary text. Every draw comes from an explicit
``torch.Generator``; the collator gives every example its own, seeded from (seed, epoch, index)
via :func:`example_generator`, so a mask never depends on batch size, worker or process count.
"""

from __future__ import annotations

from spanbert_lab.contracts import IGNORE_INDEX
from spanbert_lab.masking.batch import MaskedBatch, mask_batch, mask_example
from spanbert_lab.masking.config import MaskingConfig, mask_budget
from spanbert_lab.masking.lengths import sample_span_lengths, span_length_pmf
from spanbert_lab.masking.replacement import RandomTokenSampler
from spanbert_lab.masking.schemes import (
    REGISTRY,
    SCHEMES,
    DrawnSpan,
    SchemeSpec,
    Segment,
    register_scheme,
    replacement_unit,
    scheme_spec,
    select_tokens,
)
from spanbert_lab.masking.seeding import example_generator, example_seed
from spanbert_lab.masking.vocab import VocabInfo, unigram_counts, vocab_info

__all__ = [
    "IGNORE_INDEX",
    "REGISTRY",
    "SCHEMES",
    "DrawnSpan",
    "MaskedBatch",
    "MaskingConfig",
    "RandomTokenSampler",
    "SchemeSpec",
    "Segment",
    "VocabInfo",
    "example_generator",
    "example_seed",
    "mask_batch",
    "mask_budget",
    "mask_example",
    "register_scheme",
    "replacement_unit",
    "sample_span_lengths",
    "scheme_spec",
    "select_tokens",
    "span_length_pmf",
    "unigram_counts",
    "vocab_info",
]
