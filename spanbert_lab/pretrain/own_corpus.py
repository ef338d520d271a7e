"""Pretraining blocks from your own corpus (``pretrain --corpus PATH``), with a held-out dev split.

The corpus is read by :func:`spanbert_lab.data.load_corpus` (a ``.txt`` file or folder, one
sentence per line or plain paragraphs; JSONL; or a folder in the course layout, ``train.txt`` with
``train.annotations.jsonl``, which also has a ``dev.txt`` and annotations). Without a ``dev`` file a
fraction of the *documents* is held out (``eval_fraction``), drawn with a fixed generator so every
run on the same corpus evaluates on the same documents whatever its seed. Documents are packed into
blocks as the course corpus is (:func:`~spanbert_lab.data.blocks.build_blocks`); the training
blocks must fill at least one block (:func:`~spanbert_lab.data.blocks.check_fills_a_block`).
Nothing is cached: your corpus changes, and packing a few MB takes seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from spanbert_lab.contracts import PretrainExample, TokenizerLike
from spanbert_lab.data import load_corpus
from spanbert_lab.data.blocks import BlockSet, build_blocks, build_nsp_blocks, check_fills_a_block
from spanbert_lab.data.corpus import CorpusFingerprint, corpus_fingerprint

__all__ = ["EVAL_SPLIT_SEED", "CorpusBlocks", "annotation_error", "corpus_blocks"]

EVAL_SPLIT_SEED = 0
"""The held-out documents are drawn with this seed in every run (not the run's seed)."""

_KIND_WORDS = {"entities": "entity mentions", "noun_phrases": "noun phrases"}


@dataclass(frozen=True)
class CorpusBlocks:
    """A user corpus as blocks.

    Attributes:
        train_examples, eval_examples: collator examples (``index`` 0..N-1 in each).
        fingerprint: which files were read (:func:`~spanbert_lab.data.corpus.corpus_fingerprint`).
        documents, eval_documents: documents in the training / dev part.
        dev_source: ``"held out 10% of documents"`` or the dev file's folder.
        dropped_sentences: sentences longer than a block (left out).
    """

    train_examples: list[PretrainExample]
    eval_examples: list[PretrainExample]
    fingerprint: CorpusFingerprint
    documents: int
    eval_documents: int
    dev_source: str
    dropped_sentences: int

    def describe(self) -> dict[str, Any]:
        """For the model card and ``metrics.json``."""
        return {
            **self.fingerprint.as_dict(),
            "documents": self.documents,
            "eval_documents": self.eval_documents,
            "dev": self.dev_source,
            "train_blocks": len(self.train_examples),
            "eval_blocks": len(self.eval_examples),
            "dropped_sentences": self.dropped_sentences,
        }


def annotation_error(objective: str, kind: str, corpus: str | Path) -> ValueError:
    """The error for an objective that masks annotated spans on a corpus without them."""
    return ValueError(
        f"objective {objective!r} masks {_KIND_WORDS.get(kind, kind)}, and {corpus} has none "
        f"annotated: plain text and JSONL carry no {kind}. Give a folder holding train.txt and "
        'train.annotations.jsonl (one {"doc": i, "sent": j, "spans": [[start, end, TYPE], ...]} '
        "record per sentence, character offsets, as the course corpus in data/corpus; see "
        "data/README.md), or choose an objective that needs none: span_sbo, span, whole_word, "
        "subword"
    )


def _has(docs: Any, kind: str) -> bool:
    return any(any(sentence) for doc in docs[kind] for sentence in doc)


def _split(docs: list[dict[str, Any]], fraction: float, corpus: str) -> tuple[list, list]:
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"eval_fraction must be in (0, 1), got {fraction}")
    n = len(docs)
    n_eval = max(1, round(n * fraction))
    if n - n_eval < 1:
        raise ValueError(
            f"{corpus}: {n} document(s), too few to hold out a dev split (eval_fraction "
            f"{fraction}); separate documents with a blank line (one sentence per line) or give "
            "a folder with train.txt and dev.txt"
        )
    order = torch.randperm(n, generator=torch.Generator().manual_seed(EVAL_SPLIT_SEED)).tolist()
    held = set(order[:n_eval])
    return [d for i, d in enumerate(docs) if i not in held], [docs[i] for i in sorted(held)]


