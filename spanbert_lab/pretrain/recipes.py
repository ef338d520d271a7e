"""Pretraining recipes: the named objectives, a fresh model for one, and a run's data.

Named objectives cover the paper's comparisons (Tables 6 and 7):

==============  ===========================================  ========  =====
objective       masking (``spanbert_lab.masking`` scheme)    SBO head  NSP
==============  ===========================================  ========  =====
``subword``     BERT: random sub-word tokens                 no        no
``whole_word``  whole words                                  no        no
``span``        geometric spans (SpanBERT masking)           no        no
``span_sbo``    geometric spans — **SpanBERT**               yes       no
``entity``      named entities / geometric spans (50/50)     no        no
``noun_phrase`` noun phrases / geometric spans (50/50)       no        no
``<name>+nsp``  the same on two segments with NSP            as name   yes
==============  ===========================================  ========  =====

A new objective is one entry of ``_BASE`` (a masking scheme and whether the SBO is trained).
The blocks themselves come from :func:`spanbert_lab.pretrain.data.load_blocks` (cached on disk).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from spanbert_lab.contracts import PretrainExample, TokenizerLike
from spanbert_lab.masking import MaskingConfig, unigram_counts
from spanbert_lab.masking.collate import MaskingCollator
from spanbert_lab.model.pretraining import PRESETS, SpanBertConfig, SpanBertForPreTraining
from spanbert_lab.pretrain.data import load_blocks

__all__ = [
    "EVAL_MASK_SEED",
    "OBJECTIVES",
    "Objective",
    "PretrainData",
    "build_model",
    "prepare_data",
]

#: masks of the dev blocks are drawn with this seed in every run, so runs compare on equal terms
EVAL_MASK_SEED = 2020


@dataclass(frozen=True)
class Objective:
    """A pretraining objective: which masking scheme, and whether SBO / NSP are trained."""

    name: str
    scheme: str
    sbo: bool
    nsp: bool


# name: (masking scheme, SBO head trained)
_BASE: dict[str, tuple[str, bool]] = {
    "subword": ("subword", False),
    "whole_word": ("whole_word", False),
    "span": ("span", False),
    "span_sbo": ("span", True),
    "entity": ("entity", False),
    "noun_phrase": ("noun_phrase", False),
}


def _objectives() -> dict[str, Objective]:
    found = {}
    for name, (scheme, sbo) in _BASE.items():
        found[name] = Objective(name, scheme, sbo, False)
        found[f"{name}+nsp"] = Objective(f"{name}+nsp", scheme, sbo, True)
    return found


OBJECTIVES: dict[str, Objective] = _objectives()


class PretrainData(NamedTuple):
    """The blocks and collators of a run (unpacks as a 4-tuple)."""

    train_examples: list[PretrainExample]
    eval_examples: list[PretrainExample]
    collator: MaskingCollator
    eval_collator: MaskingCollator


def build_model(
    objective: Objective,
    preset: str,
    tokenizer: TokenizerLike,
    *,
    seed: int,
    block_size: int,
    **overrides: Any,
) -> SpanBertForPreTraining:
    """A freshly initialised :class:`~spanbert_lab.model.pretraining.SpanBertForPreTraining` for a run.

    The initial weights depend only on ``seed`` (drawn inside ``fork_rng``; the caller's global
    generator is untouched), and not on the objective: every weight the one-segment model has is
    the same for every objective of the same seed, so a with-NSP arm starts from the same trunk
    and heads as its one-segment twin (only the pooler and the NSP classifier are its own).
    Without SBO the SBO loss weight is 0 (the head is never used).
    """
    if tokenizer.pad_token_id is None:
        raise ValueError("build_model: the tokenizer has no pad_token_id")
    fields: dict[str, Any] = {
        "pad_token_id": int(tokenizer.pad_token_id),
        "sbo_loss_weight": 1.0 if objective.sbo else 0.0,
        "use_nsp": objective.nsp,
        "max_position_embeddings": max(PRESETS[preset]["max_position_embeddings"], block_size),
    }
    fields.update(overrides)
    model = _drawn(SpanBertConfig.preset(preset, vocab_size=len(tokenizer), **fields), seed)
    if objective.nsp:  # building the pooler and NSP classifier shifts every later draw: undo that
        twin = _drawn(SpanBertConfig.preset(preset, vocab_size=len(tokenizer), **{**fields, "use_nsp": False}), seed)  # fmt: skip
        missing, unexpected = model.load_state_dict(twin.state_dict(), strict=False)
        assert not unexpected and all("pooler" in k or "seq_relationship" in k for k in missing)
    return model


def _drawn(config: SpanBertConfig, seed: int) -> SpanBertForPreTraining:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return SpanBertForPreTraining(config)


def prepare_data(
    objective: Objective,
    tokenizer: TokenizerLike,
    *,
    block_size: int = 128,
    seed: int = 0,
    max_train_blocks: int | None = None,
    max_eval_blocks: int | None = None,
    eval_split: str = "dev",
    cache: bool = True,
    masking: MaskingConfig | None = None,
    examples: tuple[list[PretrainExample], list[PretrainExample]] | None = None,
) -> PretrainData:
    """Blocks and collators of a run: ``(train_examples, eval_examples, collator, eval_collator)``.

    Train blocks come from the ``train`` split, eval blocks from ``eval_split`` (see
    :func:`~spanbert_lab.pretrain.data.load_blocks`). Random replacement tokens follow the
    training blocks' unigram distribution. Both collators mask with ``masking`` (``None`` = the
    paper's :class:`~spanbert_lab.masking.MaskingConfig`); the training collator with ``seed``,
    the eval collator with :data:`EVAL_MASK_SEED`. ``examples`` = ``(train, eval)`` blocks made
    elsewhere (your own corpus, :func:`~spanbert_lab.pretrain.own_corpus.corpus_blocks`) are used
    instead of the course corpus's.
    """

    def blocks(split: str, limit: int | None) -> list[PretrainExample]:
        return load_blocks(
            split,
            tokenizer,
            block_size=block_size,
            nsp=objective.nsp,
            seed=seed,
            max_blocks=limit,
            cache=cache,
        )

    if examples is None:
        train_examples = blocks("train", max_train_blocks)
        eval_examples = blocks(eval_split, max_eval_blocks)
    else:
        train_examples, eval_examples = examples
    counts = unigram_counts(
        (ex["input_ids"] for ex in train_examples),
        len(tokenizer),
        ignore_ids=tokenizer.all_special_ids,
    )

    def collator(mask_seed: int) -> MaskingCollator:
        return MaskingCollator(
            tokenizer,
            objective.scheme,
            masking,
            seed=mask_seed,
            unigram_counts=counts,
            include_sbo=objective.sbo,
        )

    return PretrainData(train_examples, eval_examples, collator(seed), collator(EVAL_MASK_SEED))
