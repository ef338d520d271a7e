"""The pretraining corpus on disk: documents about the world, one sentence per line.

The format is the official SpanBERT pretraining input (``docs/spanbert-reference.md#blocks``): one
sentence per line, a blank line between documents. Beside each text file lies an annotation file
with one JSON record per sentence, ``{"doc": i, "sent": j, "spans": [[start, end, type], ...]}``,
offsets relative to the sentence, types ``PER ORG LOC DATE NUM EVENT MISC`` for entity mentions and
``NP`` for other noun phrases. The annotations are recorded while the sentences are written
(:mod:`spanbert_lab.world.text`), never searched for afterwards.

This module reads and writes the format; :mod:`spanbert_lab.world.corpus` generates the documents.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path


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
