"""``make data``: regenerate the whole of ``data/`` (except checkpoints) byte-identically.

Every part is drawn from its own ``random.Random`` seeded from ``(seed, part)``, so the world
never changes with ``scale``, and the task sets never change with the corpus size. Files are
written with fixed key order, fixed separators and ``mtime=0`` gzip headers.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spanbert_lab.data.tokenizer import VOCAB_SIZE, count_words, save_tokenizer, train_wordpiece
from spanbert_lab.world.card import write_card
from spanbert_lab.world.corpus import (
    Document,
    generate_documents,
    generate_question_documents,
    interleave,
    write_corpus,
)
from spanbert_lab.world.tasks_classification import write_classification
from spanbert_lab.world.tasks_coref import write_coref
from spanbert_lab.world.tasks_ner import write_ner
from spanbert_lab.world.tasks_qa import write_qa
from spanbert_lab.world.world import World
from spanbert_lab.world.world_draw import build_world

DEFAULT_SEED = 0
DEFAULT_TRAIN_DOCS = 22000
DEV_FRACTION = 0.04
QUESTION_SHARE = 0.2
"""Question-genre documents (interviews, letters, FAQ pages, quizzes) per statement document."""

MANAGED = ("corpus", "tokenizer", "qa", "ner", "classification", "coref")
"""The folders of ``data/`` that ``build`` owns (plus ``README.md``); ``checkpoints/`` etc. are not."""
SIZED = MANAGED[:5]
"""The folders whose total size the data card's head states (written before ``coref/``, whose
size its own section states, so adding it left the head as it was)."""

_PARTS = {
    "world": 1,
    "corpus": 2,
    "qa": 3,
    "ner": 4,
    "classification": 5,
    "questions": 6,
    "coref": 7,
}


def part_rng(seed: int, part: str) -> random.Random:
    """The generator for one part of the build (independent of every other part)."""
    return random.Random(seed * 1000 + _PARTS[part])


@dataclass(frozen=True)
class BuildConfig:
    """What ``build`` makes.

    Attributes:
        seed: master seed.
        scale: multiplies the number of corpus documents (1.0 = the shipped corpus).
        vocab_size: WordPiece vocabulary size.
        tasks: also build the QA / NER / classification / coreference sets.
    """

    seed: int = DEFAULT_SEED
    scale: float = 1.0
    vocab_size: int = VOCAB_SIZE
    tasks: bool = True

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise ValueError(f"scale must be > 0, got {self.scale}")
        if self.vocab_size < 256:
            raise ValueError(f"vocab_size must be at least 256, got {self.vocab_size}")

    @property
    def train_docs(self) -> int:
        return max(10, round(DEFAULT_TRAIN_DOCS * self.scale))

    @property
    def dev_docs(self) -> int:
        return max(2, round(self.train_docs * DEV_FRACTION))

    @property
    def question_docs(self) -> tuple[int, int]:
        """Question-genre documents added to (train, dev)."""
        return round(self.train_docs * QUESTION_SHARE), round(self.dev_docs * QUESTION_SHARE)


def make_world(seed: int = DEFAULT_SEED) -> World:
    """The course world for ``seed`` (the same whatever the corpus scale)."""
    return build_world(part_rng(seed, "world"))


def build(
    output: str | Path, config: BuildConfig | None = None, log: Callable[[str], None] | None = None
) -> dict[str, float]:
    """Generate everything under ``output``; returns the seconds each stage took.

    Args:
        output: the data folder (``data/``); only the :data:`MANAGED` folders and ``README.md``
            are (re)written, anything else in it (``checkpoints/``, ``results/``) is left alone.
        config: what to build (defaults: :class:`BuildConfig`).
        log: called with one progress line per stage (the CLI passes ``print``).
    """
    config = config or BuildConfig()
    out = Path(output)
    # Start each managed folder empty, so no stale file survives; other folders are never touched.
    for name in MANAGED if config.tasks else MANAGED[:2]:
        if (out / name).is_dir():
            shutil.rmtree(out / name)
    say = log or (lambda _msg: None)
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    world = make_world(config.seed)
    rng = part_rng(config.seed, "corpus")
    seen: set[str] = set()
    docs = list(generate_documents(world, config.train_docs + config.dev_docs, rng, seen=seen))
    # The question genres come from their own generator, after the statement genres, so that
    # adding them left every statement document exactly as it was; they are spread through.
    q_train, q_dev = config.question_docs
    q_rng = part_rng(config.seed, "questions")
    asks = list(generate_question_documents(world, q_train + q_dev, q_rng, seen=seen))
    splits: dict[str, list[Document]] = {
        "train": interleave(docs[: config.train_docs], asks[:q_train]),
        "dev": interleave(docs[config.train_docs :], asks[q_train:]),
    }
    write_corpus(out / "corpus", splits)
    times["corpus"] = time.perf_counter() - t0
    say(f"corpus: {len(splits['train'])} train + {len(splits['dev'])} dev documents")

    t0 = time.perf_counter()
    counts = count_words(s for d in splits["train"] for s in d.sentences)
    vocab = train_wordpiece(counts, config.vocab_size)
    save_tokenizer(vocab, out / "tokenizer")
    times["tokenizer"] = time.perf_counter() - t0
    say(f"tokenizer: {len(vocab)} WordPieces")

    if config.tasks:
        t0 = time.perf_counter()
        write_qa(out / "qa", world, part_rng(config.seed, "qa"))
        write_ner(out / "ner", world, part_rng(config.seed, "ner"))
        write_classification(out / "classification", world, part_rng(config.seed, "classification"))
        write_coref(out / "coref", world, part_rng(config.seed, "coref"))
        times["tasks"] = time.perf_counter() - t0
        say("tasks: qa, ner, classification, coref")

        t0 = time.perf_counter()
        write_card(out, config, counts, SIZED)
        times["card"] = time.perf_counter() - t0
        say("data card: README.md")
    return times
