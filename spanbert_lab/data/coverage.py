"""How well a tokenizer covers the task texts: ``[UNK]`` rate and WordPieces per word.

A fine-tuned model only sees what its tokenizer gives it: a character missing from the
vocabulary turns its whole word into ``[UNK]`` (BERT's WordPiece maps a word it cannot spell to
one ``[UNK]``), and a question word never seen in pretraining is spelled letter by letter
(``W ##h ##at``). This module measures both for every task split of the course data, so the
data card can state them and a test can hold the ``[UNK]`` rate at zero.

Words are BERT's pre-tokenisation words (:func:`~spanbert_lab.data.tokenizer.count_words`,
the same normaliser and pre-tokeniser the tokenizer runs); each distinct word is tokenised once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from transformers import PreTrainedTokenizerBase

from spanbert_lab.data.corpus import read_text
from spanbert_lab.data.tokenizer import count_words

TASK_SPLITS: tuple[tuple[str, str], ...] = tuple(
    (task, split)
    for task in ("qa-v1.1", "qa-v2.0", "ner", "classification")
    for split in ("train", "dev", "test")
)
"""Every ``(task, split)`` whose text the tokenizer must cover."""


@dataclass(frozen=True)
class Coverage:
    """Tokenizer coverage of one text collection.

    Attributes:
        words: number of words (BERT pre-tokenisation) in the texts.
        pieces: number of WordPieces they become.
        unk: number of those WordPieces that are ``[UNK]``.
        unk_words: the distinct words that produced an ``[UNK]`` (sorted; empty when covered).
    """

    words: int
    pieces: int
    unk: int
    unk_words: tuple[str, ...]

    @property
    def unk_rate(self) -> float:
        """Share of WordPieces that are ``[UNK]`` (0.0 for an empty collection)."""
        return self.unk / self.pieces if self.pieces else 0.0

    @property
    def pieces_per_word(self) -> float:
        return self.pieces / self.words if self.words else 0.0


def task_texts(folder: Path, task: str, split: str) -> Iterator[str]:
    """The texts a model reads for ``task`` / ``split`` of the course data in ``folder``.

    QA: every context once and every question (answers are substrings of their context);
    NER: every word of every sentence; classification: every review.

    Raises:
        ValueError: ``task`` is not one of those in :data:`TASK_SPLITS`.
    """
    if task.startswith("qa-v"):
        data = json.loads(read_text(folder / "qa" / f"squad-{task[3:]}-{split}.json.gz"))
        for article in data["data"]:
            for para in article["paragraphs"]:
                yield para["context"]
                for qa in para["qas"]:
                    yield qa["question"]
    elif task == "ner":
        for line in read_text(folder / "ner" / f"{split}.jsonl.gz").splitlines():
            yield from json.loads(line)["tokens"]
    elif task == "classification":
        for line in read_text(folder / "classification" / f"{split}.jsonl.gz").splitlines():
            yield json.loads(line)["text"]
    else:
        raise ValueError(f"task must be one of qa-v1.1, qa-v2.0, ner, classification; got {task!r}")


def questions(folder: Path, split: str, version: str = "2.0") -> list[str]:
    """The QA questions of one split (v2.0 holds every v1.1 question plus the unanswerable ones)."""
    data = json.loads(read_text(folder / "qa" / f"squad-v{version}-{split}.json.gz"))
    return [qa["question"] for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]]


class CoverageCounter:
    """Counts words, WordPieces and ``[UNK]`` for a tokenizer, caching each word's pieces."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase) -> None:
        self.tokenizer = tokenizer
        self._pieces: dict[str, list[int]] = {}

    def pieces(self, words: list[str]) -> list[list[int]]:
        """The WordPiece ids of each word (tokenised once, then cached)."""
        new = sorted({w for w in words if w not in self._pieces})
        if new:
            ids = self.tokenizer(new, add_special_tokens=False)["input_ids"]
            self._pieces.update(zip(new, ids, strict=True))
        return [self._pieces[w] for w in words]

    def measure(self, counts: Counter[str]) -> Coverage:
        """Coverage of a word count (from :func:`~spanbert_lab.data.tokenizer.count_words`)."""
        unk_id = self.tokenizer.unk_token_id
        words = sorted(counts)
        n_words = n_pieces = n_unk = 0
        missing: list[str] = []
        for word, ids in zip(words, self.pieces(words), strict=True):
            c = counts[word]
            n_words += c
            n_pieces += c * len(ids)
            unk = ids.count(unk_id)
            if unk:
                n_unk += c * unk
                missing.append(word)
        return Coverage(n_words, n_pieces, n_unk, tuple(missing))

    def texts(self, texts: Iterator[str] | list[str]) -> Coverage:
        return self.measure(count_words(texts))


def task_coverage(
    folder: Path, tokenizer: PreTrainedTokenizerBase
) -> dict[tuple[str, str], Coverage]:
    """Coverage of every ``(task, split)`` in :data:`TASK_SPLITS` of the data in ``folder``."""
    counter = CoverageCounter(tokenizer)
    return {(t, s): counter.texts(task_texts(folder, t, s)) for t, s in TASK_SPLITS}
