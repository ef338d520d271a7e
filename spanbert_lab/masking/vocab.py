"""What masking needs from a WordPiece vocabulary: word-start, control- and special-token tables,
and unigram counts (``docs/spanbert-reference.md#words`` and ``#replacement``).

Word boundaries follow the WordPiece rule: a piece starting with ``##`` continues the previous
word. [UNK] is ordinary text (it stands for a word the vocabulary lacks, as in the official
code): only the control tokens ([CLS], [SEP], [PAD], [MASK] and other added special tokens) are
never masked and bound the segments that masking works in.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from spanbert_lab.contracts import TokenizerLike


@dataclass(frozen=True, eq=False)
class VocabInfo:
    """What masking needs from a WordPiece tokenizer, as lookup tables over the vocabulary.

    ``is_continuation[id]`` is True for ``##`` pieces (not word starts); ``is_special[id]`` for
    every special token of the tokenizer, [UNK] included (never drawn as a random replacement);
    ``is_control[id]`` for the special tokens other than [UNK]: never masked, and they end a
    segment. ``is_control`` defaults to ``is_special`` with ``unk_token_id`` cleared.
    """

    vocab_size: int
    mask_token_id: int
    pad_token_id: int
    is_continuation: torch.Tensor
    is_special: torch.Tensor
    unk_token_id: int = -1
    is_control: torch.Tensor = None  # type: ignore[assignment]  # filled in __post_init__

    def __post_init__(self) -> None:
        if self.is_control is None:
            control = self.is_special.clone()
            if 0 <= self.unk_token_id < control.numel():
                control[self.unk_token_id] = False
            object.__setattr__(self, "is_control", control)

    @classmethod
    def from_tokenizer(cls, tokenizer: TokenizerLike) -> VocabInfo:
        """The tables of ``tokenizer`` (ValueError if it has no mask token)."""
        size = len(tokenizer)
        tokens = tuple(tokenizer.convert_ids_to_tokens(list(range(size))))
        is_cont = torch.tensor(
            [t is not None and t.startswith("##") and len(t) > 2 for t in tokens]
        )
        is_special = torch.zeros(size, dtype=torch.bool)
        is_special[[i for i in tokenizer.all_special_ids if 0 <= i < size]] = True
        if tokenizer.mask_token_id is None:
            raise ValueError("the tokenizer has no mask token; masked LM needs one")
        pad = tokenizer.pad_token_id
        unk = getattr(tokenizer, "unk_token_id", None)
        return cls(
            size,
            int(tokenizer.mask_token_id),
            -1 if pad is None else int(pad),
            is_cont,
            is_special,
            -1 if unk is None else int(unk),
        )


_VOCAB_CACHE: weakref.WeakKeyDictionary[Any, VocabInfo] = weakref.WeakKeyDictionary()


def vocab_info(tokenizer: TokenizerLike | VocabInfo) -> VocabInfo:
    """:class:`VocabInfo` for ``tokenizer`` (cached per tokenizer; a VocabInfo passes through)."""
    if isinstance(tokenizer, VocabInfo):
        return tokenizer
    info = _VOCAB_CACHE.get(tokenizer)
    if info is None or info.vocab_size != len(tokenizer):
        info = _VOCAB_CACHE[tokenizer] = VocabInfo.from_tokenizer(tokenizer)
    return info


def unigram_counts(
    sequences: Iterable[Sequence[int] | torch.Tensor],
    vocab_size: int,
    *,
    ignore_ids: Iterable[int] = (),
) -> torch.Tensor:
    """Token counts over a corpus token stream: long tensor (vocab_size,); ``ignore_ids`` get 0.

    Pass the training blocks (their special ids in ``ignore_ids``) to get the distribution the
    official code draws random replacement tokens from (``docs/spanbert-reference.md#replacement``).
    """
    counts = torch.zeros(vocab_size, dtype=torch.long)
    for seq in sequences:
        ids = torch.as_tensor(seq, dtype=torch.long).flatten()
        counts += torch.bincount(ids, minlength=vocab_size)[:vocab_size]
    ignore = list(ignore_ids)
    if ignore:
        counts[ignore] = 0
    return counts
