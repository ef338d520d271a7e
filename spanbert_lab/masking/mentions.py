"""How often a masking scheme hides a whole annotated mention.

An extractive-QA answer in the course world is usually an entity mention of several WordPieces
("Marta Lindqvist", "Port Avel"). To predict such a mention from its context, the encoder must
have practised filling in *all* of its pieces at once, which BERT's sub-word masking rarely asks
for: it masks 15% of the pieces independently, so a two-piece mention is hidden whole with
probability about 0.15², a three-piece one 0.15³. Span and entity masking hide whole mentions far
more often. :func:`mention_coverage` counts it on real pretraining blocks, with the masks drawn
exactly as the pretraining collator draws them (one generator per block, seeded from
``(seed, epoch, block index)``), so the numbers describe what each ablation arm practised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from spanbert_lab.contracts import ANNOTATION_KINDS, IGNORE_INDEX, PretrainExample, TokenizerLike
from spanbert_lab.masking.batch import mask_example
from spanbert_lab.masking.config import MaskingConfig
from spanbert_lab.masking.schemes import scheme_spec
from spanbert_lab.masking.seeding import example_generator
from spanbert_lab.masking.vocab import VocabInfo

__all__ = ["MentionCoverage", "mention_coverage"]


@dataclass(frozen=True)
class MentionCoverage:
    """Counts over the annotated mentions of at least ``min_pieces`` WordPieces.

    Attributes:
        mentions: mentions counted.
        whole: mentions whose every piece was masked (a prediction target).
        touched: mentions with at least one piece masked.
    """

    mentions: int
    whole: int
    touched: int

    @property
    def whole_rate(self) -> float:
        """Fraction of the mentions hidden whole (0 when there are none)."""
        return self.whole / self.mentions if self.mentions else 0.0

    @property
    def touched_rate(self) -> float:
        """Fraction of the mentions with at least one piece masked."""
        return self.touched / self.mentions if self.mentions else 0.0


def mention_coverage(
    examples: Sequence[PretrainExample],
    *,
    tokenizer: TokenizerLike | VocabInfo,
    scheme: str,
    kind: str = "entities",
    min_pieces: int = 2,
    config: MaskingConfig | None = None,
    seed: int = 0,
    epoch: int = 0,
) -> MentionCoverage:
    """Mask every block with ``scheme`` and count the ``kind`` mentions hidden whole.

    Args:
        examples: pretraining blocks (``spanbert_lab.pretrain.data.load_blocks``), each with
            ``input_ids``, ``index`` and its annotation spans (``entities``, ``noun_phrases``).
        tokenizer: the tokenizer the blocks were made with (or its ``VocabInfo``).
        scheme: a masking scheme (``spanbert_lab.masking.SCHEMES``).
        kind: the annotation whose mentions are counted: ``"entities"`` or ``"noun_phrases"``.
        min_pieces: count only mentions of at least this many WordPieces (2: the ones sub-word
            masking can hide only by chance).
        config: the masking settings (default: the paper's). The random-replacement tokens are
            drawn uniformly here, which changes no selected position: only which tokens are
            prediction targets is counted.
        seed, epoch: the collator's seed and epoch (block ``i`` uses
            ``example_generator(seed, epoch, i)``).

    Raises:
        ValueError: an unknown ``kind``, ``min_pieces`` < 1, or a block without ``index``.
    """
    if kind not in ANNOTATION_KINDS:
        raise ValueError(f"kind={kind!r}: choose one of {sorted(ANNOTATION_KINDS)}")
    if min_pieces < 1:
        raise ValueError(f"min_pieces must be at least 1, got {min_pieces}")
    cfg = dataclasses.replace(config or MaskingConfig(), random_token_source="uniform")
    reads = scheme_spec(scheme).annotation_kind
    mentions = whole = touched = 0
    for example in examples:
        if "index" not in example:
            raise ValueError("every block needs its 'index' (the collator seeds its mask with it)")
        batch = mask_example(
            torch.as_tensor(example["input_ids"]),
            tokenizer=tokenizer,
            generator=example_generator(seed, epoch, int(example["index"])),
            scheme=scheme,
            config=cfg,
            annotations=list(example.get(reads, [])) if reads else None,
        )
        target = (batch.labels[0] != IGNORE_INDEX).tolist()
        for start, end in example.get(kind, []):
            if end - start < min_pieces:
                continue
            hidden = sum(target[start:end])
            mentions += 1
            whole += hidden == end - start
            touched += hidden > 0
    return MentionCoverage(mentions, whole, touched)
