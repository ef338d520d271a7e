"""Coreference in miniature: short documents with every entity mention and its true antecedent.

The documents come from the coreference task's own writer (:mod:`spanbert_lab.world.docs_coref`),
not from the corpus's: each is about a person, an organisation, a place or an event together with
two to four people — relatives, colleagues, founders, fellow participants, often of the same
gender — and their organisations and places, so that a pronoun or "the painter" / "the company" is
resolved by context (the previous sentence's subject, a stated occupation or kind), not by "the
document's subject" or "the nearest mention of its type". Every sentence states facts of the
world, and the writer records which entity each mention refers to while it writes — a full name, a
surname or first name, a pronoun (``she``, ``his``, ``its``), or a description (``the painter``,
``the company``, ``the town``, ``the festival``) — so the gold clusters are known by construction
(:attr:`spanbert_lab.world.text.Piece.mentions`), never guessed from the text. A document has
:data:`MIN_SENTENCES` to :data:`MAX_SENTENCES` sentences, at most :data:`MAX_WORDS` words, at
least :data:`MIN_PEOPLE` people and one coreference link.

Documents are written from their own generator (``make data``'s ``coref`` part); train, dev and
test are about disjoint main entities (entity ids bucketed by number, as for QA and NER). They
describe the same world as the corpus, and a few of their sentences are phrased as the corpus's
are, so some occur verbatim in it; the data card states how many.

What is *not* a mention: provinces, rivers, landmarks and the country (named but not entities of
the world's tables), dates and numbers, and noun phrases that only describe (``[a painter]``).

The file format is :mod:`spanbert_lab.data.coref`'s (one JSON document per line).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from spanbert_lab.data.corpus import write_bytes
from spanbert_lab.world.corpus import Document
from spanbert_lab.world.docs_coref import CorefWriter, write_coref_document
from spanbert_lab.world.tasks_qa import _split_pool
from spanbert_lab.world.world import World

SPLIT_DOCS = {"train": 500, "dev": 150, "test": 150}
MAX_SENTENCES = 8
MIN_SENTENCES = 3
MAX_WORDS = 100
MIN_PEOPLE = 2
"""Words (NER-style) per document: keeps every document within 128 WordPieces with the course
tokenizer (``tests/test_data_coref.py`` checks it)."""

KINDS = ("person", "place", "org", "event")
KIND_WEIGHTS = (55, 15, 15, 15)
"""What the documents are about, drawn by kind first, so the few hundred places, organisations
and events are not swamped by the thousands of people."""

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


def make_split(world: World, split: str, n_docs: int, rng: random.Random) -> list[dict]:
    """``n_docs`` documents of ``split``: ``{"id", "kind", "sentences", "text", "mentions"}``."""
    cw = CorefWriter(world, rng)
    pools = {k: [e for _, e in _split_pool(world, split, (k,))] for k in KINDS}
    rows: list[dict] = []
    while len(rows) < n_docs:
        kind = rng.choices(KINDS, weights=KIND_WEIGHTS)[0]
        max_sents = rng.randint(MIN_SENTENCES + 1, MAX_SENTENCES)
        doc = write_coref_document(cw, kind, rng.choice(pools[kind]), max_sents, MAX_WORDS)
        n_sents = len(doc.sents)
        if n_sents < MIN_SENTENCES:
            continue
        text, mentions = mention_records(world, doc, n_sents)
        if all(m["antecedent"] is None for m in mentions):
            continue  # no coreference link: nothing to resolve
        if len({m["entity"] for m in mentions if m["type"] == "PER"}) < MIN_PEOPLE:
            continue  # one person: the pronouns would resolve by gender alone
        rows.append(
            {
                "id": f"coref-{split}-{len(rows):05d}",
                "kind": kind,
                "sentences": doc.sentences,
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
