"""The course corpus generated: documents about the world in every genre, and the corpus files.

Each document is written sentence by sentence from the world's facts (:mod:`spanbert_lab.world.writer`
and the ``docs_*`` genres), with its annotations recorded while it is written; the files are in the
format of :mod:`spanbert_lab.data.corpus` (one sentence per line, a blank line between documents,
one JSON annotation record per sentence).
"""

from __future__ import annotations

import json
import random
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from spanbert_lab.data.corpus import write_bytes
from spanbert_lab.world.docs_events import event_doc
from spanbert_lab.world.docs_faq import asked_about, org_faq, place_faq, quiz_doc
from spanbert_lab.world.docs_interviews import interview_doc, letter_doc
from spanbert_lab.world.docs_people import biography
from spanbert_lab.world.docs_world import org_doc, place_doc
from spanbert_lab.world.reviews import review_doc, review_questions
from spanbert_lab.world.world import World
from spanbert_lab.world.writer import Sent, Writer

DOC_KINDS = ("person", "place", "org", "event", "review")
DOC_WEIGHTS = (55, 13, 13, 12, 7)
QUESTION_KINDS = ("interview", "letter", "faq", "quiz", "asked-review")
"""The genres that ask questions (:mod:`~spanbert_lab.world.docs_interviews`, ``docs_faq``)."""
QUESTION_WEIGHTS = (30, 15, 25, 12, 18)


@dataclass
class Document:
    """One generated document: its kind, the entity it is about and its sentences."""

    kind: str
    focus: str
    sents: list[Sent]

    @property
    def sentences(self) -> list[str]:
        return [s.piece.text for s in self.sents]


def write_document(w: Writer, kind: str, focus: str) -> Document:
    """Write one document of ``kind`` about entity ``focus`` (``review``: a review's subject)."""
    make = {
        "person": biography,
        "place": place_doc,
        "org": org_doc,
        "event": event_doc,
        "review": lambda w, f: review_doc(w, f)[0],
        "interview": interview_doc,
        "letter": letter_doc,
        "faq": lambda w, f: place_faq(w, f) if f.startswith("L") else org_faq(w, f),
        "quiz": quiz_doc,
        "asked-review": review_questions,
    }[kind]
    return Document(kind, focus, make(w, focus))


def generate_documents(
    world: World,
    n_docs: int,
    rng: random.Random,
    unique: bool = True,
    min_sentences: int = 3,
    seen: set[str] | None = None,
) -> Iterator[Document]:
    """``n_docs`` documents of the statement genres (:data:`DOC_KINDS`); every draw from ``rng``.

    With ``unique``, a sentence that already occurred in an earlier document (or is in
    ``seen``, which is updated) is dropped, so one pass over the corpus never shows a sentence
    twice, and a document left with fewer than ``min_sentences`` sentences is skipped.
    """
    pools = {
        "person": list(world.people),
        "place": list(world.places),
        "org": list(world.orgs),
        "event": list(world.events),
        "review": list(world.orgs),
    }
    yield from _generate(
        world, n_docs, rng, (DOC_KINDS, DOC_WEIGHTS), pools, unique, min_sentences, seen
    )


def generate_question_documents(
    world: World,
    n_docs: int,
    rng: random.Random,
    unique: bool = True,
    min_sentences: int = 3,
    seen: set[str] | None = None,
) -> Iterator[Document]:
    """``n_docs`` documents of the question genres (:data:`QUESTION_KINDS`), like
    :func:`generate_documents`.

    Interviews and letters are by people, FAQ pages about places and organisations, quizzes
    about the province of a place, customers' questions about organisations; none is about an entity the QA task's dev or test documents
    are about (:func:`~spanbert_lab.world.docs_faq.asked_about`).
    """
    people = [q for q in world.people if asked_about(q)]
    places = [q for q in world.places if asked_about(q)]
    pools = {
        "interview": people,
        "letter": people,
        "faq": places + [q for q in world.orgs if asked_about(q)],
        "quiz": places,
        "asked-review": [q for q in world.orgs if asked_about(q)],
    }
    kinds = (QUESTION_KINDS, QUESTION_WEIGHTS)
    yield from _generate(world, n_docs, rng, kinds, pools, unique, min_sentences, seen)


