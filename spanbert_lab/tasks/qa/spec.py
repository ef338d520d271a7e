"""Extractive question answering (SQuAD 1.1 / 2.0): start/end classifiers over the passage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spanbert_lab import data
from spanbert_lab.contracts import QA_MAX_LENGTH, TokenizerLike
from spanbert_lab.tasks.base import FinetuneConfig, Report, Row, TaskSpec, columns_to_rows
from spanbert_lab.tasks.qa.decoding import decode_qa
from spanbert_lab.tasks.qa.features import prepare_qa_features, squad_json
from spanbert_lab.tasks.qa.metric import (
    dev_chosen_threshold,
    question_scores,
    score_at_threshold,
    squad_evaluate,
)

FEATURE_KEYS = ("input_ids", "token_type_ids", "attention_mask")


def encode(
    examples: Any, tokenizer: TokenizerLike, config: FinetuneConfig, max_length: int
) -> tuple[list[Row], Any]:
    """Sliding-window features (``doc_stride``) with answer start/end positions."""
    features = prepare_qa_features(
        examples, tokenizer, max_length=max_length, doc_stride=config.doc_stride
    )
    return columns_to_rows(features, [*FEATURE_KEYS, "start_positions", "end_positions"]), features


def read(output: Any, b: int, n: int) -> tuple[Any, Any]:
    """Row ``b``'s start and end logits, trimmed to its ``n`` tokens."""
    return output.start_logits[b, :n].cpu().numpy(), output.end_logits[b, :n].cpu().numpy()


def _decode(
    examples: Any, features: Any, outputs: Sequence[Any], config: FinetuneConfig, unit: str
) -> dict[str, Any]:
    return decode_qa(
        examples,
        features,
        [o[0] for o in outputs],
        [o[1] for o in outputs],
        version=config.version,
        null_threshold=config.null_threshold,
        n_best=config.n_best,
        max_answer_length=config.max_answer_length,
        span_unit=unit,
    )


def _metrics(gold: Any, decoded: dict[str, Any], config: FinetuneConfig) -> dict[str, float]:
    predictions = {k: p.text for k, p in decoded.items()}
    if config.version == "1.1":
        return squad_evaluate(gold, predictions)
    na_probs = {k: p.na_score for k, p in decoded.items()}
    metrics = squad_evaluate(gold, predictions, version="2.0")
    raw = {k: p.best.text if p.best else "" for k, p in decoded.items()}
    best = squad_evaluate(gold, raw, version="2.0", na_probs=na_probs)
    metrics.update({k: v for k, v in best.items() if k.startswith("best_")})
    metrics["null_threshold"] = config.null_threshold
    return metrics


def score(
    examples: Any,
    features: Any,
    outputs: Sequence[Any],
    config: FinetuneConfig,
    _labels: Sequence[str],
) -> Report:
    """The official SQuAD scores: v1.1 ``exact_match``/``f1``; v2.0 ``exact``/``f1`` at the
    *fixed* ``null_threshold`` plus ``best_*`` at the threshold tuned on this same set. Answers
    are decoded in ``config.span_unit``; the main scores under the other unit are added as
    ``<metric>@<unit>`` (e.g. ``f1@tokens``), so its effect is measured on the same logits."""
    gold = squad_json(examples)
    decoded = _decode(examples, features, outputs, config, config.span_unit)
    metrics = _metrics(gold, decoded, config)
    other = "tokens" if config.span_unit == "words" else "words"
    other_metrics = _metrics(gold, _decode(examples, features, outputs, config, other), config)
    for key in ("exact_match", "exact", "f1"):
        if key in other_metrics:
            metrics[f"{key}@{other}"] = other_metrics[key]
    predictions = {k: p.text for k, p in decoded.items()}
    per_question = question_scores(gold, predictions, version=config.version)
    example_scores = {
        "ids": list(per_question),
        "columns": ["f1", "exact"],
        "scores": [[f1, exact] for exact, f1 in per_question.values()],
    }
    report: Report = {
        "metrics": metrics,
        "predictions": predictions,
        "example_scores": example_scores,
    }
    if config.version == "2.0":
        report["na_probs"] = {k: p.na_score for k, p in decoded.items()}
        report["null_scores"] = {
            k: {"answer": p.best.text if p.best else "", "na_score": p.na_score}
            for k, p in decoded.items()
        }
    return report


def with_dev(
    dev_examples: Any,
    dev_report: Report,
    test_examples: Any,
    test_report: Report,
    config: FinetuneConfig,
) -> Report:
    """QA v2.0: the test scores at the null threshold chosen on dev (the threshold that
    maximises dev F1 over the dev questions' stored null scores, notebook 04's exercise 04.3),
    beside those at the fixed ``config.null_threshold``: metrics ``exact@dev_threshold``,
    ``f1@dev_threshold``, ``dev_null_threshold``, and per question the columns
    ``exact@dev_threshold``, ``f1@dev_threshold`` added to the test's example scores. v1.1:
    nothing."""
    if config.version != "2.0":
        return {}
    threshold = dev_chosen_threshold(squad_json(dev_examples), dev_report["null_scores"])
    metrics, per_question = score_at_threshold(
        squad_json(test_examples), test_report["null_scores"], threshold
    )
    scores = test_report["example_scores"]
    rows = [
        [*row, per_question[i][1], per_question[i][0]]
        for i, row in zip(scores["ids"], scores["scores"], strict=True)
    ]
    return {
        "metrics": {
            "exact@dev_threshold": metrics["exact"],
            "f1@dev_threshold": metrics["f1"],
            "dev_null_threshold": threshold,
        },
        "example_scores": {
            "ids": scores["ids"],
            "columns": [*scores["columns"], "f1@dev_threshold", "exact@dev_threshold"],
            "scores": rows,
        },
    }


def load(split: str, version: str) -> Any:
    """The course's SQuAD-format split (``spanbert_lab.data.load_qa``)."""
    return data.load_qa(split, version=version)


TASK = TaskSpec(
    name="qa",
    model_class="BertForQuestionAnswering",
    default_max_length=QA_MAX_LENGTH,
    load=load,
    encode=encode,
    read=read,
    score=score,
    needs_labels=False,
    main_metric="f1",
    with_dev=with_dev,
)
