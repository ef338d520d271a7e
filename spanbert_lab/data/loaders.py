"""Loaders: the course data as ``datasets`` objects — or your own data, in the same shape.

Every loader reads the shipped files under ``data_dir()`` by default and works offline. Each also
accepts ``path``: a local file, or a folder holding one file per split, in the formats people
already have — SQuAD 1.1/2.0 JSON (any file name); CoNLL column files or JSONL for NER (any tag
set, IOB1 or IOB2, read as BIO); TSV, CSV or JSONL for classification (any columns, any labels);
plain text or JSONL for pretraining — or, opt-in and online, the name of a Hugging Face hub
dataset (``"squad"``, ``"conll2003"``, ``"imdb"`` …), returned as the hub provides it. Splits are
``"train"``, ``"dev"`` and ``"test"`` (``"dev"`` also finds ``validation``/``valid``/``val`` files
and maps to the hub's ``"validation"``). The readers themselves live in
:mod:`spanbert_lab.data.formats` and :mod:`spanbert_lab.data.conll`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa

from spanbert_lab.contracts import NP
from spanbert_lab.data.corpus import (
    JSONL_SUFFIXES,
    TEXT_FORMATS,
    corpus_files,
    parse_corpus_text,
    parse_text,
    read_text,
)
from spanbert_lab.data.formats import find_split_file, read_text_jsonl
from spanbert_lab.data.task_files import (
    NER_SUFFIXES,
    TABLE_SUFFIXES,
    classification_dataset,
    course_classification_dataset,
    course_ner_dataset,
    ner_dataset,
)
from spanbert_lab.data.validate import validate_documents, validate_spans, validate_squad
from spanbert_lab.runtime import data_dir

QA_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "title": datasets.Value("string"),
        "context": datasets.Value("string"),
        "question": datasets.Value("string"),
        "answers": datasets.Sequence(
            {"text": datasets.Value("string"), "answer_start": datasets.Value("int32")}
        ),
    }
)


def flatten_squad(data: dict) -> datasets.Dataset:
    """Official-layout SQuAD dict → one row per question (``id title context question answers``)."""
    rows: dict[str, list] = {k: [] for k in QA_FEATURES}
    for article in data["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                rows["id"].append(qa["id"])
                rows["title"].append(article.get("title", ""))
                rows["context"].append(para["context"])
                rows["question"].append(qa["question"])
                rows["answers"].append(
                    {
                        "text": [a["text"] for a in qa["answers"]],
                        "answer_start": [a["answer_start"] for a in qa["answers"]],
                    }
                )
    return datasets.Dataset.from_dict(rows, features=QA_FEATURES)


SPLITS = ("train", "dev", "test")
VERSIONS = ("1.1", "2.0")
_SPAN = {
    "start": datasets.Value("int32"),
    "end": datasets.Value("int32"),
    "label": datasets.Value("string"),
}
CORPUS_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "sentences": datasets.List(datasets.Value("string")),
        "entities": datasets.List(datasets.List(_SPAN)),
        "noun_phrases": datasets.List(datasets.List(_SPAN)),
    }
)


def _check_split(split: str, allowed: tuple[str, ...] = SPLITS) -> None:
    if split not in allowed:
        raise ValueError(f"split must be one of {allowed}, got {split!r}")


def _existing(path: Path, what: str) -> Path:
    if not path.exists():
        raise FileNotFoundError(
            f"{what} not found: {path} (run `make data` to build the course data)"
        )
    return path


_LOCAL_SUFFIXES = (".json", ".txt", ".gz", ".jsonl", ".tsv", ".csv", ".conll", ".iob", ".bio")


def _is_local(path: str | Path) -> bool:
    p = str(path)
    return Path(p).exists() or p.startswith((".", "/", "~")) or p.endswith(_LOCAL_SUFFIXES)


def _hub(name: str, split: str) -> datasets.Dataset:
    """Opt-in: a hub dataset (needs the network; never used by the tests)."""
    return datasets.load_dataset(name, split="validation" if split == "dev" else split)


def _first(folder: Path, names: list[str], what: str) -> Path:
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{what} not found in {folder} (looked for {', '.join(names)})")


# ------------------------------------------------------------------------------------ corpus


def load_corpus(
    split: str = "train",
    path: str | Path | None = None,
    *,
    text_field: str = "text",
    text_format: str = "auto",
) -> datasets.Dataset:
    """The pretraining corpus, one row per document.

    Columns: ``id`` (str), ``sentences`` (list of str), ``entities`` and ``noun_phrases`` (per
    sentence, a list of ``{"start", "end", "label"}`` character spans relative to the sentence).

    Args:
        split: ``"train"`` or ``"dev"``.
        path: ``None`` (the course corpus); a folder with ``<split>.txt[.gz]`` (annotations read
            from ``<split>.annotations.jsonl[.gz]`` when present); a folder of ``.txt`` and
            ``.jsonl`` files or one such file (:func:`~spanbert_lab.data.corpus.corpus_files`;
            ``.txt``: one sentence per line with a blank line between documents, or plain
            paragraphs; ``.jsonl``: one document per record, its ``text_field`` cut into
            sentences by :func:`spanbert_lab.data.corpus.split_sentences`; no annotations, so
            empty span lists); or a hub dataset name with a ``text`` column (opt-in, online;
            each row becomes a document, one line per sentence).
        text_field: the JSONL field that holds a document's text.
        text_format: how ``.txt`` files are read: ``"auto"``, ``"lines"`` or ``"paragraphs"``
            (:data:`spanbert_lab.data.corpus.TEXT_FORMATS`; ``"jsonl"`` reads every file as JSONL).

    Raises:
        FileNotFoundError: the file or folder does not exist (the message gives the path).
        ValueError: an empty, binary or non-UTF-8 file (naming the file, and the line), an empty
            document or a malformed annotation (naming the file and item), an unknown
            ``text_format``.
    """
    if text_format not in TEXT_FORMATS:
        raise ValueError(f"text_format must be one of {TEXT_FORMATS}, got {text_format!r}")
    if path is not None and not _is_local(path):
        rows = _hub(str(path), split)
        texts = [t.split("\n") for t in rows["text"]]
        return _corpus_dataset(split, [[s for s in d if s.strip()] for d in texts], None, str(path))
    if path is None:
        _check_split(split, ("train", "dev"))
        folder = _existing(data_dir() / "corpus", "course corpus folder")
        return _read_course_corpus(folder, split)
    p = Path(path).expanduser()
    files = corpus_files(p, split)
    if p.is_dir() and files[0].parent == p and files[0].name.startswith(f"{split}.txt"):
        return _read_course_corpus(p, split)
    docs = [d for f in files for d in read_documents(f, text_field, text_format)[0]]
    return _corpus_dataset(split, docs, None, str(p))


def read_documents(
    file: Path, text_field: str = "text", text_format: str = "auto"
) -> tuple[list[list[str]], str]:
    """One corpus file's documents (lists of sentences) and the format it was read in."""
    if file.name.endswith(JSONL_SUFFIXES) or text_format == "jsonl":
        return read_text_jsonl(file, text_field), "jsonl"
    return parse_text(read_text(file), str(file), text_format)


