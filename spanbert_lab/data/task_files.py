"""NER and classification files as ``datasets`` objects: the course's, and your own.

:func:`course_ner_dataset` / :func:`course_classification_dataset` read the course's JSONL files
(the course's tag set and classes, fixed ids). :func:`ner_dataset` and
:func:`classification_dataset` read one of your files with the readers of
:mod:`spanbert_lab.data.conll` / :mod:`spanbert_lab.data.formats` and return the columns the
fine-tuning code expects — ``id``, ``tokens``, ``ner_tags`` (ClassLabel, BIO) or ``id``, ``text``,
``label`` (ClassLabel) — with the label names taken from the data unless given. They are what
:func:`spanbert_lab.data.load_ner` / :func:`~spanbert_lab.data.load_classification` call on a local
path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import datasets

from spanbert_lab.contracts import CLASS_NAMES, NER_TAGS
from spanbert_lab.data.conll import ner_label_names, read_conll, read_ner_jsonl
from spanbert_lab.data.corpus import read_text
from spanbert_lab.data.formats import encode_labels, label_names_from, read_jsonl, read_table
from spanbert_lab.data.validate import validate_classification_row, validate_ner_row

NER_SUFFIXES = (".conll", ".jsonl.gz", ".jsonl", ".txt", ".iob", ".bio", ".tsv", "")
"""Suffixes tried, in order, for a split's NER file in a folder (``""``: ``eng.train``)."""
TABLE_SUFFIXES = (".tsv", ".csv", ".jsonl.gz", ".jsonl", ".tsv.gz", ".csv.gz")
"""Suffixes tried, in order, for a split's classification file in a folder."""


def _ner_features(names: Sequence[str]) -> datasets.Features:
    return datasets.Features(
        {
            "id": datasets.Value("string"),
            "tokens": datasets.List(datasets.Value("string")),
            "ner_tags": datasets.List(datasets.ClassLabel(names=list(names))),
        }
    )


def _classification_features(names: Sequence[str]) -> datasets.Features:
    return datasets.Features(
        {
            "id": datasets.Value("string"),
            "text": datasets.Value("string"),
            "label": datasets.ClassLabel(names=list(names)),
        }
    )


NER_FEATURES = _ner_features(NER_TAGS)
"""The course's NER columns: ``id``, ``tokens``, ``ner_tags`` (ClassLabel over ``NER_TAGS``)."""
CLASSIFICATION_FEATURES = _classification_features(CLASS_NAMES)
"""The course's classification columns: ``id``, ``text``, ``label`` (ClassLabel)."""


def course_ner_dataset(file: Path) -> datasets.Dataset:
    """The course's NER JSONL (``{"id", "tokens", "ner_tags"}``, tag names of ``NER_TAGS``)."""
    rows = [record for _, record, _ in read_jsonl(file)]
    for n, row in enumerate(rows, 1):
        validate_ner_row(row, NER_TAGS, str(file), n)
    data = {
        "id": [r["id"] for r in rows],
        "tokens": [r["tokens"] for r in rows],
        "ner_tags": [[NER_TAGS.index(t) for t in r["ner_tags"]] for r in rows],
    }
    return datasets.Dataset.from_dict(data, features=NER_FEATURES)


def course_classification_dataset(file: Path) -> datasets.Dataset:
    """The course's classification JSONL (``{"id", "text", "label"}``, label names)."""
    rows = [record for _, record, _ in read_jsonl(file)]
    for n, row in enumerate(rows, 1):
        validate_classification_row(row, CLASS_NAMES, str(file), n)
    data = {
        "id": [r["id"] for r in rows],
        "text": [r["text"] for r in rows],
        "label": [CLASS_NAMES.index(r["label"]) for r in rows],
    }
    return datasets.Dataset.from_dict(data, features=CLASSIFICATION_FEATURES)


def _known_as(labels: Sequence[str] | None, label_source: str | None) -> str:
    return label_source or ("the given label set" if labels is not None else "the label set")


def ner_format(file: str | Path) -> str:
    """``"jsonl"`` when the first non-blank line starts with ``{``, else ``"conll"``."""
    first = next((ln for ln in read_text(Path(file)).splitlines() if ln.strip()), "")
    return "jsonl" if first.lstrip().startswith("{") else "conll"


def ner_dataset(
    file: str | Path,
    *,
    format: str | None = None,
    tag_column: int = -1,
    scheme: str = "auto",
    labels: Sequence[str] | None = None,
    label_source: str | None = None,
) -> datasets.Dataset:
    """A CoNLL or JSONL NER file → ``id``, ``tokens``, ``ner_tags`` (ClassLabel over the tags).

    Label names: ``labels`` if given; else the course's tag set for a JSONL file whose tags all
    belong to it (so the course's own layout keeps its ids); else
    :func:`spanbert_lab.data.conll.ner_label_names` of the data. See
    :func:`spanbert_lab.data.load_ner` for the arguments.

    Raises:
        ValueError: any reader error, or tags outside ``labels`` (listed, with where they occur).
    """
    format = format or ner_format(file)
    if format == "jsonl":
        records = read_ner_jsonl(file, scheme=scheme, labels=labels)
    elif format == "conll":
        records = read_conll(file, tag_column=tag_column, scheme=scheme)
    else:
        raise ValueError(f"NER format must be 'conll' or 'jsonl', got {format!r}")
    tags = [r["ner_tags"] for r in records]
    flat = [t for ts in tags for t in ts]
    if labels is not None:
        names = list(labels)
    elif format == "jsonl" and set(flat) <= set(NER_TAGS):
        names = list(NER_TAGS)
    else:
        names = ner_label_names(tags)
    where = [f"in the sentence on line {r['line']}" for r in records for _ in r["ner_tags"]]
    ids = iter(encode_labels(flat, names, where, file, _known_as(labels, label_source)))
    features = _ner_features(names)
    data = {
        "id": [r["id"] for r in records],
        "tokens": [r["tokens"] for r in records],
        "ner_tags": [[next(ids) for _ in ts] for ts in tags],
    }
    return datasets.Dataset.from_dict(data, features=features)


def classification_dataset(
    file: str | Path,
    *,
    format: str | None = None,
    text_column: str | int | None = None,
    label_column: str | int | None = None,
    header: bool | None = None,
    labels: Sequence[str] | None = None,
    label_source: str | None = None,
) -> datasets.Dataset:
    """A TSV, CSV or JSONL table → ``id``, ``text``, ``label`` (ClassLabel over the classes).

    Label names: ``labels`` if given; else the course's classes when every label is one of them
    (the course's own layout keeps its ids); else :func:`spanbert_lab.data.formats.label_names_from`
    of the data. See :func:`spanbert_lab.data.load_classification` for the arguments.

    Raises:
        ValueError: any reader error, or labels outside ``labels`` (listed, with where).
    """
    records = read_table(
        file, format=format, text_column=text_column, label_column=label_column, header=header
    )
    values = [r["label"] for r in records]
    if labels is not None:
        names = list(labels)
    elif {str(v) for v in values} <= set(CLASS_NAMES):
        names = list(CLASS_NAMES)
    else:
        names = label_names_from(values)
    where = [f"on line {r['line']}" for r in records]
    ids = encode_labels(values, names, where, file, _known_as(labels, label_source))
    features = _classification_features(names)
    data = {"id": [r["id"] for r in records], "text": [r["text"] for r in records], "label": ids}
    return datasets.Dataset.from_dict(data, features=features)