def _pack(docs: list[dict[str, Any]], tokenizer: TokenizerLike, block_size: int, nsp: bool, seed: int) -> BlockSet:  # fmt: skip
    if nsp:
        gen = torch.Generator().manual_seed(seed)
        return build_nsp_blocks(docs, tokenizer, block_size, generator=gen)
    return build_blocks(docs, tokenizer, block_size)


def _examples(blocks: BlockSet, limit: int | None) -> list[PretrainExample]:
    examples = blocks.examples()
    return examples if limit is None else examples[:limit]


def corpus_blocks(
    corpus: str | Path,
    tokenizer: TokenizerLike,
    *,
    block_size: int = 128,
    nsp: bool = False,
    seed: int = 0,
    eval_fraction: float = 0.1,
    needs: tuple[str, str] | None = None,
    text_format: str = "auto",
    text_field: str = "text",
    max_train_blocks: int | None = None,
    max_eval_blocks: int | None = None,
) -> CorpusBlocks:
    """Train and dev blocks of ``corpus``.

    Args:
        corpus: a file or folder (see the module docstring).
        tokenizer: the run's tokenizer.
        block_size: tokens per block including special tokens.
        nsp: two-segment blocks with next-sentence labels (drawn with ``seed``).
        eval_fraction: documents held out for dev when the corpus has no ``dev`` file.
        needs: ``(objective name, annotation kind)`` when the objective masks annotated spans.
        text_format, text_field: how to read ``.txt`` / ``.jsonl`` files (``load_corpus``).
        max_train_blocks, max_eval_blocks: keep only the first N blocks.

    Raises:
        FileNotFoundError: no corpus there.
        ValueError: an unreadable corpus; missing annotations; too few documents to hold out a
            dev split; a corpus too small for one block; a dev split without a block.
    """
    fingerprint = corpus_fingerprint(corpus)
    read = dict(text_field=text_field, text_format=text_format)
    train_ds = load_corpus("train", path=corpus, **read)
    if needs is not None and not _has(train_ds, needs[1]):
        raise annotation_error(needs[0], needs[1], corpus)
    path = Path(corpus).expanduser()
    layout = [
        any((path / f"{s}.txt{gz}").is_file() for gz in ("", ".gz")) for s in ("train", "dev")
    ]
    if path.is_dir() and all(layout):  # the course layout: train.txt and dev.txt
        train_docs, eval_docs = list(train_ds), list(load_corpus("dev", path=corpus, **read))
        dev_source = f"{path}/dev.txt"
    else:
        train_docs, eval_docs = _split(list(train_ds), eval_fraction, str(corpus))
        dev_source = f"held out {eval_fraction:.0%} of documents (seed {EVAL_SPLIT_SEED})"
    train_set = _pack(train_docs, tokenizer, block_size, nsp, seed)
    check_fills_a_block(train_set, str(corpus))
    eval_set = _pack(eval_docs, tokenizer, block_size, nsp, seed + 1)
    if not len(eval_set):
        raise ValueError(
            f"{corpus}: the dev split ({len(eval_docs)} document(s)) makes no block; raise "
            "--eval-fraction or give more text"
        )
    return CorpusBlocks(
        train_examples=_examples(train_set, max_train_blocks),
        eval_examples=_examples(eval_set, max_eval_blocks),
        fingerprint=fingerprint,
        documents=len(train_docs),
        eval_documents=len(eval_docs),
        dev_source=dev_source,
        dropped_sentences=train_set.dropped_sentences + eval_set.dropped_sentences,
    )
