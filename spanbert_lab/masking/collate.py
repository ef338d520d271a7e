"""A collator around ``mask_batch`` for ``torch.utils.data.DataLoader`` and ``Trainer``.

Reference: ``docs/spanbert-reference.md#targets`` (dynamic masking: a new mask every epoch) and the
SBO batch format of ``docs/DEVELOPING.md``. Each example gets its own ``torch.Generator`` seeded
from (seed, epoch, index) (:func:`spanbert_lab.masking.example_generator`), so the mask of example i
in epoch e is the same whatever the batch size, the number of DataLoader workers or of processes —
fairseq's per-index seeding, with a local generator instead of the global one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch

from spanbert_lab.contracts import PretrainExample, SpanBatch, TokenizerLike
from spanbert_lab.masking import (
    MaskingConfig,
    RandomTokenSampler,
    example_generator,
    mask_batch,
    scheme_spec,
    vocab_info,
)
from spanbert_lab.masking.padding import pad_rows, padded_length

if TYPE_CHECKING:
    from transformers import TrainerCallback


class MaskingCollator:
    """Pads examples and masks them with one scheme; returns the SBO batch format.

    Args:
        tokenizer: the WordPiece tokenizer (for [PAD], [MASK], special ids and ``##`` pieces).
        scheme: a registered scheme (``spanbert_lab.masking.REGISTRY``): ``"subword"``,
            ``"whole_word"``, ``"span"``, ``"entity"``, ``"noun_phrase"``.
        config: :class:`MaskingConfig` (default: the paper's settings).
        seed: base seed; ``None`` means 0 (masks are always reproducible).
        unigram_counts: (V,) corpus token counts for unigram random replacement tokens
            (:func:`spanbert_lab.masking.unigram_counts`); required by the default
            ``random_token_source="unigram"`` (a ValueError otherwise; choose
            ``MaskingConfig(random_token_source="uniform")`` to do without).
        include_sbo: add the ``sbo_*`` keys (off for a plain MLM baseline).
        pad_to_multiple_of: round the padded length up to a multiple of this.

    Examples are dicts with ``input_ids`` (list or 1-D tensor), an ``index`` (int, fixes the
    example's mask per epoch), and optionally ``token_type_ids``, ``next_sentence_label`` (NSP
    mode) and the scheme's annotation kind (``entities`` / ``noun_phrases`` token spans) — what
    :meth:`spanbert_lab.data.blocks.Block.to_example` makes. Plain id sequences are accepted too.
    Without ``index`` the collator numbers examples in the order it sees them, which is
    reproducible in one process only. With ``Trainer`` set ``remove_unused_columns=False`` so that
    ``index`` reaches the collator, and call :meth:`set_epoch` (see :func:`epoch_callback`).
    """

    def __init__(
        self,
        tokenizer: TokenizerLike,
        scheme: str = "span",
        config: MaskingConfig | None = None,
        *,
        seed: int | None = 0,
        unigram_counts: torch.Tensor | None = None,
        include_sbo: bool = True,
        pad_to_multiple_of: int | None = None,
    ) -> None:
        self.annotation_kind = scheme_spec(scheme).annotation_kind  # ValueError if unknown
        if pad_to_multiple_of is not None and pad_to_multiple_of < 1:
            raise ValueError(f"pad_to_multiple_of={pad_to_multiple_of} must be >= 1")
        self.tokenizer = tokenizer
        self.scheme = scheme
        self.config = config or MaskingConfig()
        self.seed = 0 if seed is None else int(seed)
        self.info = vocab_info(tokenizer)
        self.sampler = RandomTokenSampler(self.info, self.config, unigram_counts)
        self.include_sbo = include_sbo
        self.pad_to_multiple_of = pad_to_multiple_of
        self.epoch = 0
        self._next_index = 0

    def set_epoch(self, epoch: int) -> None:
        """Use the masks of ``epoch`` from now on (each epoch sees new masks)."""
        self.epoch = int(epoch)

    def __call__(self, examples: Sequence[PretrainExample | Sequence[int]]) -> SpanBatch:
        """Collate: (B, T) ``input_ids``, ``attention_mask``, ``token_type_ids``, ``labels`` and
        (B, M) ``sbo_left``, ``sbo_right``, ``sbo_positions``, ``sbo_labels``; (B,)
        ``next_sentence_label`` when every example has one."""
        rows = [ex if isinstance(ex, Mapping) else {"input_ids": ex} for ex in examples]
        if not rows:
            raise ValueError("cannot collate an empty list of examples")
        ids_list = [_as_list(r["input_ids"]) for r in rows]
        length = padded_length([len(ids) for ids in ids_list], self.pad_to_multiple_of)
        input_ids = pad_rows(ids_list, max(self.info.pad_token_id, 0), length)
        attention_mask = pad_rows([[1] * len(ids) for ids in ids_list], 0, length)
        types = [
            _as_list(r["token_type_ids"]) if r.get("token_type_ids") is not None else []
            for r in rows
        ]
        token_type_ids = pad_rows(types, 0, length)
        generators = []
        for row in rows:
            index = row.get("index")
            if index is None:
                index, self._next_index = self._next_index, self._next_index + 1
            generators.append(example_generator(self.seed, self.epoch, int(index)))
        annotations = None
        if self.annotation_kind is not None:
            key = self.annotation_kind
            annotations = [
                [tuple(span) for span in row.get(key, row.get("annotations", [])) or []]
                for row in rows
            ]
        masked = mask_batch(
            input_ids,
            attention_mask,
            tokenizer=self.info,
            scheme=self.scheme,
            config=self.config,
            annotations=annotations,
            generator=generators,
            unigram_counts=self.sampler,
            token_type_ids=token_type_ids,
        )
        out = masked.to_dict()
        if not self.include_sbo:
            for key in ("sbo_left", "sbo_right", "sbo_positions", "sbo_labels"):
                del out[key]
        if all(row.get("next_sentence_label") is not None for row in rows):
            out["next_sentence_label"] = torch.tensor(
                [int(row["next_sentence_label"]) for row in rows], dtype=torch.long
            )
        return out


def _as_list(values: Any) -> list[int]:
    return values.tolist() if isinstance(values, torch.Tensor) else list(values)


def epoch_callback(collator: MaskingCollator) -> TrainerCallback:
    """A ``transformers.TrainerCallback`` that calls ``collator.set_epoch`` at each epoch start."""
    # imported here, not at the top: transformers' Trainer stack takes seconds to import, and only
    # Trainer users need it (the course's own loops call set_epoch themselves)
    from transformers import TrainerCallback

    class _SetEpoch(TrainerCallback):
        def on_epoch_begin(self, _args: Any, state: Any, _control: Any, **_kwargs: Any) -> None:
            collator.set_epoch(int(state.epoch or 0))

    return _SetEpoch()
