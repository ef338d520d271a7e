"""Padding rows of token ids into (B, T) tensors: the one place where a batch gets its width.

The masking collator (:mod:`spanbert_lab.masking.collate`) and fine-tuning (:mod:`spanbert_lab.finetune`)
both pad here. Positions past a row's end take the key's pad value: the tokenizer's pad id for
``input_ids``, 0 for ``attention_mask`` and ``token_type_ids``, :data:`IGNORE_INDEX` for
``labels``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from spanbert_lab.contracts import IGNORE_INDEX, FeatureBatch

__all__ = ["pad_features", "pad_rows", "padded_length"]


def padded_length(lengths: Sequence[int], multiple_of: int | None = None) -> int:
    """The longest of ``lengths``, rounded up to a multiple of ``multiple_of`` when given."""
    if not lengths:
        raise ValueError("cannot pad an empty batch")
    length = max(lengths)
    if multiple_of is not None:
        if multiple_of < 1:
            raise ValueError(f"pad to a multiple of {multiple_of}: must be >= 1")
        length = (length + multiple_of - 1) // multiple_of * multiple_of
    return length


def pad_rows(rows: Sequence[Sequence[int]], value: int, length: int | None = None) -> torch.Tensor:
    """(B, length) long tensor of ``rows`` padded on the right with ``value``.

    ``length`` defaults to the longest row. One tensor construction from padded Python lists
    (faster than writing rows into a preallocated tensor).

    Raises:
        ValueError: no rows, or a row longer than ``length``.
    """
    width = padded_length([len(r) for r in rows]) if length is None else length
    too_long = [i for i, r in enumerate(rows) if len(r) > width]
    if too_long:
        raise ValueError(f"rows {too_long[:5]} are longer than the padded length {width}")
    return torch.tensor([list(r) + [value] * (width - len(r)) for r in rows], dtype=torch.long)


def pad_features(rows: Sequence[Mapping[str, Any]], pad_id: int) -> FeatureBatch:
    """Stack feature dicts (lists of ids, or one int per row) into a padded batch.

    List-valued keys are padded to the longest ``input_ids`` (``input_ids`` with ``pad_id``,
    ``labels`` with :data:`IGNORE_INDEX`, anything else with 0); scalar keys (a sequence label,
    QA's ``start_positions`` …) become (B,) tensors.
    """
    if not rows:
        raise ValueError("cannot pad an empty batch")
    width = padded_length([len(r["input_ids"]) for r in rows])
    fills = {"input_ids": pad_id, "labels": IGNORE_INDEX}
    batch: dict[str, torch.Tensor] = {}
    for key in rows[0]:
        if isinstance(rows[0][key], list):
            batch[key] = pad_rows([r[key] for r in rows], fills.get(key, 0), width)
        else:
            batch[key] = torch.tensor([r[key] for r in rows])
    return batch  # type: ignore[return-value]
