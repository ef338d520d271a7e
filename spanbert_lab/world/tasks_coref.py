"""Coreference in miniature: short documents with every entity mention and its true antecedent.

The writer records, while it writes, which world entity each mention refers to — a full name, a
surname or first name, a pronoun (``she``, ``his``, ``its``), or a description that stands for the
document's subject (``the company``, ``the town``, ``the festival``) — so the gold clusters are
known by construction (:attr:`spanbert_lab.world.text.Piece.mentions`), never guessed from the
text. A document here is the first sentences (2 to :data:`MAX_SENTENCES`, at most
:data:`MAX_WORDS` words) of a freshly written statement document (biography, place, organisation,
event), kept when it has at least one coreference link.

Documents are written from their own generator (``make data``'s ``coref`` part), not taken from
the pretraining corpus; train, dev and test are about disjoint main entities (entity ids bucketed
by number, as for QA and NER). They describe the same world as the corpus, and their sentences
are templated, so some occur verbatim in it; the data card states how many.

What is *not* a mention: provinces, rivers, landmarks and the country (named but not entities of
the world's tables), dates and numbers, and noun phrases that only describe (``[the founder]``).

The file format is :mod:`spanbert_lab.data.coref`'s (one JSON document per line).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from spanbert_lab.data.corpus import write_bytes
from spanbert_lab.world.corpus import Document, write_document
from spanbert_lab.world.tasks_ner import words
from spanbert_lab.world.tasks_qa import _split_pool
from spanbert_lab.world.world import World
from spanbert_lab.world.writer import Writer

SPLIT_DOCS = {"train": 500, "dev": 150, "test": 150}
MAX_SENTENCES = 6
MIN_SENTENCES = 2
MAX_WORDS = 90
"""Words (NER-style) per document: keeps every document within 128 WordPieces with the course
tokenizer (``tests/test_data_coref.py`` checks it)."""

KINDS = ("person", "place", "org", "event")
KIND_WEIGHTS = (55, 15, 15, 15)
"""Genres of the documents: biographies hold the pronouns, the others the descriptions ("the
company") and ``its``; drawn by genre first, so the few hundred places, organisations and events
are not swamped by the thousands of people."""

_TYPE = {"P": "PER", "O": "ORG", "L": "LOC", "E": "EVENT"}


def mention_records(world: World, doc: Document, n_sents: int) -> tuple[str, list[dict]]:
    """The text of ``doc``'s first ``n_sents`` sentences (joined by one space) and its mentions.

    Each mention: ``start``/``end`` (characters of the text), ``text``, ``entity`` (world id),
    ``type``, ``form``, ``gender`` (``"f"``/``"m"`` for people, else ``None``) and
    ``antecedent``: the index of the closest preceding mention of the same entity, ``None`` for
    its first mention.

    Raises:
        ValueError: two mentions overlap (the writer never nests them).
    """
    parts: list[str] = []
    found: list[tuple[int, int, str, str]] = []
    pos = 0
    for sent in doc.sents[:n_sents]:
        parts.append(sent.piece.text)
        found += [(s + pos, e + pos, i, f) for s, e, i, f in sent.piece.mentions]
        pos += len(sent.piece.text) + 1
    text = " ".join(parts)
    found.sort()
    records: list[dict] = []
    last: dict[str, int] = {}
    for k, (s, e, eid, form) in enumerate(found):
        if k and s < found[k - 1][1]:
            raise ValueError(f"overlapping mentions {found[k - 1]} and {(s, e, eid, form)}")
        person = world.people.get(eid)
        records.append(
            {
                "start": s,
                "end": e,
                "text": text[s:e],
                "entity": eid,
                "type": _TYPE[eid[0]],
                "form": form,
                "gender": person.gender if person is not None else None,
                "antecedent": last.get(eid),
            }
        )
        last[eid] = k
    return text, records


def _length(doc: Document, rng: random.Random) -> int:
    """How many leading sentences to keep: a draw from 2..6, cut to :data:`MAX_WORDS` words."""
    want = rng.randint(MIN_SENTENCES, MAX_SENTENCES)
    n, total = 0, 0
    for sent in doc.sents[:want]:
        total += len(words(sent.piece.text))
        if total > MAX_WORDS:
            break
        n += 1
    return n


def make_split(world: World, split: str, n_docs: int, rng: random.Random) -> list[dict]:
    """``n_docs`` documents of ``split``: ``{"id", "kind", "sentences", "text", "mentions"}``."""
    w = Writer(world, rng)
    pools = {k: [e for _, e in _split_pool(world, split, (k,))] for k in KINDS}
    rows: list[dict] = []
    while len(rows) < n_docs:
        kind = rng.choices(KINDS, weights=KIND_WEIGHTS)[0]
        doc = write_document(w, kind, rng.choice(pools[kind]))
        n_sents = _length(doc, rng)
        if n_sents < MIN_SENTENCES:
            continue
        text, mentions = mention_records(world, doc, n_sents)
        if all(m["antecedent"] is None for m in mentions):
            continue  # no coreference link: nothing to resolve
        rows.append(
            {
                "id": f"coref-{split}-{len(rows):05d}",
                "kind": kind,
                "sentences": doc.sentences[:n_sents],
                "text": text,
                "mentions": mentions,
            }
        )
    return rows


def write_coref(out: Path, world: World, rng: random.Random) -> None:
    """Write ``<split>.jsonl.gz`` (one document per line) for train, dev and test."""
    for split, n in SPLIT_DOCS.items():
        rows = make_split(world, split, n, random.Random(rng.getrandbits(64)))
        text = "".join(
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows
        )
        write_bytes(out / f"{split}.jsonl.gz", text.encode("utf-8"))
