"""Coreference in miniature: given a document's gold mentions, pick each mention's antecedent.

Data: :mod:`spanbert_lab.data.coref` (``data/coref/``; the format, the scores and the baseline are
described there). Model: :class:`spanbert_lab.model.coref.SpanBertForCoreference` — boundary-token
span representations (first and last WordPiece, plus a width embedding), a pairwise scorer over
every earlier mention and a "no antecedent" option of score 0, trained with the marginal
log-likelihood of all gold antecedents.

One document is one feature (``[CLS] text [SEP]``, no sliding window: the course documents are at
most 128 WordPieces). A mention cut off by ``max_length`` is left out of the model's input and
counted as answered "no antecedent".

Metrics (0–100): ``antecedent_accuracy`` (every mention: any earlier mention of its entity is
right, for a first mention only "none"), ``link_accuracy`` (the same over the mentions that have an
antecedent — the hard part; ``link_accuracy_pronoun`` / ``_nominal`` / ``_name`` per kind of
mention), ``muc_precision`` / ``muc_recall`` / ``muc_f1`` (links closed into
clusters, MUC), and the same scores of the trivial baseline (nearest compatible earlier mention)
on the same documents as ``baseline_*``; ``n_mentions``, ``n_links`` are counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from spanbert_lab.contracts import TokenizerLike
from spanbert_lab.data.coref import (
    antecedent_accuracy,
    load_coref,
    muc_scores,
    nearest_compatible,
)
from spanbert_lab.tasks.base import FinetuneConfig, Report, Row, TaskSpec, examples_as_rows

KEYS = ("input_ids", "token_type_ids", "attention_mask")
MENTION_KEYS = ("mention_starts", "mention_ends", "mention_mask")


def _token_span(offsets: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """First and last token overlapping characters ``start:end`` (``None``: none, cut off)."""
    inside = [t for t, (a, b) in enumerate(offsets) if b > a and a < end and b > start]
    return (inside[0], inside[-1]) if inside else None


def encode(
    examples: Any,
    tokenizer: TokenizerLike,
    _config: FinetuneConfig,
    max_length: int,
) -> tuple[list[Row], Any]:
    """One row per document: token ids, each kept mention's first and last token, a mention
    mask, and ``labels`` = each mention's entity as the index of the entity's first mention.

    Returns ``(rows, meta)``; ``meta`` is ``(documents, kept)``, ``kept[d]`` the indices of
    document ``d``'s mentions that fit within ``max_length``.
    """
    docs = examples_as_rows(examples)
    enc = tokenizer(
        [d["text"] for d in docs],
        truncation=True,
        max_length=max_length,
        return_offsets_mapping=True,
    )
    rows: list[Row] = []
    kept: list[list[int]] = []
    for i, doc in enumerate(docs):
        first: dict[str, int] = {}
        row: Row = {k: list(enc[k][i]) for k in KEYS}
        starts, ends, labels, keep = [], [], [], []
        for k, m in enumerate(doc["mentions"]):
            first.setdefault(m["entity"], k)
            span = _token_span(enc["offset_mapping"][i], m["start"], m["end"])
            if span is not None:
                starts.append(span[0])
                ends.append(span[1])
                labels.append(first[m["entity"]])
                keep.append(k)
        row |= {
            "mention_starts": starts,
            "mention_ends": ends,
            "mention_mask": [1] * len(starts),
            "labels": labels,
        }
        rows.append(row)
        kept.append(keep)
    return rows, (docs, kept)


def read(output: Any, b: int, _n: int) -> Any:
    """Row ``b``'s antecedent scores (M, M + 1) as the batch padded them (column 0 = none)."""
    return output.antecedent_scores[b].float().cpu().numpy()


def decode(scores: np.ndarray, kept: Sequence[int], n_mentions: int) -> list[int | None]:
    """Predicted antecedents of one document's ``n_mentions`` mentions from its scores: the
    best of "none" and the earlier mentions; a mention the model did not see gets ``None``."""
    out: list[int | None] = [None] * n_mentions
    for row, k in enumerate(kept):
        best = int(np.argmax(scores[row, : row + 1]))
        out[k] = None if best == 0 else kept[best - 1]
    return out


