"""The pretraining corpus on disk: documents about the world, one sentence per line.

The format is the official SpanBERT pretraining input (``docs/spanbert-reference.md#blocks``): one
sentence per line, a blank line between documents. Beside each text file lies an annotation file
with one JSON record per sentence, ``{"doc": i, "sent": j, "spans": [[start, end, type], ...]}``,
offsets relative to the sentence, types ``PER ORG LOC DATE NUM EVENT MISC`` for entity mentions and
``NP`` for other noun phrases. The annotations are recorded while the sentences are written
(:mod:`spanbert_lab.world.text`), never searched for afterwards.

This module reads and writes the format; :mod:`spanbert_lab.world.corpus` generates the documents.

Your own text (``load_corpus(path=...)``, ``pretrain --corpus``, ``data tokenizer --corpus``) comes in
one of :data:`TEXT_FORMATS`:

* ``lines`` — the official SpanBERT input: one sentence per line, a blank line between documents;
* ``paragraphs`` — plain prose: a blank line ends a paragraph, a paragraph's lines are joined
  (hard-wrapped text is fine), each paragraph is cut into sentences by :func:`split_sentences`
  and is one document;
* ``jsonl`` — one document per record (``.jsonl`` files; see ``formats.read_text_jsonl``);
* ``auto`` — ``.jsonl`` files are JSONL; a text file is ``lines`` when at least 80 % of its
  (first 2000) non-blank lines look like one whole sentence (one sentence by
  :func:`split_sentences`, ending in ``. ! ? : ;`` or a closing quote after one), else
  ``paragraphs`` (:func:`detect_text_format`).

Files must be UTF-8 (a byte-order mark is dropped); a binary file, a file in another encoding
(the error gives the line and column) and an empty file are refused with a ``ValueError``.
:func:`corpus_fingerprint` identifies the exact files read (path, size, SHA-256) for a model card.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TEXT_FORMATS = ("auto", "lines", "paragraphs", "jsonl")
"""How a corpus file is read (see the module docstring)."""
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
_SAMPLE_LINES = 2000
_LINES_SHARE = 0.8


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
    """Read a UTF-8 text file, transparently un-gzipping ``.gz`` files.

    Raises:
        ValueError: not a gzip file although named ``.gz``; a binary file; not UTF-8 (naming the
            line and column of the first bad byte).
    """
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as err:
            raise ValueError(f"{path}: not a readable gzip file ({err})") from err
    return decode_text(data, str(path))


def decode_text(data: bytes, source: str) -> str:
    """``data`` decoded as UTF-8 (a leading byte-order mark dropped), or a clear ``ValueError``.

    A NUL byte means a binary file (or UTF-16 text, which holds one in every ASCII character);
    an invalid UTF-8 sequence is reported with its line and column (1-based).
    """
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ValueError(
            f"{source}: a binary file, not text (a NUL byte at byte {nul}); the corpus must be "
            "UTF-8 text (UTF-16 text also looks like this: convert it to UTF-8)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise ValueError(
            f"{source}: line {line}, column {column}: not UTF-8 (byte 0x{data[err.start]:02x}); "
            "save the file as UTF-8 (for example `iconv -f latin1 -t utf-8 IN > OUT`)"
        ) from err
    return text.removeprefix("\ufeff")


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


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_ENDS_A_SENTENCE = re.compile(r"[.!?:;…][\"'”’)\]]*$")


def split_sentences(text: str) -> list[str]:
    """Cut a paragraph into sentences after ``. ! ?`` followed by space and a capital or digit.

    Deliberately simple (no abbreviation list): pretraining only needs sentence-sized pieces.
    Line breaks always end a sentence.
    """
    out = []
    for line in text.splitlines():
        out += [s.strip() for s in _SENTENCE_END.split(line) if s.strip()]
    return out


def detect_text_format(text: str) -> str:
    """``"lines"`` (one sentence per line) or ``"paragraphs"`` (prose), from the first 2000
    non-blank lines: ``lines`` when at least 80 % of them are one whole sentence each."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()][:_SAMPLE_LINES]
    whole = sum(bool(_ENDS_A_SENTENCE.search(ln)) and len(split_sentences(ln)) == 1 for ln in lines)
    return "lines" if lines and whole >= _LINES_SHARE * len(lines) else "paragraphs"


