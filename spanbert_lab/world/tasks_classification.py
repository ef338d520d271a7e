"""Text classification: the sentiment of customer reviews of the world's organisations.

Three classes (``negative``, ``mixed``, ``positive``); see :mod:`spanbert_lab.world.reviews` for
how a review's sentences are only noisy evidence of its hidden star rating, which keeps the task
away from the ceiling. Splits review disjoint organisations.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from spanbert_lab.data.corpus import write_bytes
from spanbert_lab.world.reviews import LABELS, review_doc
from spanbert_lab.world.tasks_qa import _split_pool
from spanbert_lab.world.world import World
from spanbert_lab.world.writer import Writer

SPLIT_REVIEWS = {"train": 3000, "dev": 500, "test": 500}
CLASS_NAMES = LABELS


def make_split(world: World, split: str, n: int, rng: random.Random) -> list[dict]:
    """``n`` reviews of ``split``: ``{"id", "text", "label"}`` (label as its name)."""
    w = Writer(world, rng)
    pool = [e for _, e in _split_pool(world, split, ("org",))]
    rows = []
    for i in range(n):
        sents, label = review_doc(w, rng.choice(pool))
        text = " ".join(s.piece.text for s in sents)
        rows.append({"id": f"cls-{split}-{i:05d}", "text": text, "label": label})
    return rows


def write_classification(out: Path, world: World, rng: random.Random) -> None:
    """Write ``<split>.jsonl.gz`` (one review per line) for train, dev and test."""
    for split, n in SPLIT_REVIEWS.items():
        rows = make_split(world, split, n, random.Random(rng.getrandbits(64)))
        text = "".join(
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows
        )
        write_bytes(out / f"{split}.jsonl.gz", text.encode("utf-8"))
