"""Coreference in miniature: the file format, its loader, the scores and a trivial baseline.

**File format** (``data/coref/{train,dev,test}.jsonl.gz``, one document per line)::

    {"id": "coref-dev-00000", "kind": "person",
     "sentences": ["Anna Vell was a painter.", "She was born in Narlund."],
     "text": "Anna Vell was a painter. She was born in Narlund.",
     "mentions": [
        {"start": 0, "end": 9, "text": "Anna Vell", "entity": "P12", "type": "PER",
         "form": "name", "gender": "f", "antecedent": null},
        {"start": 25, "end": 28, "text": "She", "entity": "P12", "type": "PER",
         "form": "pronoun", "gender": "f", "antecedent": 0},
        {"start": 41, "end": 48, "text": "Narlund", "entity": "L3", "type": "LOC",
         "form": "name", "gender": null, "antecedent": null}]}

``text`` is the ``sentences`` joined by one space; ``start``/``end`` are half-open character
offsets into it; mentions are in text order and never overlap. ``entity`` is the world entity the
mention refers to (the gold cluster); ``form`` is how it is referred to (``name``, ``surname``,
``first``, ``pronoun``, ``nominal`` — "the painter", "the company", "the town"); ``type`` is the entity's type
(``PER``, ``ORG``, ``LOC``, ``EVENT``); ``gender`` is a person's (``f``/``m``, what a name lexicon
would tell), ``null`` otherwise. ``antecedent`` is the index of the **closest preceding mention of
the same entity**, ``null`` for an entity's first mention. (The generator,
:mod:`spanbert_lab.world.tasks_coref`, records all of it while writing the text.)

**Scores** (0–1 here; the task reports 0–100):

- *antecedent accuracy*: the share of mentions whose predicted antecedent is right. For a mention
  with a preceding mention of its entity, any such mention counts (not only the closest); for a
  first mention, only "none" is right.
- *MUC link F1* (Vilain et al. 1995): the predicted antecedent links, closed transitively into
  clusters, against the gold clusters. Recall = Σ_K (|K| − p(K)) / Σ_K (|K| − 1) over gold
  clusters K, p(K) = how many predicted clusters K is split into; precision the same with the
  roles swapped; 0 when there is nothing to count (no gold or no predicted link).

**Baseline** (:func:`nearest_compatible`): each mention's antecedent is the nearest preceding
compatible mention — a pronoun's, the nearest person of the pronoun's gender (``its``: the nearest
non-person); a description's ("the company"), the nearest mention of its type; a surname's or first
name's, the nearest person mention holding that word; a full name's, the nearest identical
mention; none when there is no such mention.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets

from spanbert_lab.data.formats import find_split_file, line_error, read_jsonl
from spanbert_lab.runtime import data_dir

__all__ = [
    "FEATURES",
    "antecedent_accuracy",
    "gold_antecedents",
    "load_coref",
    "muc_scores",
    "nearest_compatible",
    "read_coref",
    "validate_document",
]

_MENTION = {
    "start": datasets.Value("int32"),
    "end": datasets.Value("int32"),
    "text": datasets.Value("string"),
    "entity": datasets.Value("string"),
    "type": datasets.Value("string"),
    "form": datasets.Value("string"),
    "gender": datasets.Value("string"),
    "antecedent": datasets.Value("int32"),
}
FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "kind": datasets.Value("string"),
        "sentences": datasets.List(datasets.Value("string")),
        "text": datasets.Value("string"),
        "mentions": datasets.List(_MENTION),
    }
)
"""The ``datasets`` schema of a coreference split (``null`` gender / antecedent stay ``None``)."""

_FEMININE = {"she", "her", "hers", "herself"}
_MASCULINE = {"he", "him", "his", "himself"}
_NEUTER = {"it", "its", "itself"}
Antecedents = Sequence[int | None]


def validate_document(doc: dict[str, Any]) -> str | None:
    """What is wrong with one document record (``None`` when nothing): offsets outside the text
    or out of order, a mention's ``text`` not at its offsets, an antecedent that does not point
    back to the closest earlier mention of the same entity."""
    text, mentions = doc.get("text"), doc.get("mentions")
    if not isinstance(text, str) or not isinstance(mentions, list):
        return "needs a 'text' string and a 'mentions' list"
    last: dict[str, int] = {}
    end = 0
    for i, m in enumerate(mentions):
        if not 0 <= m["start"] < m["end"] <= len(text) or m["start"] < end:
            return f"mention {i} at {m['start']}:{m['end']} is outside the text or overlaps"
        if m.get("text") is not None and text[m["start"] : m["end"]] != m["text"]:
            return f"mention {i}: {m['text']!r} is not at {m['start']}:{m['end']}"
        if m["antecedent"] != last.get(m["entity"]):
            return (
                f"mention {i}: antecedent {m['antecedent']} is not the closest earlier mention "
                f"of {m['entity']} ({last.get(m['entity'])})"
            )
        last[m["entity"]] = i
        end = m["end"]
    return None


def read_coref(path: str | Path) -> list[dict[str, Any]]:
    """The documents of a coreference JSONL file (gzipped or not), checked.

    Raises:
        ValueError: an empty file, a line that is not JSON, or a document that fails
            :func:`validate_document` (line number and problem).
    """
    docs = []
    for n, record, line in read_jsonl(path):
        problem = validate_document(record)
        if problem is not None:
            raise line_error(path, n, problem, line)
        record.setdefault("sentences", [record["text"]])
        record.setdefault("kind", "")
        record.setdefault("id", f"doc-{n}")
        for m in record["mentions"]:
            for key in ("text", "type", "form", "gender"):
                m.setdefault(key, None)
        docs.append(record)
    return docs


def load_coref(split: str = "train", path: str | Path | None = None) -> datasets.Dataset:
    """A coreference split as a ``datasets.Dataset`` with :data:`FEATURES`.

    Args:
        split: ``"train"``, ``"dev"`` or ``"test"``.
        path: ``None`` (the course data, ``data/coref/``), a folder holding ``<split>.jsonl.gz``
            (or ``.jsonl``), or one file in the format above.

    Raises:
        FileNotFoundError: no such file or folder.
        ValueError: a malformed file (see :func:`read_coref`).
    """
    where = Path(path).expanduser() if path is not None else data_dir() / "coref"
    if not where.exists():
        raise FileNotFoundError(f"no coreference data at {where} (run `make data`)")
    file = find_split_file(where, split, (".jsonl.gz", ".jsonl")) if where.is_dir() else where
    return datasets.Dataset.from_list(read_coref(file), features=FEATURES)


# ----------------------------------------------------------------------------- scores


def gold_antecedents(entities: Sequence[str]) -> list[int | None]:
    """The closest preceding mention of the same entity, per mention (``None``: a first one)."""
    last: dict[str, int] = {}
    out: list[int | None] = []
    for i, e in enumerate(entities):
        out.append(last.get(e))
        last[e] = i
    return out


def _check(entities: Sequence[str], predicted: Antecedents) -> None:
    if len(entities) != len(predicted):
        raise ValueError(f"{len(predicted)} predictions for {len(entities)} mentions")
    for i, j in enumerate(predicted):
        if j is not None and not 0 <= j < i:
            raise ValueError(f"mention {i}: antecedent {j} does not point to an earlier mention")


def antecedent_accuracy(
    entities: Sequence[Sequence[str]], predicted: Sequence[Antecedents]
) -> tuple[int, int]:
    """``(correct, mentions)`` over documents: ``entities[d][i]`` is mention ``i``'s gold
    entity, ``predicted[d][i]`` its predicted antecedent (an earlier index or ``None``).

    Raises:
        ValueError: lengths differ, or an antecedent does not point backwards.
    """
    correct = total = 0
    for ents, pred in zip(entities, predicted, strict=True):
        _check(ents, pred)
        for i, j in enumerate(pred):
            first = ents[i] not in ents[:i]
            correct += first if j is None else ents[j] == ents[i]
            total += 1
    return correct, total


def _clusters(n: int, links: Antecedents) -> list[int]:
    """The cluster (root index) of each of ``n`` mentions, linking each to its antecedent."""
    root = list(range(n))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for i, j in enumerate(links):
        if j is not None:
            root[find(i)] = find(j)
    return [find(i) for i in range(n)]


def _muc_counts(key: Sequence[Any], response: Sequence[Any]) -> tuple[int, int]:
    """MUC's numerator and denominator for clusters ``key`` partitioned by ``response``."""
    groups: dict[Any, set[Any]] = {}
    for k, r in zip(key, response, strict=True):
        groups.setdefault(k, set()).add(r)
    sizes: dict[Any, int] = {}
    for k in key:
        sizes[k] = sizes.get(k, 0) + 1
    num = sum(sizes[k] - len(groups[k]) for k in sizes)
    return num, sum(s - 1 for s in sizes.values())


