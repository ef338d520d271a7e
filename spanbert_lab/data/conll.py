"""NER files people already have: CoNLL column files and JSONL token/tag records, read as BIO.

**CoNLL** (the CoNLL-2003 shared task layout): one token per line, its columns separated by spaces
or by tabs (one or the other throughout), the tag in the last column unless told otherwise, a blank
line between sentences, ``-DOCSTART-`` lines skipped::

    EU NNP B-NP B-ORG
    rejects VBZ B-VP O

**Tag schemes.** Both IOB variants are read and returned as BIO (= IOB2, which the course's
models and :mod:`spanbert_lab.tasks.ner_metric` use):

* IOB2 / BIO: every entity starts with ``B-``.
* IOB1 (the original CoNLL-2003 files): entities start with ``I-``; ``B-`` only separates two
  adjacent entities of one type. An ``I-X`` that does not continue an ``X`` becomes ``B-X``.

Any other tag (``S-PER``/``E-PER`` of BIOES, ``U-``/``L-`` of BILOU, a bare ``PER``) is an
unknown-scheme error naming the line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spanbert_lab.data.formats import line_error, read_jsonl, read_lines, show_line

SCHEMES = ("auto", "iob1", "iob2", "bio")
"""``auto`` reads IOB1 and IOB2 alike (converting IOB1); ``iob2``/``bio`` insist on IOB2."""


def split_tag(tag: str) -> tuple[str, str]:
    """``"B-PER"`` → ``("B", "PER")``, ``"O"`` → ``("O", "")``.

    Raises:
        ValueError: ``tag`` is not ``O``, ``B-TYPE`` or ``I-TYPE`` (an unknown tag scheme).
    """
    if tag == "O":
        return "O", ""
    prefix, sep, kind = tag.partition("-")
    if sep and prefix in ("B", "I") and kind:
        return prefix, kind
    other = {"S": "BIOES", "E": "BIOES", "U": "BILOU", "L": "BILOU"}.get(prefix if sep else "")
    scheme = f" (a {other} tag)" if other else ""
    raise ValueError(
        f"unknown tag scheme: {tag!r}{scheme} is not 'O', 'B-TYPE' or 'I-TYPE' "
        "(IOB1 and IOB2/BIO are read)"
    )


def to_bio(
    tags: Sequence[str], scheme: str = "auto", where: Sequence[str] | None = None
) -> list[str]:
    """Tags in IOB1 or IOB2 → BIO (IOB2). A no-op on tags that are already BIO.

    Args:
        scheme: one of :data:`SCHEMES`; with ``"iob2"``/``"bio"`` an ``I-X`` that opens an
            entity is an error instead of being converted.
        where: per tag, its place for error messages (``"file: line 7: 'EU NNP I-ORG'"``).

    Raises:
        ValueError: an unknown tag scheme or scheme name, or (strict IOB2) a stray ``I-X``.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tag scheme {scheme!r}; choose one of {SCHEMES}")
    out: list[str] = []
    previous = ""  # the type of the entity that is open ("" after O)
    for i, tag in enumerate(tags):
        try:
            prefix, kind = split_tag(tag)
        except ValueError as err:
            raise ValueError(f"{where[i]}: {err}" if where else str(err)) from None
        if prefix == "I" and kind != previous:
            if scheme in ("iob2", "bio"):
                after = f"after {out[-1]!r}" if out else "at the start of the sentence"
                msg = f"{tag!r} {after} opens an entity: not IOB2 (use scheme 'iob1' or 'auto')"
                raise ValueError(f"{where[i]}: {msg}" if where else msg)
            tag = f"B-{kind}"
        out.append(tag)
        previous = kind
    return out


def ner_label_names(tag_sequences: Iterable[Sequence[str]]) -> list[str]:
    """The BIO label set of some tagged sentences: ``O``, then ``B-X``, ``I-X`` for every type X
    (sorted), so a type seen only as single-token entities can still be continued."""
    kinds = {split_tag(t)[1] for tags in tag_sequences for t in tags} - {""}
    return ["O", *(f"{p}-{k}" for k in sorted(kinds) for p in ("B", "I"))]


@dataclass(frozen=True)
class _Layout:
    """A CoNLL file's columns, fixed by its first token line: the delimiter and the width."""

    tabs: bool
    width: int
    line: int

    @classmethod
    def of(cls, path: str | Path, n: int, line: str, columns: tuple[int, int]) -> _Layout:
        tabs = "\t" in line
        width = len(line.rstrip().split("\t") if tabs else line.split())
        if width < 2:
            raise line_error(path, n, "a token line needs a token and a tag column", line)
        for col, what in zip(columns, ("tag_column", "token_column"), strict=True):
            if not -width <= col < width:
                raise ValueError(
                    f"{path}: {what} {col} does not exist: line {n} has {width} columns: {show_line(line)}"
                )
        return cls(tabs, width, n)

    def fields(self, path: str | Path, n: int, line: str) -> list[str]:
        """The columns of token line ``n``; a clear error when they do not fit the layout."""
        if self.tabs != ("\t" in line) and len(line.split()) > 1:
            was = "tabs" if self.tabs else "spaces"
            raise line_error(
                path,
                n,
                f"mixed delimiters: columns separated by {'spaces' if self.tabs else 'a tab'}, earlier lines by {was}",
                line,
            )
        fields = line.rstrip().split("\t") if self.tabs else line.split()
        if len(fields) != self.width:
            raise line_error(
                path,
                n,
                f"expected {self.width} columns (as on line {self.line}), found {len(fields)}",
                line,
            )
        return fields