_CORPUS_CACHE: dict[tuple[str, int, int], datasets.Dataset] = {}  # at most 4 entries


def _read_course_corpus(folder: Path, split: str) -> datasets.Dataset:
    text_path = _first(folder, [f"{split}.txt.gz", f"{split}.txt"], f"{split} corpus")
    stat = text_path.stat()
    key = (str(text_path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _CORPUS_CACHE:  # reading 22k annotated documents takes seconds: once per process
        if len(_CORPUS_CACHE) >= 4:
            _CORPUS_CACHE.pop(next(iter(_CORPUS_CACHE)))
        _CORPUS_CACHE[key] = _read_course_corpus_uncached(folder, split, text_path)
    return _CORPUS_CACHE[key]


def _read_course_corpus_uncached(folder: Path, split: str, text_path: Path) -> datasets.Dataset:
    docs = parse_corpus_text(read_text(text_path), str(text_path))
    ann_names = [f"{split}.annotations.jsonl.gz", f"{split}.annotations.jsonl"]
    ann_path = next((folder / n for n in ann_names if (folder / n).is_file()), None)
    spans = None
    if ann_path is not None:
        spans = [[[] for _ in d] for d in docs]
        lines = [ln for ln in read_text(ann_path).splitlines() if ln.strip()]
        try:  # one parse for the whole file (fast); on error, find the bad line
            records = json.loads("[" + ",".join(lines) + "]")
        except json.JSONDecodeError:
            for line_no, line in enumerate(lines, 1):
                try:
                    json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f"{ann_path}: line {line_no}: not valid JSON ({err})") from err
            raise
        for line_no, rec in enumerate(records, 1):
            i, j = rec["doc"], rec["sent"]
            item = f"document {i}, sentence {j} (line {line_no})"
            if not (0 <= i < len(docs) and 0 <= j < len(docs[i])):
                raise ValueError(f"{ann_path}: {item} does not exist in {text_path}")
            validate_spans(docs[i][j], rec["spans"], str(ann_path), item)
            spans[i][j] = rec["spans"]
    return _corpus_dataset(split, docs, spans, str(text_path))


def _corpus_dataset(
    split: str, docs: list[list[str]], spans: list[list[list]] | None, source: str
) -> datasets.Dataset:
    validate_documents(docs, source)

    def pick(doc_spans: list[list], noun: bool) -> list[list[dict[str, Any]]]:
        return [
            [{"start": a, "end": b, "label": t} for a, b, t in sent if (t == NP) == noun]
            for sent in doc_spans
        ]

    rows: dict[str, list] = {"id": [], "sentences": [], "entities": [], "noun_phrases": []}
    for i, doc in enumerate(docs):
        doc_spans = spans[i] if spans is not None else [[] for _ in doc]
        rows["id"].append(f"{split}-{i:06d}")
        rows["sentences"].append(doc)
        rows["entities"].append(pick(doc_spans, noun=False))
        rows["noun_phrases"].append(pick(doc_spans, noun=True))
    # Build the Arrow table directly: much faster than Dataset.from_dict's per-item encoding.
    table = pa.Table.from_pydict(rows, schema=CORPUS_FEATURES.arrow_schema)
    return datasets.Dataset(table)


# ----------------------------------------------------------------------------------------- QA


def load_squad_json(
    split: str = "train", version: str = "1.1", path: str | Path | None = None
) -> dict:
    """The raw official-layout SQuAD dict (``{"version", "data": [articles]}``), validated.

    Args:
        split, version: which course file (``data/qa/squad-v<version>-<split>.json``).
        path: a SQuAD-format JSON file, or a folder holding ``squad-v<version>-<split>.json``
            or the official names (``train-v1.1.json``, ``dev-v2.0.json``).

    Raises:
        FileNotFoundError: no such file. ValueError: malformed JSON, bad layout, or an answer
            whose text is not at its ``answer_start`` (naming the file and the question id).
    """
    _check_split(split)
    if version not in VERSIONS:
        raise ValueError(f"version must be one of {VERSIONS}, got {version!r}")
    names = [f"squad-v{version}-{split}.json", f"squad-v{version}-{split}.json.gz"]
    names += [f"{'dev' if split == 'dev' else split}-v{version}.json"]
    if path is None:
        file = _first(_existing(data_dir() / "qa", "course QA folder"), names, "SQuAD file")
    else:
        p = _existing(Path(path).expanduser(), "SQuAD path")
        file = _squad_in_folder(p, split, names) if p.is_dir() else p
    try:
        data = json.loads(read_text(file))
    except json.JSONDecodeError as err:
        raise ValueError(f"{file}: not valid JSON ({err})") from err
    validate_squad(data, str(file))
    return data


def _squad_in_folder(folder: Path, split: str, names: list[str]) -> Path:
    """The course or official name, else the one ``*.json[.gz]`` whose name holds the split."""
    try:
        return _first(folder, names, "SQuAD file")
    except FileNotFoundError:
        keys = ("dev", "valid", "val") if split == "dev" else (split,)
        found = sorted(
            f
            for f in folder.glob("*.json*")
            if f.name.endswith((".json", ".json.gz")) and any(k in f.name.lower() for k in keys)
        )
        if len(found) == 1:
            return found[0]
        if found:
            raise FileNotFoundError(
                f"several {split} SQuAD files in {folder} ({', '.join(f.name for f in found)}): pass the file itself"
            ) from None
        raise


def load_qa(
    split: str = "train", version: str = "1.1", path: str | Path | None = None
) -> datasets.Dataset:
    """Extractive QA in the usual flattened ``squad`` / ``squad_v2`` schema.

    Columns ``id``, ``title``, ``context``, ``question``, ``answers`` =
    ``{"text": [...], "answer_start": [...]}`` (both empty for an unanswerable v2.0 question).
    ``path``: see :func:`load_squad_json`; a hub name (e.g. ``"squad"``) is loaded online.
    """
    if path is not None and not _is_local(path):
        return _hub(str(path), split)
    return flatten_squad(load_squad_json(split, version, path))


# --------------------------------------------------------------------- NER and classification


def _course_file(split: str, sub: str) -> Path:
    _check_split(split)
    names = [f"{split}.jsonl.gz", f"{split}.jsonl"]
    return _first(_existing(data_dir() / sub, f"course {sub} folder"), names, f"{sub} file")


def _local_file(path: str | Path, split: str, suffixes: tuple[str, ...], what: str) -> Path:
    _check_split(split)
    p = _existing(Path(path).expanduser(), what)
    return find_split_file(p, split, suffixes) if p.is_dir() else p


def load_ner(
    split: str = "train",
    path: str | Path | None = None,
    *,
    format: str | None = None,
    tag_column: int = -1,
    scheme: str = "auto",
    labels: Sequence[str] | None = None,
    label_source: str | None = None,
) -> datasets.Dataset:
    """NER as token classification: ``id``, ``tokens``, ``ner_tags`` (ClassLabel, BIO).

    Args:
        split: ``"train"``, ``"dev"`` or ``"test"`` (picks the file in a folder).
        path: ``None`` (the course data); a file or a folder with one file per split
            (``<split>.conll``/``.jsonl``/``.txt``…, ``validation.*``, CoNLL-2003's ``eng.train``
            / ``eng.testa`` / ``eng.testb``); a hub name (e.g. ``"conll2003"``) is loaded online.
        format: ``"conll"`` (see :func:`spanbert_lab.data.conll.read_conll`) or ``"jsonl"``
            (``{"tokens", "ner_tags"}`` records, tag names or — with ``labels`` — ids); by
            default JSONL when the file starts with ``{``.
        tag_column: the CoNLL column holding the tag (0-based; default the last).
        scheme: ``"auto"`` (IOB1 or IOB2), ``"iob1"``, ``"iob2"``/``"bio"``; read as BIO.
        labels: the tag names in id order. By default they come from the data: ``O``, then
            ``B-X``/``I-X`` per type (a JSONL file within the course's tag set keeps its ids).
        label_source: what ``labels`` are, for the unseen-label error (``"the training data"``).

    Raises:
        ValueError: an empty or malformed file (line number and content), mixed delimiters, an
            unknown tag scheme, tags outside ``labels`` (listed).
    """
    if path is not None and not _is_local(path):
        return _hub(str(path), split)
    if path is None:
        return course_ner_dataset(_course_file(split, "ner"))
    file = _local_file(path, split, NER_SUFFIXES, "NER path")
    return ner_dataset(
        file,
        format=format,
        tag_column=tag_column,
        scheme=scheme,
        labels=labels,
        label_source=label_source,
    )


def load_classification(
    split: str = "train",
    path: str | Path | None = None,
    *,
    format: str | None = None,
    text_column: str | int | None = None,
    label_column: str | int | None = None,
    header: bool | None = None,
    labels: Sequence[str] | None = None,
    label_source: str | None = None,
) -> datasets.Dataset:
    """Text classification: ``id``, ``text``, ``label`` (ClassLabel).

    The course data: review sentiment (negative, mixed, positive). Your own: any classes.

    Args:
        split: ``"train"``, ``"dev"`` or ``"test"`` (picks the file in a folder).
        path: ``None`` (the course data); a TSV, CSV or JSONL file, or a folder with one per
            split (``train.tsv``, ``dev.tsv`` as GLUE ships them, ``validation.csv`` …); a hub
            name (e.g. ``"imdb"``) is loaded online.
        format, text_column, label_column, header: see
            :func:`spanbert_lab.data.formats.read_table` (defaults: ``sentence``/``text``/
            ``content``… and ``label``…, header detected).
        labels: the class names in id order. By default they come from the data (integers in
            numeric order, else sorted; a file within the course's classes keeps their ids).
            Integer labels with ``labels`` given are read as ids (GLUE's 0/1).
        label_source: what ``labels`` are, for the unseen-label error (``"the training data"``).

    Raises:
        ValueError: an empty or malformed file (line number and content), mixed delimiters, a
            missing column (listing the columns), labels outside ``labels`` (listed).
    """
    if path is not None and not _is_local(path):
        return _hub(str(path), split)
    if path is None:
        return course_classification_dataset(_course_file(split, "classification"))
    file = _local_file(path, split, TABLE_SUFFIXES, "classification path")
    return classification_dataset(
        file,
        format=format,
        text_column=text_column,
        label_column=label_column,
        header=header,
        labels=labels,
        label_source=label_source,
    )
