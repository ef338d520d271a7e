"""Readers for the files people already have: TSV / CSV / JSONL tables, JSONL text, label sets.

Everything here returns plain Python records (no ``datasets``, no torch), so any training code can
use it. Every problem in a file is a ``ValueError`` that names the file, the line number and the
line itself, or — for a missing column — the columns that do exist. CoNLL column files and token
tags live in :mod:`spanbert_lab.data.conll`; :mod:`spanbert_lab.data.loaders` wraps both into
``datasets`` objects.

Classification tables (:func:`read_table`):

* **TSV** — GLUE style (SST-2's ``sentence<TAB>label``): fields split on tabs, no quoting.
* **CSV** — RFC 4180 quoting, so a text may hold commas, quotes and line breaks.
* **JSONL** — one JSON object per line.

The text and label columns are named by the caller or found among :data:`TEXT_COLUMNS` /
:data:`LABEL_COLUMNS`; a file without a header is read by column position.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from spanbert_lab.data.corpus import read_text, split_sentences

TEXT_COLUMNS = ("sentence", "text", "content", "review", "document")
LABEL_COLUMNS = ("label", "labels", "class", "category", "sentiment")
ID_COLUMNS = ("id", "idx", "guid")
TABLE_FORMATS = ("tsv", "csv", "jsonl")
_SPLIT_NAMES = {
    "train": ("train", "eng.train"),
    "dev": ("dev", "validation", "valid", "val", "eng.testa"),
    "test": ("test", "eng.testb"),
}
_INT = re.compile(r"[+-]?\d+")


# ------------------------------------------------------------------------------- files and lines


def show_line(line: str, width: int = 100) -> str:
    """A line as it appears in error messages: quoted, shortened past ``width`` characters."""
    return repr(line if len(line) <= width else line[: width - 3] + "...")


def line_error(source: str | Path, line_no: int, problem: str, line: str) -> ValueError:
    """``ValueError("<file>: line <n>: <problem>: '<the line>'")``."""
    return ValueError(f"{source}: line {line_no}: {problem}: {show_line(line)}")


def read_lines(path: str | Path) -> list[str]:
    """The lines of a (possibly gzipped) UTF-8 file, without line ends.

    Raises:
        ValueError: the file is empty or holds only white space.
    """
    text = read_text(Path(path))
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    return text.lstrip("\ufeff").splitlines()


def read_jsonl(path: str | Path) -> list[tuple[int, dict[str, Any], str]]:
    """``(line number, record, line)`` for every non-blank line of a JSONL file.

    Raises:
        ValueError: empty file, or a line that is not a JSON object (its number and content).
    """
    out = []
    for n, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise line_error(path, n, f"not valid JSON ({err.msg})", line) from err
        if not isinstance(record, dict):
            raise line_error(path, n, "expected a JSON object", line)
        out.append((n, record, line))
    return out


def find_split_file(folder: Path, split: str, suffixes: Sequence[str]) -> Path:
    """The file of ``split`` in ``folder``: ``<name><suffix>`` for the split's usual names
    (``dev`` is also ``validation``/``valid``/``val``; CoNLL-2003's ``eng.train``/``eng.testa``/
    ``eng.testb``), trying ``suffixes`` in order (``""`` allows a bare name).

    Raises:
        FileNotFoundError: none found (the message lists the names tried).
    """
    tried = [f"{name}{suffix}" for name in _SPLIT_NAMES.get(split, (split,)) for suffix in suffixes]
    for name in tried:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"no {split} file in {folder} (looked for {', '.join(tried)})")


# ---------------------------------------------------------------------------------------- labels


def is_integer_label(value: Any) -> bool:
    """True for an int (not a bool) or a string that spells one (``"0"``, ``"-1"``)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and bool(_INT.fullmatch(value)))


def label_names_from(values: Iterable[Any]) -> list[str]:
    """The label set of a column, as strings: integers in numeric order, else sorted."""
    distinct = {str(v) for v in values}
    if distinct and all(is_integer_label(v) for v in distinct):
        return sorted(distinct, key=int)
    return sorted(distinct)


def encode_labels(
    values: Sequence[Any],
    names: Sequence[str],
    where: Sequence[str],
    source: str | Path,
    known_as: str = "the label set",
) -> list[int]:
    """Label ids of ``values`` in ``names``.

    A value that spells a name takes that name's id; an integer that is no name but lies in
    ``0..len(names)-1`` is read as an id (integer labels with names given, as in GLUE's 0/1).

    Args:
        where: per value, where it came from (``"on line 7"``), for the error message.
        known_as: what ``names`` are, for the error message (``"the training data"``).

    Raises:
        ValueError: values that are not in ``names``, each listed with a count and where it first
            occurs.
    """
    index = {name: i for i, name in enumerate(names)}
    ids: list[int] = []
    unseen: dict[str, list[str]] = {}
    for value, place in zip(values, where, strict=True):
        key = str(value)
        if key in index:
            ids.append(index[key])
        elif is_integer_label(value) and 0 <= int(value) < len(names):
            ids.append(int(value))
        else:
            unseen.setdefault(key, []).append(place)
    if unseen:
        listed = ", ".join(f"{k!r} ({len(v)}×, first {v[0]})" for k, v in unseen.items())
        raise ValueError(
            f"{source}: labels not in {known_as}: {listed}; {known_as} has {list(names)}"
        )
    return ids


