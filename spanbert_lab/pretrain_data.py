"""What a pretraining run is made of: named objectives, blocks, collators and a fresh model.

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

Packing the corpus into blocks tokenizes ~140k sentences (tens of seconds on a laptop), so
:func:`prepare_data` keeps the packed blocks in a cache folder (``$SPANBERT_LAB_CACHE``, default
``~/.cache/spanbert_lab``), keyed by the corpus text, the tokenizer vocabulary and the packing
settings; with ``max_blocks`` only as many documents are packed as needed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "EVAL_MASK_SEED",
    "OBJECTIVES",
    "Objective",
    "build_model",
    "load_blocks",
    "prepare_data",
]

#: masks of the dev blocks are drawn with this seed in every run, so runs compare on equal terms
EVAL_MASK_SEED = 2020
_KINDS = ("entities", "noun_phrases")
_CACHE_VERSION = 1


@dataclass(frozen=True)
class Objective:
    """A pretraining objective: which masking scheme, and whether SBO / NSP are trained."""

    name: str
    scheme: str
    sbo: bool
    nsp: bool


def _objectives() -> dict[str, Objective]:
    base = {"subword": ("subword", False), "whole_word": ("whole_word", False),
            "span": ("span", False), "span_sbo": ("span", True),
            "entity": ("entity", False), "noun_phrase": ("noun_phrase", False)}  # fmt: skip
    found = {}
    for name, (scheme, sbo) in base.items():
        found[name] = Objective(name, scheme, sbo, False)
        found[f"{name}+nsp"] = Objective(f"{name}+nsp", scheme, sbo, True)
    return found


OBJECTIVES: dict[str, Objective] = _objectives()


def build_model(
    objective: Objective,
    preset: str,
    tokenizer: Any,
    *,
    seed: int,
    block_size: int,
    **overrides: Any,
) -> Any:
    """A freshly initialised :class:`~spanbert_lab.modeling.SpanBertForPreTraining` for a run.

    The initial weights depend only on ``seed`` (drawn inside ``fork_rng``; the caller's global
    generator is untouched). Without SBO the SBO loss weight is 0 (the head is never used).
    """
    from spanbert_lab.modeling import PRESETS, SpanBertConfig, SpanBertForPreTraining

    fields: dict[str, Any] = {
        "vocab_size": len(tokenizer),
        "pad_token_id": int(tokenizer.pad_token_id),
        "sbo_loss_weight": 1.0 if objective.sbo else 0.0,
        "use_nsp": objective.nsp,
        "max_position_embeddings": max(PRESETS[preset]["max_position_embeddings"], block_size),
    }
    fields.update(overrides)
    config = SpanBertConfig.preset(preset, **fields)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return SpanBertForPreTraining(config)


def _pack(docs: list[dict], tokenizer: Any, block_size: int, nsp: bool, seed: int) -> list[dict]:
    from spanbert_lab.blocks import build_blocks, build_nsp_blocks

    if nsp:
        gen = torch.Generator().manual_seed(seed)
        return build_nsp_blocks(docs, tokenizer, block_size, generator=gen).examples()
    return build_blocks(docs, tokenizer, block_size).examples()


def _cache_dir() -> Path:
    return Path(os.environ.get("SPANBERT_LAB_CACHE", Path.home() / ".cache" / "spanbert_lab"))


def _cache_path(split: str, tokenizer: Any, settings: list[Any]) -> Path | None:
    """Cache file of a split's blocks: keyed by the corpus files, the vocabulary and ``settings``.

    ``None`` when the course corpus files are not where ``load_corpus`` reads them by default.
    """
    from spanbert_lab.runtime import data_dir

    digest = hashlib.sha256(json.dumps([_CACHE_VERSION, split, *settings]).encode())
    for name in (f"{split}.txt", f"{split}.annotations.jsonl"):
        found = [p for p in (data_dir() / "corpus" / name, data_dir() / "corpus" / f"{name}.gz")
                 if p.is_file()]  # fmt: skip
        if not found:
            return None
        digest.update(found[0].read_bytes())
    digest.update(json.dumps(sorted(tokenizer.get_vocab().items())).encode())
    return _cache_dir() / f"blocks-{split}-{digest.hexdigest()[:20]}.pt"


def _to_tensors(examples: list[dict]) -> dict[str, torch.Tensor]:
    flat = {k: [x for ex in examples for x in ex[k]] for k in ("input_ids", "token_type_ids")}
    out = {
        "lengths": torch.tensor([len(ex["input_ids"]) for ex in examples], dtype=torch.long),
        "input_ids": torch.tensor(flat["input_ids"], dtype=torch.int32),
        "token_type_ids": torch.tensor(flat["token_type_ids"], dtype=torch.int8),
        "nsp": torch.tensor([ex.get("next_sentence_label", -1) for ex in examples]),
    }
    for kind in _KINDS:
        rows = [(i, s, e) for i, ex in enumerate(examples) for s, e in ex.get(kind, [])]
        out[kind] = torch.tensor(rows, dtype=torch.long).reshape(-1, 3)
    return out


def _from_tensors(t: dict[str, torch.Tensor]) -> list[dict]:
    lengths = t["lengths"].tolist()
    ids = torch.split(t["input_ids"].long(), lengths)
    types = torch.split(t["token_type_ids"].long(), lengths)
    examples = [{"input_ids": i.tolist(), "token_type_ids": ty.tolist(), "index": n}
                for n, (i, ty) in enumerate(zip(ids, types, strict=True))]  # fmt: skip
    for kind in _KINDS:
        for ex in examples:
            ex[kind] = []
        for i, s, e in t[kind].tolist():
            examples[i][kind].append((s, e))
    for ex, label in zip(examples, t["nsp"].tolist(), strict=True):
        if label >= 0:
            ex["next_sentence_label"] = label
    return examples


def load_blocks(
    split: str,
    tokenizer: Any,
    *,
    block_size: int = 128,
    nsp: bool = False,
    seed: int = 0,
    max_blocks: int | None = None,
    cache: bool = True,
) -> list[dict]:
    """Collator examples (``BlockSet.examples()``) of a corpus split, cached on disk.

    Args:
        split: ``"train"`` or ``"dev"`` (see ``spanbert_lab.data.load_corpus``).
        tokenizer: the course tokenizer.
        block_size: tokens per block including special tokens.
        nsp: two segments + NSP labels (``build_nsp_blocks``, drawn with ``seed``).
        max_blocks: pack documents only until this many blocks exist, and return those.
        cache: read and write the block cache.

    Returns:
        Examples with ``input_ids``, ``token_type_ids``, ``index`` (0..N-1), ``entities``,
        ``noun_phrases`` (token spans) and, with ``nsp``, ``next_sentence_label``.
    """
    from spanbert_lab.data import load_corpus

    settings = [block_size, nsp, seed if nsp else 0]
    path = _cache_path(split, tokenizer, [*settings, max_blocks])
    full = _cache_path(split, tokenizer, [*settings, None])
    for candidate in (path, full if not nsp else None):  # a prefix of all blocks is a prefix
        if cache and candidate is not None and candidate.is_file():
            try:
                examples = _from_tensors(torch.load(candidate, weights_only=True))
                return examples if max_blocks is None else examples[:max_blocks]
            except (OSError, RuntimeError, KeyError):
                pass  # a damaged cache file is rebuilt below
    corpus = load_corpus(split)
    if max_blocks is None:
        examples = _pack(list(corpus), tokenizer, block_size, nsp, seed)
    else:  # pack growing prefixes of the documents until there are enough blocks
        n = 64
        while True:
            n = min(len(corpus), n)
            docs = list(corpus.select(range(n)) if hasattr(corpus, "select") else corpus[:n])
            examples = _pack(docs, tokenizer, block_size, nsp, seed)
            if len(examples) >= max_blocks or n >= len(corpus):
                break
            n *= 2
        examples = [{**ex, "index": i} for i, ex in enumerate(examples[:max_blocks])]
    if cache and path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            torch.save(_to_tensors(examples), tmp)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only home only costs time
    return examples


def prepare_data(
    objective: Objective,
    tokenizer: Any,
    *,
    block_size: int = 128,
    seed: int = 0,
    max_train_blocks: int | None = None,
    max_eval_blocks: int | None = None,
    eval_split: str = "dev",
    cache: bool = True,
) -> tuple[list[dict], list[dict], Any, Any]:
    """Blocks and collators of a run: ``(train_examples, eval_examples, collator, eval_collator)``.

    Train blocks come from the ``train`` split, eval blocks from ``eval_split`` (see
    :func:`load_blocks`). Random replacement tokens follow the training blocks' unigram
    distribution. The training collator masks with ``seed``, the eval collator with
    :data:`EVAL_MASK_SEED`.
    """
    from spanbert_lab.collate import MaskingCollator
    from spanbert_lab.masking import unigram_counts

    def blocks(split: str, limit: int | None) -> list[dict]:
        return load_blocks(split, tokenizer, block_size=block_size, nsp=objective.nsp,
                           seed=seed, max_blocks=limit, cache=cache)  # fmt: skip

    train_examples = blocks("train", max_train_blocks)
    eval_examples = blocks(eval_split, max_eval_blocks)
    counts = unigram_counts(
        (ex["input_ids"] for ex in train_examples),
        len(tokenizer),
        ignore_ids=tokenizer.all_special_ids,
    )

    def collator(mask_seed: int) -> MaskingCollator:
        return MaskingCollator(tokenizer, objective.scheme, seed=mask_seed,
                               unigram_counts=counts, include_sbo=objective.sbo)  # fmt: skip

    return train_examples, eval_examples, collator(seed), collator(EVAL_MASK_SEED)
