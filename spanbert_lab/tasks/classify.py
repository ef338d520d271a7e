"""Sentence classification: a classifier on the pooled ``[CLS]`` vector (the pooler is new for
SpanBERT, which was pretrained without one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from spanbert_lab import data
from spanbert_lab.contracts import TokenizerLike
from spanbert_lab.tasks.base import (
    FinetuneConfig,
    Report,
    Row,
    TaskSpec,
    columns_to_rows,
    examples_as_rows,
)
from spanbert_lab.tasks.ner_metric import classification_scores

KEYS = ("input_ids", "token_type_ids", "attention_mask", "labels")


def encode(
    examples: Any,
    tokenizer: TokenizerLike,
    _config: FinetuneConfig,
    max_length: int,
) -> tuple[list[Row], Any]:
    """``text`` → features, ``label`` → the row's class id."""
    rows = examples_as_rows(examples)
    enc = tokenizer([r["text"] for r in rows], truncation=True, max_length=max_length)
    enc["labels"] = [int(r["label"]) for r in rows]
    return columns_to_rows(enc, KEYS), rows


def read(output: Any, b: int, _n: int) -> Any:
    """Row ``b``'s class logits."""
    return output.logits[b].cpu().numpy()


def score(
    _examples: Any,
    meta: Any,
    outputs: Sequence[Any],
    _config: FinetuneConfig,
    _labels: Sequence[str],
) -> Report:
    """Accuracy and macro-F1 (0–100)."""
    predicted = [int(np.argmax(o)) for o in outputs]
    gold = [int(r["label"]) for r in meta]
    scores = classification_scores(gold, predicted)
    example_scores = {
        "ids": [str(r.get("id", i)) for i, r in enumerate(meta)],
        "columns": ["correct"],
        "scores": [[float(g == p)] for g, p in zip(gold, predicted, strict=True)],
    }
    return {
        "metrics": {k: 100 * v for k, v in scores.items()},
        "predictions": predicted,
        "example_scores": example_scores,
    }


def load(split: str, _version: str) -> Any:
    """The course's classification split (``spanbert_lab.data.load_classification``)."""
    return data.load_classification(split)


TASK = TaskSpec(
    name="classify",
    model_class="BertForSequenceClassification",
    default_max_length=128,
    load=load,
    encode=encode,
    read=read,
    score=score,
    label_column="label",
    main_metric="accuracy",
)
