"""Named-entity recognition (token classification with BIO tags) from the world's sentences.

Sentences come from freshly written documents (disjoint from the corpus documents and, across
splits, written about disjoint main entities). Words are cut CoNLL-style: numbers with their
separators (``1,250``, ``3.5``), the possessive ``'s``, runs of letters, single punctuation
marks. Entity spans always start and end on word boundaries (checked while tagging), and the
entity types never overlap, so BIO tags represent them exactly.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from spanbert_lab.contracts import NP
from spanbert_lab.data.corpus import write_bytes
from spanbert_lab.world.corpus import write_document
from spanbert_lab.world.tasks_qa import _split_pool
from spanbert_lab.world.world import World
from spanbert_lab.world.writer import Writer

SPLIT_SENTENCES = {"train": 4000, "dev": 700, "test": 700}

_WORD = re.compile(r"\d+(?:[.,]\d+)*|'s\b|\w+|[^\w\s]")


def words(text: str) -> list[tuple[int, int]]:
    """Character ranges of the words of ``text`` (the NER tokenisation)."""
    return [m.span() for m in _WORD.finditer(text)]


def bio_tags(
    text: str, spans: list[tuple[int, int, str]], source: str = "sentence"
) -> tuple[list[str], list[str]]:
    """Words and BIO tags of ``text`` for its entity ``spans`` (``NP`` spans are ignored).

    Raises:
        ValueError: an entity span does not start and end on word boundaries, or two overlap;
            the message names ``source``.
    """
    ranges = words(text)
    tags = ["O"] * len(ranges)
    starts = {s: i for i, (s, _) in enumerate(ranges)}
    ends = {e: i for i, (_, e) in enumerate(ranges)}
    for a, b, t in spans:
        if t == NP:
            continue
        if a not in starts or b not in ends:
            raise ValueError(f"{source}: {t} span {text[a:b]!r} at {a}:{b} cuts a word")
        first, last = starts[a], ends[b]
        if any(tag != "O" for tag in tags[first : last + 1]):
            raise ValueError(f"{source}: {t} span {text[a:b]!r} at {a}:{b} overlaps another")
        tags[first] = f"B-{t}"
        for k in range(first + 1, last + 1):
            tags[k] = f"I-{t}"
    return [text[s:e] for s, e in ranges], tags


def make_split(world: World, split: str, n: int, rng: random.Random) -> list[dict]:
    """``n`` tagged sentences of ``split``: ``{"id", "tokens", "ner_tags"}`` (tag names)."""
    w = Writer(world, rng)
    pool = _split_pool(world, split, ("person", "person", "place", "org", "event"))
    rows: list[dict] = []
    d = 0
    while len(rows) < n:
        kind, focus = rng.choice(pool)
        doc = write_document(w, kind, focus)
        for j, s in enumerate(doc.sents):
            if len(rows) == n:
                break
            sid = f"ner-{split}-{d:05d}-{j:02d}"
            tokens, tags = bio_tags(s.piece.text, list(s.piece.spans), sid)
            rows.append({"id": sid, "tokens": tokens, "ner_tags": tags})
        d += 1
    return rows


def write_ner(out: Path, world: World, rng: random.Random) -> None:
    """Write ``<split>.jsonl.gz`` (one sentence per line) for train, dev and test."""
    for split, n in SPLIT_SENTENCES.items():
        rows = make_split(world, split, n, random.Random(rng.getrandbits(64)))
        text = "".join(
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows
        )
        write_bytes(out / f"{split}.jsonl.gz", text.encode("utf-8"))
