"""A WordPiece tokenizer trained on your own text (``python -m spanbert_lab data tokenizer``).

The corpus is read as ``load_corpus(path=...)`` reads it (``.txt`` one sentence per line or plain
paragraphs, ``.jsonl``; :mod:`spanbert_lab.data.corpus`); words are counted with ``tokenizers``'
BERT normaliser and pre-tokeniser, cased or (``lowercase``) uncased; the vocabulary is trained by
the course's deterministic WordPiece trainer (:func:`~spanbert_lab.data.tokenizer.train_wordpiece`:
``tokenizers``' ``WordPieceTrainer`` procedure with ties broken by text, so a rerun gives the same
ids) and saved as a fast ``transformers`` ``BertTokenizer``, which ``AutoTokenizer.from_pretrained``
opens. The folder is written next to the target and moved into place at the end, so an error
leaves no half-written tokenizer.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from transformers import AutoTokenizer

from spanbert_lab.data.corpus import CorpusFingerprint, corpus_fingerprint
from spanbert_lab.data.coverage import Coverage, CoverageCounter
from spanbert_lab.data.loaders import load_corpus
from spanbert_lab.data.tokenizer import count_words, save_tokenizer, train_wordpiece

__all__ = ["TokenizerReport", "train_tokenizer"]


@dataclass(frozen=True)
class TokenizerReport:
    """What :func:`train_tokenizer` made.

    Attributes:
        folder: where the tokenizer was saved.
        vocab_size: its vocabulary size (at most the size asked for: merges stop when no pair
            occurs ``min_frequency`` times).
        alphabet: distinct characters of the corpus (each is a token, alone and as ``##c``).
        lowercase: uncased (``True``) or cased.
        corpus: the fingerprint of the files read.
        documents: documents read.
        sentences: sentences read.
        coverage: the tokenizer's coverage of the corpus (pieces per word, ``[UNK]`` rate).
        seconds: wall time of reading, training, saving and measuring.
    """

    folder: str
    vocab_size: int
    alphabet: int
    lowercase: bool
    corpus: CorpusFingerprint
    documents: int
    sentences: int
    coverage: Coverage
    seconds: float


def _check_output(output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise ValueError(f"{output} exists and is not a folder")
    if output.is_dir() and any(output.iterdir()) and not (output / "tokenizer.json").is_file():
        raise ValueError(
            f"{output} holds other files and no tokenizer.json: choose an empty or new folder "
            "(an existing tokenizer folder is replaced)"
        )


def train_tokenizer(
    corpus: str | Path,
    output: str | Path,
    vocab_size: int,
    *,
    lowercase: bool = False,
    text_format: str = "auto",
    text_field: str = "text",
    min_frequency: int = 2,
) -> TokenizerReport:
    """Train a WordPiece tokenizer of at most ``vocab_size`` tokens on ``corpus``; save it to
    ``output`` (created, or replaced when it already holds a tokenizer).

    Raises:
        FileNotFoundError: no corpus at ``corpus``.
        ValueError: an empty, binary or non-UTF-8 corpus file; ``vocab_size`` below the corpus's
            alphabet; ``output`` a file or a folder holding something other than a tokenizer.
    """
    start = time.perf_counter()
    out = Path(output).expanduser()
    _check_output(out)
    fingerprint = corpus_fingerprint(corpus)
    docs = load_corpus("train", path=corpus, text_field=text_field, text_format=text_format)
    sentences = [s for doc in docs["sentences"] for s in doc]
    counts = count_words(sentences, lowercase=lowercase)
    vocab = train_wordpiece(counts, vocab_size, min_frequency=min_frequency)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        save_tokenizer(vocab, tmp, lowercase=lowercase)
        tokenizer = AutoTokenizer.from_pretrained(str(tmp))  # the folder opens as users open it
        coverage = CoverageCounter(tokenizer).measure(counts)
        if out.is_dir():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return TokenizerReport(
        folder=str(out),
        vocab_size=len(vocab),
        alphabet=len({c for w in counts for c in w}),
        lowercase=lowercase,
        corpus=fingerprint,
        documents=len(docs),
        sentences=len(sentences),
        coverage=coverage,
        seconds=time.perf_counter() - start,
    )
