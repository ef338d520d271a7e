"""The pretraining corpus: documents about the world, one sentence per line.

The format is the official SpanBERT pretraining input (``docs/spanbert-reference.md#blocks``): one
sentence per line, a blank line between documents. Beside each text file lies an annotation file
with one JSON record per sentence, ``{"doc": i, "sent": j, "spans": [[start, end, type], ...]}``,
offsets relative to the sentence, types ``PER ORG LOC DATE NUM EVENT MISC`` for entity mentions and
``NP`` for other noun phrases. The annotations are recorded while the sentences are written
(:mod:`spanbert_lab.data.text`), never searched for afterwards.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from spanbert_lab.data.docs_events import event_doc
from spanbert_lab.data.docs_people import biography
from spanbert_lab.data.docs_world import org_doc, place_doc
from spanbert_lab.data.reviews import review_doc
from spanbert_lab.data.world import World
from spanbert_lab.data.writer import Sent, Writer

DOC_KINDS = ("person", "place", "org", "event", "review")
DOC_WEIGHTS = (55, 13, 13, 12, 7)


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
    }[kind]
    return Document(kind, focus, make(w, focus))


def generate_documents(
    world: World, n_docs: int, rng: random.Random, unique: bool = True, min_sentences: int = 3
) -> Iterator[Document]:
    """``n_docs`` documents of mixed kinds; every draw comes from ``rng``.

    With ``unique``, a sentence that already occurred in an earlier document is dropped (so one
    pass over the corpus never shows a sentence twice), and a document left with fewer than
    ``min_sentences`` sentences is skipped.
    """
    w = Writer(world, rng)
    pools = {
        "person": list(world.people),
        "place": list(world.places),
        "org": list(world.orgs),
        "event": list(world.events),
        "review": list(world.orgs),
    }
    seen: set[str] = set()
    made = 0
    while made < n_docs:
        kind = rng.choices(DOC_KINDS, weights=DOC_WEIGHTS)[0]
        doc = write_document(w, kind, rng.choice(pools[kind]))
        if unique:
            doc.sents = [s for s in doc.sents if s.piece.text not in seen]
            if len(doc.sents) < min_sentences:
                continue
            seen.update(s.piece.text for s in doc.sents)
        made += 1
        yield doc


# --------------------------------------------------------------------------------- file formats


def gzip_bytes(data: bytes) -> bytes:
    """gzip ``data`` reproducibly: no file name, ``mtime=0``, fixed compression level."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
        f.write(data)
    return buf.getvalue()


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (gzipped when the name ends in ``.gz``), creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip_bytes(data) if path.suffix == ".gz" else data)


def read_text(path: Path) -> str:
    """Read a text file, transparently un-gzipping ``.gz`` files."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8")


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


def write_corpus(out: Path, splits: dict[str, list[Document]]) -> dict[str, Path]:
    """Write ``<split>.txt.gz`` and ``<split>.annotations.jsonl.gz`` for each split."""
    paths = {}
    for split, docs in splits.items():
        text_path = out / f"{split}.txt.gz"
        write_bytes(text_path, corpus_text(docs).encode("utf-8"))
        write_bytes(out / f"{split}.annotations.jsonl.gz", annotation_lines(docs).encode("utf-8"))
        paths[split] = text_path
    return paths


def parse_corpus_text(text: str, source: str) -> list[list[str]]:
    """Split one-sentence-per-line text into documents (lists of sentences).

    Raises:
        ValueError: the text holds no document, naming ``source``.
    """
    docs = [[ln.strip() for ln in block.split("\n") if ln.strip()] for block in text.split("\n\n")]
    docs = [d for d in docs if d]
    if not docs:
        raise ValueError(
            f"{source}: no document found (expected one sentence per line, a blank line between documents)"
        )
    return docs