def muc_scores(
    entities: Sequence[Sequence[str]], predicted: Sequence[Antecedents]
) -> dict[str, float]:
    """MUC ``precision``, ``recall`` and ``f1`` (0–1) of predicted antecedent links, pooled
    over documents (see the module docstring); 0 where there is nothing to count."""
    rn = rd = pn = pd = 0
    for ents, pred in zip(entities, predicted, strict=True):
        _check(ents, pred)
        response = _clusters(len(ents), pred)
        a, b = _muc_counts(ents, response)
        c, d = _muc_counts(response, ents)
        rn, rd, pn, pd = rn + a, rd + b, pn + c, pd + d
    recall = rn / rd if rd else 0.0
    precision = pn / pd if pd else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


# ----------------------------------------------------------------------------- baseline


def _compatible(m: dict[str, Any], c: dict[str, Any]) -> bool:
    """Whether earlier mention ``c`` may be what mention ``m`` refers back to (the baseline)."""
    form, word = m["form"], m["text"].lower()
    if form == "pronoun":
        if word in _NEUTER:
            return c["type"] != "PER"
        gender = "f" if word in _FEMININE else "m" if word in _MASCULINE else None
        return c["type"] == "PER" and (gender is None or c["gender"] == gender)
    if form == "nominal":
        return c["type"] == m["type"]
    if form in ("surname", "first"):
        return c["type"] == "PER" and m["text"] in c["text"].split()
    return c["text"] == m["text"]


def nearest_compatible(mentions: Sequence[dict[str, Any]]) -> list[int | None]:
    """The baseline's antecedent for each mention of one document (see the module docstring);
    it reads each mention's ``text``, ``form``, ``type`` and ``gender``, never ``entity``."""
    out: list[int | None] = []
    for i, m in enumerate(mentions):
        out.append(next((j for j in range(i - 1, -1, -1) if _compatible(m, mentions[j])), None))
    return out
