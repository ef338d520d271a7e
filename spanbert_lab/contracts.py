"""The library's shared vocabulary, defined once: constants, example and batch types, and the
small tokenizer interface every module relies on.

Nothing here computes anything; every other module may import it and it imports no other module
of the package, so it can never be part of an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypedDict, runtime_checkable

import torch

IGNORE_INDEX = -100
"""Label of a position that is not a target (PyTorch's ``cross_entropy`` default)."""

QA_MAX_LENGTH = 384
"""Tokens per QA window, special tokens included (the SQuAD scripts' ``max_seq_length``): the
default of the QA task, :class:`~spanbert_lab.tasks.FinetuneConfig` and every QA helper."""

QA_DOC_STRIDE = 128
"""How far one QA window advances over the passage (the SQuAD scripts' ``doc_stride``)."""

ANNOTATION_KINDS: tuple[str, ...] = ("entities", "noun_phrases")
"""The annotation layers a pretraining example may carry, as half-open token spans."""

ENTITY_TYPES: tuple[str, ...] = ("PER", "ORG", "LOC", "DATE", "NUM", "EVENT", "MISC")
"""The entity types of the course data's annotations and NER tags."""
NP = "NP"
"""The annotation type of a noun phrase that is not an entity mention."""
NER_TAGS: tuple[str, ...] = ("O", *(f"{p}-{t}" for t in ENTITY_TYPES for p in ("B", "I")))
"""The course NER tag names in id order: ``O``, then ``B-``/``I-`` for each entity type."""
CLASS_NAMES: tuple[str, ...] = ("negative", "mixed", "positive")
"""The course classification labels (the sentiment of a review) in id order."""

Span = tuple[int, int]
"""A half-open ``(start, end)`` range of token positions."""


@runtime_checkable
class TokenizerLike(Protocol):
    """What the library needs from a WordPiece tokenizer (a transformers ``BertTokenizer`` or
    ``BertTokenizerFast`` has all of it)."""

    pad_token_id: int | None
    mask_token_id: int | None
    cls_token_id: int | None
    sep_token_id: int | None
    unk_token_id: int | None
    all_special_ids: list[int]

    def __len__(self) -> int: ...

    def convert_ids_to_tokens(self, ids: Sequence[int]) -> list[str]: ...


class PretrainExample(TypedDict, total=False):
    """One pretraining block as the collator takes it (``Block.to_example``)."""

    input_ids: list[int]
    index: int
    token_type_ids: list[int]
    next_sentence_label: int
    entities: list[Span]
    noun_phrases: list[Span]


class MlmBatch(TypedDict):
    """A padded, masked batch: (B, T) long tensors; ``labels`` is :data:`IGNORE_INDEX` off the
    targets."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    token_type_ids: torch.Tensor
    labels: torch.Tensor


class SpanBatch(MlmBatch, total=False):
    """:class:`MlmBatch` plus the SBO rows ((B, M) long; padding rows have ``sbo_labels`` =
    :data:`IGNORE_INDEX`) and, in NSP mode, ``next_sentence_label`` (B,)."""

    sbo_left: torch.Tensor
    sbo_right: torch.Tensor
    sbo_positions: torch.Tensor
    sbo_labels: torch.Tensor
    next_sentence_label: torch.Tensor


class FeatureBatch(TypedDict, total=False):
    """A padded fine-tuning batch: (B, T) ``input_ids``, ``attention_mask``, ``token_type_ids``
    and the task's targets (``labels``, or ``start_positions`` / ``end_positions`` for QA)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    token_type_ids: torch.Tensor
    labels: torch.Tensor
    start_positions: torch.Tensor
    end_positions: torch.Tensor


CollateFn = Callable[[list[PretrainExample]], SpanBatch]
"""A collator: examples in, a padded and masked batch out (``collate.MaskingCollator`` is one;
the training loop also calls its ``set_epoch``)."""