LINK_GROUPS = {
    "pronoun": ("pronoun",),
    "nominal": ("nominal",),
    "name": ("name", "surname", "first"),
}
"""``link_accuracy_<group>``: link accuracy over the links of these mention forms."""


def _correct(d: dict[str, Any], pred: Sequence[int | None]) -> list[bool]:
    """Whether each mention's predicted antecedent is right (see the module docstring)."""
    ms = d["mentions"]
    return [
        m["antecedent"] is None if j is None else ms[j]["entity"] == m["entity"]
        for m, j in zip(ms, pred, strict=True)
    ]


def coref_metrics(
    docs: Sequence[dict[str, Any]], predicted: Sequence[Sequence[int | None]]
) -> dict[str, float]:
    """Antecedent and link accuracy (all links and per :data:`LINK_GROUPS`), MUC precision /
    recall / F1 (0–100), and the counts ``n_mentions``, ``n_links``.

    Raises:
        ValueError: a prediction does not point to an earlier mention, or lengths differ.
    """
    entities = [[m["entity"] for m in d["mentions"]] for d in docs]
    right, total = antecedent_accuracy(entities, predicted)  # also checks the predictions
    group = {f: g for g, forms in LINK_GROUPS.items() for f in forms}
    links: dict[str, list[bool]] = {"": []} | {g: [] for g in LINK_GROUPS}
    for d, pred in zip(docs, predicted, strict=True):
        for m, ok in zip(d["mentions"], _correct(d, pred), strict=True):
            if m["antecedent"] is not None:
                links[""].append(ok)
                links[group[m["form"]]].append(ok)
    muc = muc_scores(entities, predicted)
    out = {
        "antecedent_accuracy": 100 * right / max(total, 1),
        "link_accuracy": 100 * sum(links[""]) / max(len(links[""]), 1),
    }
    out |= {f"link_accuracy_{g}": 100 * sum(links[g]) / max(len(links[g]), 1) for g in LINK_GROUPS}
    out |= {f"muc_{k}": 100 * v for k, v in muc.items()}
    return out | {"n_mentions": total, "n_links": len(links[""])}


def score(
    _examples: Any,
    meta: Any,
    outputs: Sequence[Any],
    _config: FinetuneConfig,
    _labels: Sequence[str],
) -> Report:
    """The model's scores and, as ``baseline_*``, the nearest-compatible baseline's; the
    per-example scores are per mention (``<document id>:<k>``, column ``antecedent_correct``,
    0/1), so their mean is ``antecedent_accuracy`` (/ 100)."""
    docs, kept = meta
    predicted = [
        decode(o, k, len(d["mentions"])) for o, k, d in zip(outputs, kept, docs, strict=True)
    ]
    metrics = coref_metrics(docs, predicted)
    baseline = coref_metrics(docs, [nearest_compatible(d["mentions"]) for d in docs])
    for key in ("antecedent_accuracy", "link_accuracy", "muc_f1"):
        metrics[f"baseline_{key}"] = baseline[key]
    ids, rows = [], []
    for i, (d, p) in enumerate(zip(docs, predicted, strict=True)):
        for k, ok in enumerate(_correct(d, p)):  # one example per mention: its mean is the metric
            ids.append(f"{d.get('id', i)}:{k}")
            rows.append([float(ok)])
    example_scores = {"ids": ids, "columns": ["antecedent_correct"], "scores": rows}
    return {"metrics": metrics, "predictions": predicted, "example_scores": example_scores}


def load(split: str, _version: str) -> Any:
    """The course's coreference split (:func:`spanbert_lab.data.coref.load_coref`)."""
    return load_coref(split)


TASK = TaskSpec(
    name="coref",
    model_class="SpanBertForCoreference",
    default_max_length=128,
    load=load,
    encode=encode,
    read=read,
    score=score,
    needs_labels=False,
    input_keys=KEYS + MENTION_KEYS,
    main_metric="antecedent_accuracy",
)
"""Labels at training: ``labels`` (each mention's entity), from the data; no label names."""
