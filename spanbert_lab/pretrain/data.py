"""The corpus packed into pretraining blocks, cached on disk.

Packing the corpus into blocks tokenizes ~140k sentences (tens of seconds on a laptop), so
:func:`load_blocks` keeps the packed blocks in a cache folder (``$SPANBERT_LAB_CACHE``, default
``~/.cache/spanbert_lab``), keyed by the corpus text, the tokenizer vocabulary and the packing
settings; with ``max_blocks`` only as many documents are packed as needed. Objectives, models and
collators of a run are in :mod:`spanbert_lab.pretrain.recipes`.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch

from spanbert_lab.contracts import ANNOTATION_KINDS, PretrainExample, TokenizerLike
from spanbert_lab.data import load_corpus
from spanbert_lab.data.blocks import build_blocks, build_nsp_blocks
from spanbert_lab.runtime import data_dir

__all__ = ["load_blocks"]

_CACHE_VERSION = 1


def _pack(
    docs: list[dict[str, Any]], tokenizer: TokenizerLike, block_size: int, nsp: bool, seed: int
) -> list[PretrainExample]:
    if nsp:
        gen = torch.Generator().manual_seed(seed)
        return build_nsp_blocks(docs, tokenizer, block_size, generator=gen).examples()
    return build_blocks(docs, tokenizer, block_size).examples()


def _cache_dir() -> Path:
    return Path(os.environ.get("SPANBERT_LAB_CACHE", Path.home() / ".cache" / "spanbert_lab"))


def _cache_path(split: str, tokenizer: TokenizerLike, settings: list[Any]) -> Path | None:
    """Cache file of a split's blocks: keyed by the corpus files, the vocabulary and ``settings``.

    ``None`` when the course corpus files are not where ``load_corpus`` reads them by default.
    """
    digest = hashlib.sha256(json.dumps([_CACHE_VERSION, split, *settings]).encode())
    for name in (f"{split}.txt", f"{split}.annotations.jsonl"):
        found = [
            p
            for p in (data_dir() / "corpus" / name, data_dir() / "corpus" / f"{name}.gz")
            if p.is_file()
        ]
        if not found:
            return None
        digest.update(found[0].read_bytes())
    digest.update(json.dumps(sorted(tokenizer.get_vocab().items())).encode())
    return _cache_dir() / f"blocks-{split}-{digest.hexdigest()[:20]}.pt"


def _to_tensors(examples: list[PretrainExample]) -> dict[str, torch.Tensor]:
    flat = {k: [x for ex in examples for x in ex[k]] for k in ("input_ids", "token_type_ids")}
    out = {
        "lengths": torch.tensor([len(ex["input_ids"]) for ex in examples], dtype=torch.long),
        "input_ids": torch.tensor(flat["input_ids"], dtype=torch.int32),
        "token_type_ids": torch.tensor(flat["token_type_ids"], dtype=torch.int8),
        "nsp": torch.tensor([ex.get("next_sentence_label", -1) for ex in examples]),
    }
    for kind in ANNOTATION_KINDS:
        rows = [(i, s, e) for i, ex in enumerate(examples) for s, e in ex.get(kind, [])]
        out[kind] = torch.tensor(rows, dtype=torch.long).reshape(-1, 3)
    return out


def _from_tensors(t: dict[str, torch.Tensor]) -> list[PretrainExample]:
    lengths = t["lengths"].tolist()
    ids = torch.split(t["input_ids"].long(), lengths)
    types = torch.split(t["token_type_ids"].long(), lengths)
    examples = [
        {"input_ids": i.tolist(), "token_type_ids": ty.tolist(), "index": n}
        for n, (i, ty) in enumerate(zip(ids, types, strict=True))
    ]
    for kind in ANNOTATION_KINDS:
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
    tokenizer: TokenizerLike,
    *,
    block_size: int = 128,
    nsp: bool = False,
    seed: int = 0,
    max_blocks: int | None = None,
    cache: bool = True,
) -> list[PretrainExample]:
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