def parse_paragraphs(text: str, source: str) -> list[list[str]]:
    """Plain prose into documents: one per paragraph (blank-line separated), its lines joined
    with spaces and cut into sentences by :func:`split_sentences`.

    Raises:
        ValueError: the text holds no paragraph, naming ``source``.
    """
    paragraphs = [
        " ".join(ln.strip() for ln in block.splitlines()) for block in re.split(r"\n\s*\n", text)
    ]
    docs = [split_sentences(p) for p in paragraphs if p.strip()]
    if not docs:
        raise ValueError(f"{source}: no paragraph found (the file holds only white space)")
    return docs


def parse_text(text: str, source: str, text_format: str = "auto") -> tuple[list[list[str]], str]:
    """Documents of a text file's contents and the format used (``lines`` or ``paragraphs``).

    Raises:
        ValueError: an empty text, or ``text_format`` not ``auto``/``lines``/``paragraphs``.
    """
    if text_format not in ("auto", "lines", "paragraphs"):
        raise ValueError(
            f"text_format must be auto, lines or paragraphs for {source}, got {text_format!r}"
        )
    if not text.strip():
        raise ValueError(f"{source}: empty document (the file holds no text)")
    fmt = detect_text_format(text) if text_format == "auto" else text_format
    docs = parse_corpus_text(text, source) if fmt == "lines" else parse_paragraphs(text, source)
    return docs, fmt


# ------------------------------------------------------------------------------ your corpus's files


def corpus_files(path: Path, split: str = "train") -> list[Path]:
    """The files ``load_corpus(split, path=path)`` reads, in the order it reads them.

    ``path`` is a file; a folder with ``<split>.txt[.gz]`` (and its ``<split>.annotations.jsonl``
    when present); or a folder (else its ``<split>/`` sub-folder) of ``.txt``, ``.jsonl`` and
    ``.jsonl.gz`` files, sorted by name.

    Raises:
        FileNotFoundError: nothing there to read (the message gives the path).
    """
    if not path.exists():
        raise FileNotFoundError(f"corpus path not found: {path}")
    if path.is_file():
        return [path]
    for gz in ("", ".gz"):
        if (path / f"{split}.txt{gz}").is_file():
            names = [
                f"{split}.txt{gz}",
                f"{split}.annotations.jsonl",
                f"{split}.annotations.jsonl.gz",
            ]
            return [path / n for n in names if (path / n).is_file()][:2]

    def texts(folder: Path) -> list[Path]:
        patterns = ("*.txt", "*.txt.gz", *(f"*{s}" for s in JSONL_SUFFIXES))
        return sorted({f for pattern in patterns for f in folder.glob(pattern) if f.is_file()})

    files = texts(path) or texts(path / split)
    if not files:
        raise FileNotFoundError(f"no .txt or .jsonl files (or {split}.txt) in {path}")
    return files


@dataclass(frozen=True)
class CorpusFingerprint:
    """Which corpus a model was trained on: enough to tell whether two runs read the same bytes.

    Attributes:
        path: the corpus path as given, made absolute.
        files: how many files were read.
        bytes: their total size on disk.
        sha256: SHA-256 over every file's name (relative to ``path``), size and bytes, in order.
    """

    path: str
    files: int
    bytes: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def corpus_fingerprint(path: str | Path, split: str = "train") -> CorpusFingerprint:
    """The fingerprint of the files :func:`corpus_files` lists for ``path``."""
    root = Path(path).expanduser()
    files = corpus_files(root, split)
    digest = hashlib.sha256()
    total = 0
    for f in files:
        name = f.name if root.is_file() else f.relative_to(root).as_posix()
        size = f.stat().st_size
        total += size
        digest.update(f"{name}\0{size}\0".encode())
        with f.open("rb") as handle:
            for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(chunk)
    return CorpusFingerprint(str(root.resolve()), len(files), total, digest.hexdigest())
