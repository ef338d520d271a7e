"""Relation extraction, the application: the registered task ``"relations"`` fine-tuned on one of
the course encoders, and the fine-tuned model asked about one sentence.

The task itself — typed entity markers replacing the mentions (TACRED's way), a classifier on the
pooled ``[CLS]`` vector, examples written by the course world, macro-F1 over the relations — is
:mod:`spanbert_lab.tasks.relations`; this module runs it through
:func:`spanbert_lab.finetune.finetune`, like every other fine-tuning task, and names the encoders
as :mod:`spanbert_lab.applications.encoders` does (``random-tiny``: the architecture of
``bert-tiny``, every weight drawn from the run's seed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from spanbert_lab.applications.encoders import random_architecture
from spanbert_lab.finetune import FinetuneConfig, FinetuneResult, finetune, predict
from spanbert_lab.tasks import get_task
from spanbert_lab.tasks.relations import LABELS, RelationExample

TASK = "relations"


def run_relation_extraction(
    encoder: str,
    train: Sequence[RelationExample],
    test: Sequence[RelationExample],
    config: FinetuneConfig,
) -> FinetuneResult:
    """Fine-tune ``encoder`` on ``train`` and score it on ``test`` (on the CPU, quietly).

    ``config.seed`` seeds the new head and marker embeddings, the dropout and the order of the
    batches (and, for ``random-<x>``, every weight).
    """
    if not train or not test:
        raise ValueError("relation extraction needs training and test examples")
    architecture = random_architecture(encoder)
    return finetune(
        TASK,
        architecture or encoder,
        config=config,
        train=list(train),
        dev=list(test),
        device="cpu",
        progress=False,
        random_init=architecture is not None,
    )


def fractions(result: FinetuneResult) -> dict[str, Any]:
    """A run's scores on the 0–1 scale of :func:`~spanbert_lab.tasks.relations.relation_scores`:
    ``macro_f1``, ``micro_p``, ``micro_r``, ``micro_f1`` and ``per_class_f1``."""
    metrics = {k: v / 100 for k, v in result.metrics.items()}
    return {
        **{k: metrics[k] for k in ("macro_f1", "micro_p", "micro_r", "micro_f1")},
        "per_class_f1": {k[3:]: v for k, v in metrics.items() if k.startswith("f1_")},
    }


def classify_relation(model: Any, tokenizer: Any, example: RelationExample) -> dict[str, float]:
    """Probabilities of each label for one example (sorted, most likely first)."""
    spec = get_task(TASK)
    rows, _ = spec.encode([example], tokenizer, FinetuneConfig(), spec.default_max_length)
    logits = predict(model, rows, read=spec.read, pad_id=tokenizer.pad_token_id or 0)[0]
    probs = torch.as_tensor(logits).softmax(-1).tolist()
    return dict(sorted(zip(LABELS, probs, strict=True), key=lambda kv: -kv[1]))
