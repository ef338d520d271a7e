"""Named-entity recognition: a per-token classifier, scored on whole entities (seqeval-style)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from spanbert_lab import data
from spanbert_lab.contracts import IGNORE_INDEX, TokenizerLike
from spanbert_lab.tasks.base import (
    FinetuneConfig,
    Report,
    Row,
    TaskSpec,
    columns_to_rows,
    examples_as_rows,
)
from spanbert_lab.tasks.ner_metric import entity_scores, get_entities

KEYS = ("input_ids", "token_type_ids", "attention_mask", "labels")


def _first_subwords(word_ids: Sequence[int | None]) -> list[bool]:
    """Whether each token is the first sub-word of a word (the only one that is labelled)."""
    return [w is not None and (j == 0 or word_ids[j - 1] != w) for j, w in enumerate(word_ids)]


def encode(
    examples: Any,
    tokenizer: TokenizerLike,
    _config: FinetuneConfig,
    max_length: int,
) -> tuple[list[Row], Any]:
    """Word-split sentences; the tag of a word labels its first sub-word, the rest are ignored."""
    rows = examples_as_rows(examples)
    enc = tokenizer(
        [r["tokens"] for r in rows],
        is_split_into_words=True,
        truncation=True,
        max_length=max_length,
    )
    word_ids = [enc.word_ids(i) for i in range(len(rows))]
    enc["labels"] = [
        [
            r["ner_tags"][w] if first else IGNORE_INDEX
            for w, first in zip(ids, _first_subwords(ids), strict=True)
        ]
        for r, ids in zip(rows, word_ids, strict=True)
    ]
    return columns_to_rows(enc, KEYS), (rows, word_ids)


def read(output: Any, b: int, n: int) -> Any:
    """Row ``b``'s per-token logits, trimmed to its ``n`` tokens."""
    return output.logits[b, :n].cpu().numpy()


def score(
    _examples: Any,
    meta: Any,
    outputs: Sequence[Any],
    _config: FinetuneConfig,
    labels: Sequence[str],
) -> Report:
    """Entity-level precision / recall / F1 (0–100); words cut off by ``max_length`` are "O"."""
    sentences, word_ids = meta
    gold_tags, pred_tags = [], []
    for r, ids, logits in zip(sentences, word_ids, outputs, strict=True):
        tags = ["O"] * len(r["tokens"])
        for j, (w, first) in enumerate(zip(ids, _first_subwords(ids), strict=True)):
            if first:
                tags[w] = labels[int(np.argmax(logits[j]))]
        gold_tags.append([labels[t] for t in r["ner_tags"]])
        pred_tags.append(tags)
    scores = entity_scores(gold_tags, pred_tags)
    metrics = {k: 100 * v if not k.startswith("n_") else v for k, v in scores.items()}
    rows = []
    for gold, pred in zip(gold_tags, pred_tags, strict=True):
        g, p = set(get_entities(gold)), set(get_entities(pred))
        rows.append([float(len(g & p)), float(len(p)), float(len(g))])
    ids = [str(r.get("id", i)) for i, r in enumerate(sentences)]
    example_scores = {"ids": ids, "columns": ["tp", "predicted", "gold"], "scores": rows}
    return {"metrics": metrics, "predictions": pred_tags, "example_scores": example_scores}


def load(split: str, _version: str) -> Any:
    """The course's NER split (``spanbert_lab.data.load_ner``)."""
    return data.load_ner(split)


TASK = TaskSpec(
    name="ner",
    model_class="BertForTokenClassification",
    default_max_length=128,
    load=load,
    encode=encode,
    read=read,
    score=score,
    label_column="ner_tags",
    main_metric="f1",
)