# ---------------------------------------------------------------------------------------- tables


def table_format(path: str | Path, format: str | None = None) -> str:
    """``format`` if given, else from the name (``.tsv``, ``.csv``, ``.jsonl``/``.json``, with or
    without ``.gz``), else from the first line (``{`` → JSONL, a tab → TSV, else CSV)."""
    if format is not None:
        if format not in TABLE_FORMATS:
            raise ValueError(f"format must be one of {TABLE_FORMATS}, got {format!r}")
        return format
    name = Path(path).name.lower().removesuffix(".gz")
    for suffix, fmt in ((".tsv", "tsv"), (".csv", "csv"), (".jsonl", "jsonl"), (".json", "jsonl")):
        if name.endswith(suffix):
            return fmt
    first = next((ln for ln in read_lines(path) if ln.strip()), "")
    return "jsonl" if first.lstrip().startswith("{") else "tsv" if "\t" in first else "csv"


def _delimited_rows(path: str | Path, fmt: str) -> list[tuple[int, list[str], str]]:
    """``(line number, fields, line)`` per non-blank record; every record has the first one's
    number of fields (else a malformed-line or mixed-delimiter error)."""
    lines = read_lines(path)
    delimiter, other = ("\t", ",") if fmt == "tsv" else (",", "\t")
    rows: list[tuple[int, list[str], str]] = []
    if fmt == "tsv":  # GLUE style: no quoting at all
        rows = [(n, ln.split("\t"), ln) for n, ln in enumerate(lines, 1) if ln.strip()]
    else:
        reader = csv.reader(io.StringIO("\n".join(lines)), strict=True)
        start = 1
        try:
            for fields in reader:
                if any(f.strip() for f in fields):
                    rows.append((start, fields, "\n".join(lines[start - 1 : reader.line_num])))
                start = reader.line_num + 1
        except csv.Error as err:
            raise line_error(path, start, f"malformed CSV ({err})", lines[start - 1]) from err
    width, first_no = len(rows[0][1]), rows[0][0]
    words = {"\t": ("a tab", "tsv"), ",": ("a comma", "csv")}
    if width < 2:
        n, _, line = rows[0]
        hint = (
            f" (it holds {words[other][0]}: pass format='{words[other][1]}')"
            if other in line
            else ""
        )
        raise line_error(
            path, n, f"a table needs a text and a label column, found one field{hint}", line
        )
    for n, fields, line in rows:
        if len(fields) == width:
            continue
        if other in line and (delimiter not in line or len(line.split(other)) == width):
            problem = f"mixed delimiters: this line is separated by {words[other][0]}, line {first_no} by {words[delimiter][0]}"
            raise line_error(path, n, problem, line)
        raise line_error(
            path, n, f"expected {width} fields (as on line {first_no}), found {len(fields)}", line
        )
    return rows


def _pick_column(
    columns: Sequence[str],
    wanted: str | int | None,
    defaults: Sequence[str],
    role: str,
    source: str | Path,
    has_header: bool,
) -> int:
    """Index of the ``role`` column (``"text"``/``"label"``) among ``columns``."""
    if isinstance(wanted, int):
        if not -len(columns) <= wanted < len(columns):
            raise ValueError(
                f"{source}: {role} column {wanted} does not exist: the file has {len(columns)} columns"
            )
        return wanted % len(columns)
    lowered = [c.strip().lower() for c in columns]
    for name in [wanted] if wanted is not None else defaults:
        if name in columns:
            return list(columns).index(name)
        if name.lower() in lowered:
            return lowered.index(name.lower())
    looked = (
        repr(wanted) if wanted is not None else f"(looked for {', '.join(map(repr, defaults))})"
    )
    shown = list(columns) if has_header else f"{len(columns)} unnamed columns (no header line)"
    raise ValueError(
        f"{source}: no {role} column {looked}; the columns are {shown}. "
        f"Name the {role} column with {role}_column= (--{role}-column)."
    )