def _generate(
    world: World,
    n_docs: int,
    rng: random.Random,
    kinds: tuple[tuple[str, ...], tuple[int, ...]],
    pools: dict[str, list[str]],
    unique: bool,
    min_sentences: int,
    seen: set[str] | None,
) -> Iterator[Document]:
    w = Writer(world, rng)
    seen = set() if seen is None else seen
    made = 0
    while made < n_docs:
        kind = rng.choices(kinds[0], weights=kinds[1])[0]
        doc = write_document(w, kind, rng.choice(pools[kind]))
        if unique:
            doc.sents = [s for s in doc.sents if s.piece.text not in seen]
            if len(doc.sents) < min_sentences:
                continue
            seen.update(s.piece.text for s in doc.sents)
        made += 1
        yield doc


def interleave(base: list[Document], extra: list[Document]) -> list[Document]:
    """``base`` and ``extra`` merged in their own orders, ``extra`` spread evenly through it."""
    keyed = [((i + 0.5) / len(base), 0, d) for i, d in enumerate(base)]
    keyed += [((i + 0.5) / len(extra), 1, d) for i, d in enumerate(extra)]
    return [d for _, _, d in sorted(keyed, key=lambda k: (k[0], k[1]))]


def corpus_text(docs: Iterable[Document]) -> str:
    """The pretraining text: one sentence per line, a blank line between documents."""
    return "\n\n".join("\n".join(d.sentences) for d in docs) + "\n"


def annotation_lines(docs: Iterable[Document]) -> str:
    """One compact JSON record per sentence: ``{"doc", "sent", "spans"}``."""
    lines = []
    for i, doc in enumerate(docs):
        for j, s in enumerate(doc.sents):
            spans = [list(sp) for sp in s.piece.spans]
            lines.append(json.dumps({"doc": i, "sent": j, "spans": spans}, separators=(",", ":")))
    return "\n".join(lines) + "\n"


SAMPLE_FORMATS = ("lines", "paragraphs", "jsonl")


def _document_text(doc: Document, text_format: str) -> str:
    if text_format == "lines":
        return "\n".join(doc.sentences) + "\n\n"
    if text_format == "paragraphs":
        return textwrap.fill(" ".join(doc.sentences), width=80) + "\n\n"
    return json.dumps({"text": " ".join(doc.sentences)}, ensure_ascii=False) + "\n"


def sample_corpus(world: World, size_bytes: int, seed: int = 0, text_format: str = "lines") -> str:
    """At least ``size_bytes`` of UTF-8 text about ``world``, for trying the own-text commands.

    Documents of the statement genres (:data:`DOC_KINDS`) drawn with ``random.Random(seed)``
    (sentences may repeat across documents), written as ``text_format``: ``lines`` (one sentence
    per line, a blank line between documents), ``paragraphs`` (each document one paragraph
    wrapped at 80 columns, a blank line between) or ``jsonl`` (``{"text": ...}`` per document).

    Raises:
        ValueError: ``size_bytes`` < 1 or an unknown ``text_format``.
    """
    if size_bytes < 1:
        raise ValueError(f"size_bytes must be at least 1, got {size_bytes}")
    if text_format not in SAMPLE_FORMATS:
        raise ValueError(f"text_format must be one of {SAMPLE_FORMATS}, got {text_format!r}")
    parts: list[str] = []
    size = 0
    docs = generate_documents(world, 1 << 40, random.Random(seed), unique=False)
    while size < size_bytes:
        parts.append(_document_text(next(docs), text_format))
        size += len(parts[-1].encode("utf-8"))
    return "".join(parts)


def write_corpus(out: Path, splits: dict[str, list[Document]]) -> dict[str, Path]:
    """Write ``<split>.txt.gz`` and ``<split>.annotations.jsonl.gz`` for each split."""
    paths = {}
    for split, docs in splits.items():
        text_path = out / f"{split}.txt.gz"
        write_bytes(text_path, corpus_text(docs).encode("utf-8"))
        write_bytes(out / f"{split}.annotations.jsonl.gz", annotation_lines(docs).encode("utf-8"))
        paths[split] = text_path
    return paths