def read_conll(
    path: str | Path, *, tag_column: int = -1, token_column: int = 0, scheme: str = "auto"
) -> list[dict[str, Any]]:
    """Read a CoNLL column file into ``{"id", "tokens", "ner_tags", "line"}`` sentences (BIO).

    Args:
        tag_column, token_column: 0-based column positions (negative counts from the end).
        scheme: see :data:`SCHEMES`.

    Returns:
        One record per sentence; ``id`` is ``<file>:<first line>``, ``line`` that line number.

    Raises:
        ValueError: empty file; a malformed line (number and content: a different number of
            columns, a single column); mixed delimiters (tabs and spaces); an unknown tag scheme.
    """
    lines = read_lines(path)
    name = Path(path).name
    layout: _Layout | None = None  # decided by the first token line
    sentences: list[dict[str, Any]] = []
    tokens: list[str] = []
    tags: list[str] = []
    where: list[str] = []
    first = 0

    def close() -> None:
        if tokens:
            bio = to_bio(tags, scheme, where)
            sentences.append(
                {"id": f"{name}:{first}", "tokens": list(tokens), "ner_tags": bio, "line": first}
            )
        for part in (tokens, tags, where):
            part.clear()

    for n, line in enumerate(lines, 1):
        if not line.strip() or line.split()[0] == "-DOCSTART-":
            close()
            continue
        if layout is None:
            layout = _Layout.of(path, n, line, (tag_column, token_column))
        fields = layout.fields(path, n, line)
        if not tokens:
            first = n
        tokens.append(fields[token_column])
        tags.append(fields[tag_column])
        where.append(f"{path}: line {n}: {show_line(line)}")
    close()
    if not sentences:
        raise ValueError(f"{path}: no sentence found (only -DOCSTART- or blank lines)")
    return sentences


def read_ner_jsonl(
    path: str | Path,
    *,
    tokens_field: str = "tokens",
    tags_field: str = "ner_tags",
    scheme: str = "auto",
    labels: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Read JSONL ``{"tokens": [...], "ner_tags": [...]}`` records (any tag set) as BIO.

    Tags are names, or integer ids when ``labels`` names them (as in hub exports of CoNLL-2003).

    Returns:
        ``{"id", "tokens", "ner_tags", "line"}`` records (``id`` from the record, else
        ``<file>:<line>``).

    Raises:
        ValueError: a malformed line, a missing field (listing the fields the record has),
            tokens and tags of different lengths, integer tags without ``labels``, an unknown
            tag scheme.
    """
    out = []
    for n, rec, line in read_jsonl(path):
        rid = str(rec.get("id", f"{Path(path).name}:{n}"))
        here = f"(line {n}: {show_line(line)})"
        for field in (tokens_field, tags_field):
            if field not in rec:
                raise ValueError(
                    f"{path}: {rid}: no field {field!r}; the record has {sorted(rec)} {here}"
                )
        tokens, tags = rec[tokens_field], rec[tags_field]
        if (
            not isinstance(tokens, list)
            or not tokens
            or not all(isinstance(t, str) for t in tokens)
        ):
            raise ValueError(
                f"{path}: {rid}: {tokens_field!r} must be a non-empty list of strings {here}"
            )
        if not isinstance(tags, list) or len(tags) != len(tokens):
            raise ValueError(
                f"{path}: {rid}: {tags_field!r} must be a list as long as {tokens_field!r} {here}"
            )
        if any(isinstance(t, int) and not isinstance(t, bool) for t in tags):
            if labels is None:
                raise ValueError(
                    f"{path}: {rid}: integer tags need the label names (labels=[...], --labels) {here}"
                )
            bad = [t for t in tags if not (isinstance(t, int) and 0 <= t < len(labels))]
            if bad:
                raise ValueError(
                    f"{path}: {rid}: tag ids {bad} outside 0..{len(labels) - 1} {here}"
                )
            tags = [labels[t] for t in tags]
        if not all(isinstance(t, str) for t in tags):
            raise ValueError(f"{path}: {rid}: {tags_field!r} must hold tag names {here}")
        bio = to_bio(tags, scheme, [f"{path}: {rid} {here}"] * len(tags))
        out.append({"id": rid, "tokens": tokens, "ner_tags": bio, "line": n})
    return out