def read_table(
    path: str | Path,
    *,
    format: str | None = None,
    text_column: str | int | None = None,
    label_column: str | int | None = None,
    header: bool | None = None,
) -> list[dict[str, Any]]:
    """Read a classification table into ``{"id", "text", "label", "line"}`` records.

    Args:
        path: a ``.tsv``, ``.csv`` or ``.jsonl`` file (optionally gzipped); see :func:`table_format`.
        format: ``"tsv"``, ``"csv"`` or ``"jsonl"`` (default: from the name or the content).
        text_column, label_column: a column name (a JSONL field), or a 0-based position; by
            default the first of :data:`TEXT_COLUMNS` / :data:`LABEL_COLUMNS` present. Without a
            header and with two columns, the label column is the one whose values are single
            words.
        header: whether the first TSV/CSV line names the columns (default: yes when it holds a
            known column name or a name you passed).

    Returns:
        Records with the raw label (a string for TSV/CSV, the JSON value for JSONL), an ``id``
        (an ``id``/``idx``/``guid`` column when there is one, else ``<file>:<line>``), and the
        line number.

    Raises:
        ValueError: empty file, malformed line (number and content), mixed delimiters, a column
            that does not exist (listing those that do), an empty text or label.
    """
    fmt = table_format(path, format)
    stem = Path(path).name
    if fmt == "jsonl":
        records = read_jsonl(path)
        columns = list(dict.fromkeys(k for _, rec, _ in records for k in rec))  # every field seen
        rows = [(n, [rec.get(c) for c in columns], line) for n, rec, line in records]
        has_header = True
    else:
        rows = _delimited_rows(path, fmt)
        first = [f.strip().lower() for f in rows[0][1]]
        named = {str(c).lower() for c in (text_column, label_column) if isinstance(c, str)}
        known = {*TEXT_COLUMNS, *LABEL_COLUMNS, *ID_COLUMNS, *named}
        has_header = header if header is not None else any(f in known for f in first)
        columns = (
            [f.strip() for f in rows[0][1]] if has_header else [str(i) for i in range(len(first))]
        )
        rows = rows[1:] if has_header else rows
        if not rows:
            raise ValueError(f"{path}: the file holds a header line and no rows")
        if not has_header and named:
            raise ValueError(
                f"{path}: columns named {sorted(named)} but the file has no header line; give 0-based positions instead"
            )
    if not has_header and text_column is None and label_column is None and len(columns) == 2:
        single = [all(" " not in str(fields[i]).strip() for _, fields, _ in rows) for i in (0, 1)]
        if single[0] == single[1]:
            raise ValueError(
                f"{path}: no header line, and the text column cannot be told from the label column; pass text_column= and label_column= (0-based positions)"
            )
        label_column, text_column = (0, 1) if single[0] else (1, 0)
    elif not has_header and len(columns) == 2 and (text_column is None) != (label_column is None):
        given = text_column if text_column is not None else label_column  # the other column
        other = 1 - int(given) % 2 if isinstance(given, int) and -2 <= given < 2 else None
        text_column, label_column = (given, other) if text_column is not None else (other, given)
    t = _pick_column(columns, text_column, TEXT_COLUMNS, "text", path, has_header)
    y = _pick_column(columns, label_column, LABEL_COLUMNS, "label", path, has_header)
    if t == y:
        raise ValueError(f"{path}: the text and the label column are the same ({columns[t]!r})")
    id_col = next(
        (i for i, c in enumerate(columns) if str(c).lower() in ID_COLUMNS and has_header), None
    )
    out = []
    for n, fields, line in rows:
        text, label = fields[t], fields[y]
        if not isinstance(text, str) or not text.strip():
            raise line_error(path, n, f"empty or missing text (column {columns[t]!r})", line)
        if isinstance(label, str):
            label = label.strip()
        if label is None or label == "" or isinstance(label, (list, dict, float)):
            raise line_error(path, n, f"empty or unusable label (column {columns[y]!r})", line)
        rid = fields[id_col] if id_col is not None else None
        out.append(
            {
                "id": str(rid) if rid not in (None, "") else f"{stem}:{n}",
                "text": text.strip(),
                "label": label,
                "line": n,
            }
        )
    return out


# ------------------------------------------------------------------------------------ plain text


def read_text_jsonl(path: str | Path, text_field: str = "text") -> list[list[str]]:
    """Pretraining documents from JSONL: one document per record, its ``text_field`` cut into
    sentences by :func:`spanbert_lab.data.corpus.split_sentences`.

    Raises:
        ValueError: empty file, malformed line, a record without the field (listing its fields)
            or with an empty text.
    """
    docs = []
    for n, rec, line in read_jsonl(path):
        if text_field not in rec:
            raise line_error(
                path, n, f"no field {text_field!r} (the record has {sorted(rec)})", line
            )
        text = rec[text_field]
        if not isinstance(text, str) or not text.strip():
            raise line_error(path, n, f"empty or non-string {text_field!r}", line)
        docs.append(split_sentences(text))
    return docs
