"""What masking needs from a WordPiece vocabulary: word-start and special-token tables, unigram
counts, and the random-replacement sampler (``docs/spanbert-reference.md#words`` and
``#replacement``).

Word boundaries follow the WordPiece rule: a piece starting with ``##`` continues the previous
word. Random replacement tokens are drawn from the corpus unigram distribution (the official code
samples from the dataset's token stream), or uniformly over the non-special vocabulary.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from spanbert_lab.masking import MaskingConfig


@dataclass(frozen=True, eq=False)
class VocabInfo:
    """What masking needs from a WordPiece tokenizer, as lookup tables over the vocabulary.

    ``is_continuation[id]`` is True for ``##`` pieces (not word starts); ``is_special[id]`` for
    [CLS], [SEP], [PAD], [MASK], [UNK]-like added special tokens.
    """

    vocab_size: int
    mask_token_id: int
    pad_token_id: int
    is_continuation: torch.Tensor
    is_special: torch.Tensor

    @classmethod
    def from_tokenizer(cls, tokenizer: Any) -> VocabInfo:
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
        return cls(
            size,
            int(tokenizer.mask_token_id),
            -1 if pad is None else int(pad),
            is_cont,
            is_special,
        )


_VOCAB_CACHE: weakref.WeakKeyDictionary[Any, VocabInfo] = weakref.WeakKeyDictionary()


def vocab_info(tokenizer: Any) -> VocabInfo:
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


class RandomTokenSampler:
    """Draws random replacement tokens: unigram (inverse CDF) or uniform over non-special ids.

    Args:
        info: the tokenizer's :class:`VocabInfo`.
        config: uses ``random_token_source``.
        counts: (V,) unigram counts (see :func:`unigram_counts`); ``None`` means uniform.
    """

    def __init__(self, info: VocabInfo, config: MaskingConfig, counts: torch.Tensor | None) -> None:
        cfg = config
        self.cdf: torch.Tensor | None = None
        if cfg.random_token_source == "unigram" and counts is not None:
            weights = counts.to(torch.float64)[: info.vocab_size].clone()
            weights[info.is_special[: weights.numel()]] = 0.0
            if weights.sum() <= 0:
                raise ValueError("unigram_counts has no mass on non-special tokens")
            self.cdf = torch.cumsum(weights, 0) / weights.sum()
            last = int(torch.nonzero(weights).max())
            self.cdf[last:] = 1.0  # float rounding must never reach a zero-count id
        self.ids = torch.nonzero(~info.is_special).flatten()

    def draw(self, k: int, generator: torch.Generator) -> torch.Tensor:
        """``k`` token ids, long (k,), drawn with ``generator``."""
        if self.cdf is not None:
            u = torch.rand(k, generator=generator, dtype=torch.float64)
            return torch.searchsorted(self.cdf, u, right=True).clamp_(max=self.cdf.numel() - 1)
        return self.ids[torch.randint(self.ids.numel(), (k,), generator=generator)]
