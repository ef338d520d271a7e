"""Fine-tuning on span tasks: extractive QA, NER and classification, with a plain torch loop.

The paper fine-tunes every model with the standard BERT heads (``docs/spanbert-reference.md#qa``;
the SBO is pretraining only): two linear start/end classifiers for QA
(``BertForQuestionAnswering``), a per-token classifier for NER (``BertForTokenClassification``) and
a classifier on the pooled ``[CLS]`` vector (``BertForSequenceClassification`` — its pooler is *new*
for SpanBERT, which was pretrained without one). Any BERT-family checkpoint directory works: the
course's (under ``data/checkpoints/``) or your own; a hub id only with ``allow_download=True``.

The loop (:func:`train_loop`) is deliberately plain: AdamW (≥ 2-D tensors decay), linear warm-up
then linear decay (:mod:`spanbert_lab.schedule`), gradient clipping, shuffling with an explicit
``torch.Generator(seed)``. The new head's initialisation and dropout draw from torch's global
generator, so model creation and training run inside ``torch.random.fork_rng`` seeded with the
same seed: a run is a function of its seed and leaves the caller's generators untouched.

CLI: ``python -m spanbert_lab.finetune qa|ner|classify --model DIR --seeds 0 1 2 --results FILE``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from spanbert_lab.ner_metric import classification_scores, entity_scores
from spanbert_lab.progress import ProgressLog
from spanbert_lab.qa import (
    QAPrediction,
    decode_qa,
    prepare_qa_features,
    squad_evaluate,
    squad_json,
)
from spanbert_lab.runtime import data_dir, get_device, quiet_transformers
from spanbert_lab.schedule import build_optimizer, build_scheduler

Task = Literal["qa", "ner", "classify"]
TASKS: tuple[Task, ...] = ("qa", "ner", "classify")
_TASK_MODELS = {
    "qa": "BertForQuestionAnswering",
    "ner": "BertForTokenClassification",
    "classify": "BertForSequenceClassification",
}
_DEFAULT_MAX_LENGTH = {"qa": 384, "ner": 128, "classify": 128}


@dataclass(frozen=True)
class FinetuneConfig:
    """Hyper-parameters of one fine-tuning run (QA fields are ignored by the other tasks).

    ``max_length=None`` takes the task default (QA 384, others 128) capped at the model's
    ``max_position_embeddings``; ``max_steps`` overrides ``epochs`` when set.
    """

    learning_rate: float = 1e-4
    epochs: float = 2.0
    batch_size: int = 16
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    seed: int = 0
    max_steps: int | None = None
    max_length: int | None = None
    doc_stride: int = 128
    version: Literal["1.1", "2.0"] = "1.1"
    null_threshold: float = 0.0
    n_best: int = 20
    max_answer_length: int = 30
    eval_batch_size: int = 64

    def __post_init__(self) -> None:
        for name in ("learning_rate", "epochs", "batch_size", "doc_stride", "eval_batch_size",
                     "n_best", "max_answer_length"):  # fmt: skip
            if not getattr(self, name) > 0:
                raise ValueError(f"FinetuneConfig.{name} must be > 0, got {getattr(self, name)!r}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(
                f"FinetuneConfig.warmup_ratio must be in [0, 1), got {self.warmup_ratio}"
            )
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"FinetuneConfig.max_steps must be ≥ 1 or None, got {self.max_steps}")
        if self.version not in ("1.1", "2.0"):
            raise ValueError(f"FinetuneConfig.version must be '1.1' or '2.0', got {self.version!r}")


# --- models ----------------------------------------------------------------------------------------


def resolve_model_path(model: str | Path, *, allow_download: bool = False) -> str:
    """A local checkpoint directory (as given, or under ``data/checkpoints/``), or a hub id.

    Raises:
        FileNotFoundError: no directory with a ``config.json`` there and downloads not allowed.
    """
    for candidate in (Path(model), data_dir() / "checkpoints" / str(model)):
        if (candidate / "config.json").is_file():
            return str(candidate)
    if allow_download:
        return str(model)
    available = sorted(p.name for p in (data_dir() / "checkpoints").glob("*") if p.is_dir())
    raise FileNotFoundError(
        f"no model at {str(model)!r}: expected a directory holding config.json (a course "
        f"checkpoint in data/checkpoints/ {available or '(none yet)'}, or any local BERT-family "
        "checkpoint). To fetch a hub id such as 'SpanBERT/spanbert-base-cased', pass "
        "--allow-download (allow_download=True)."
    )


def load_tokenizer_for(path: str, *, allow_download: bool = False) -> Any:
    """The checkpoint's own tokenizer when it ships one, else the course tokenizer."""
    from transformers import AutoTokenizer

    local = Path(path)
    if not local.is_dir() or any((local / f).is_file() for f in ("tokenizer.json", "vocab.txt")):
        with quiet_transformers():
            return AutoTokenizer.from_pretrained(path, local_files_only=not allow_download)
    from spanbert_lab.data import load_tokenizer  # the course's cased WordPiece

    return load_tokenizer()


def load_task_model(
    model: str | Path,
    task: Task,
    *,
    labels: Sequence[str] | None = None,
    seed: int = 0,
    allow_download: bool = False,
) -> tuple[torch.nn.Module, Any, list[str]]:
    """Load a checkpoint into the task's transformers class; the new head is seeded by ``seed``.

    Returns:
        ``(model, tokenizer, newly_initialised_keys)``.
    """
    import transformers

    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")
    path = resolve_model_path(model, allow_download=allow_download)
    cls = getattr(transformers, _TASK_MODELS[task])
    kwargs: dict[str, Any] = {"local_files_only": not allow_download, "output_loading_info": True}
    if labels is not None:
        kwargs.update(num_labels=len(labels), id2label=dict(enumerate(labels)),
                      label2id={name: i for i, name in enumerate(labels)})  # fmt: skip
    with torch.random.fork_rng(devices=[]), quiet_transformers():
        torch.manual_seed(seed)
        net, info = cls.from_pretrained(path, **kwargs)
    return (
        net,
        load_tokenizer_for(path, allow_download=allow_download),
        sorted(info["missing_keys"]),
    )


# --- the training loop -----------------------------------------------------------------------------


def pad_batch(rows: Sequence[dict[str, Any]], pad_id: int) -> dict[str, torch.Tensor]:
    """Stack feature dicts into (B, T) long tensors padded to the longest row (labels: -100)."""
    width = max(len(r["input_ids"]) for r in rows)
    pads = {"input_ids": pad_id, "token_type_ids": 0, "attention_mask": 0, "labels": -100}
    batch: dict[str, torch.Tensor] = {}
    for key in rows[0]:
        if isinstance(rows[0][key], list):
            fill = pads.get(key, 0)
            batch[key] = torch.tensor([r[key] + [fill] * (width - len(r[key])) for r in rows])
        else:
            batch[key] = torch.tensor([r[key] for r in rows])
    return batch


def train_loop(
    model: torch.nn.Module,
    rows: Sequence[dict[str, Any]],
    config: FinetuneConfig,
    *,
    pad_id: int = 0,
    device: torch.device | None = None,
    progress: bool = True,
    callback: Callable[[dict[str, float]], None] | None = None,
) -> list[dict[str, float]]:
    """Fine-tune ``model`` on training rows (dicts of ``input_ids`` … and the task's labels).

    Shuffling uses ``torch.Generator().manual_seed(config.seed)``; dropout runs inside
    ``fork_rng`` seeded with ``config.seed``. Returns the history: one ``{"step", "loss", "lr"}``
    per update.
    """
    if not rows:
        raise ValueError("no training rows")
    device = device or torch.device("cpu")
    model.to(device).train()
    steps_per_epoch = math.ceil(len(rows) / config.batch_size)
    total = config.max_steps or max(1, math.ceil(config.epochs * steps_per_epoch))
    warmup = min(round(config.warmup_ratio * total), total - 1)
    optimizer = build_optimizer(model, lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = build_scheduler(optimizer, warmup_steps=warmup, total_steps=total)
    cuda = [device] if device.type == "cuda" else []  # dropout draws there on a GPU
    generator = torch.Generator().manual_seed(config.seed)
    history: list[dict[str, float]] = []
    log = ProgressLog("fine-tuning", total, enabled=progress)
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(config.seed)
        while len(history) < total:
            epoch_losses: list[float] = []
            order = torch.randperm(len(rows), generator=generator).tolist()
            for i in range(0, len(order), config.batch_size):
                batch = pad_batch([rows[j] for j in order[i : i + config.batch_size]], pad_id)
                lr = optimizer.param_groups[0]["lr"]
                loss = model(**{k: v.to(device) for k, v in batch.items()}).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                record = {"step": float(len(history)), "loss": loss.item(), "lr": lr}
                history.append(record)
                epoch_losses.append(record["loss"])
                if callback is not None:
                    callback(record)
                if len(history) == total:
                    break
            # one line per epoch (or for the last, partial one): never a bar (see progress.py)
            log.line(len(history), epoch=math.ceil(len(history) / steps_per_epoch),
                     loss=sum(epoch_losses) / len(epoch_losses))  # fmt: skip
    model.eval()
    return history


@torch.no_grad()
def predict(
    model: torch.nn.Module,
    rows: Sequence[dict[str, Any]],
    *,
    pad_id: int = 0,
    batch_size: int = 64,
    device: torch.device | None = None,
) -> list[Any]:
    """Run the model in eval mode; per row: logits trimmed to its length (a tuple for QA)."""
    device = device or next(model.parameters()).device
    model.eval()
    keys = ("input_ids", "token_type_ids", "attention_mask")
    out: list[Any] = []
    for i in range(0, len(rows), batch_size):
        chunk = rows[i : i + batch_size]
        batch = pad_batch([{k: r[k] for k in keys if k in r} for r in chunk], pad_id)
        result = model(**{k: v.to(device) for k, v in batch.items()})
        for b, r in enumerate(chunk):
            n = len(r["input_ids"])
            if hasattr(result, "start_logits"):
                out.append((result.start_logits[b, :n].cpu().numpy(),
                            result.end_logits[b, :n].cpu().numpy()))  # fmt: skip
            elif result.logits.dim() == 3:
                out.append(result.logits[b, :n].cpu().numpy())
            else:
                out.append(result.logits[b].cpu().numpy())
    return out


# --- tasks -----------------------------------------------------------------------------------------


def _rows(columns: dict[str, list[Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    return [{k: columns[k][i] for k in keys} for i in range(len(columns["input_ids"]))]


def _max_length(config: FinetuneConfig, task: Task, model: torch.nn.Module) -> int:
    limit = int(getattr(model.config, "max_position_embeddings", 512))
    return min(config.max_length or _DEFAULT_MAX_LENGTH[task], limit)


def encode(task: Task, examples: Any, tokenizer: Any, config: FinetuneConfig, max_length: int,
           labels: Sequence[str] | None = None) -> tuple[list[dict[str, Any]], Any]:  # fmt: skip
    """Training/eval rows for a task, and what evaluation needs to read them back."""
    keys = ["input_ids", "token_type_ids", "attention_mask"]
    if task == "qa":
        f = prepare_qa_features(examples, tokenizer, max_length=max_length,
                                doc_stride=config.doc_stride)  # fmt: skip
        return _rows(f, [*keys, "start_positions", "end_positions"]), f
    if isinstance(examples, dict):  # a batch: dict of columns
        examples = [
            dict(zip(examples, values, strict=True))
            for values in zip(*examples.values(), strict=True)
        ]
    rows = [dict(e) for e in examples]
    if task == "ner":
        enc = tokenizer([r["tokens"] for r in rows], is_split_into_words=True, truncation=True,
                        max_length=max_length)  # fmt: skip
        word_ids = [enc.word_ids(i) for i in range(len(rows))]
        enc["labels"] = [
            [r["ner_tags"][w] if w is not None and (j == 0 or ids[j - 1] != w) else -100
             for j, w in enumerate(ids)]
            for r, ids in zip(rows, word_ids, strict=True)
        ]  # fmt: skip
        return _rows(enc, [*keys, "labels"]), (rows, word_ids)
    enc = tokenizer([r["text"] for r in rows], truncation=True, max_length=max_length)
    enc["labels"] = [int(r["label"]) for r in rows]
    return _rows(enc, [*keys, "labels"]), rows


def evaluate(task: Task, model: torch.nn.Module, tokenizer: Any, examples: Any,
             config: FinetuneConfig, labels: Sequence[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Evaluate a fine-tuned model: ``{"metrics": ..., "predictions": ..., "na_probs": ...}``.

    QA: the official SQuAD scores (v1.1 ``exact_match``/``f1``; v2.0 ``exact``/``f1`` at the
    *fixed* ``null_threshold`` plus ``best_*`` at the threshold tuned on this same set).
    NER: entity-level precision/recall/F1. Classification: accuracy and macro-F1. All 0–100.
    """
    rows, meta = encode(task, examples, tokenizer, config, _max_length(config, task, model), labels)
    outputs = predict(model, rows, pad_id=tokenizer.pad_token_id or 0,
                      batch_size=config.eval_batch_size)  # fmt: skip
    if task == "qa":
        kw = dict(n_best=config.n_best, max_answer_length=config.max_answer_length)
        decoded = decode_qa(
            examples,
            meta,
            [o[0] for o in outputs],
            [o[1] for o in outputs],
            version=config.version,
            null_threshold=config.null_threshold,
            **kw,
        )
        predictions = {k: p.text for k, p in decoded.items()}
        gold = squad_json(examples)
        if config.version == "1.1":
            return {"metrics": squad_evaluate(gold, predictions), "predictions": predictions}
        na_probs = {k: p.na_score for k, p in decoded.items()}
        metrics = squad_evaluate(gold, predictions, version="2.0")
        raw = {k: p.best.text if p.best else "" for k, p in decoded.items()}
        best = squad_evaluate(gold, raw, version="2.0", na_probs=na_probs)
        metrics.update({k: v for k, v in best.items() if k.startswith("best_")})
        metrics["null_threshold"] = config.null_threshold
        return {"metrics": metrics, "predictions": predictions, "na_probs": na_probs}
    if task == "ner":
        names = list(labels or model.config.id2label.values())
        sentences, word_ids = meta
        gold_tags, pred_tags = [], []
        for r, ids, logits in zip(sentences, word_ids, outputs, strict=True):
            tags = ["O"] * len(r["tokens"])  # words cut off by max_length count as "O"
            for j, w in enumerate(ids):
                if w is not None and (j == 0 or ids[j - 1] != w):
                    tags[w] = names[int(np.argmax(logits[j]))]
            gold_tags.append([names[t] for t in r["ner_tags"]])
            pred_tags.append(tags)
        scores = entity_scores(gold_tags, pred_tags)
        metrics = {k: 100 * v if not k.startswith("n_") else v for k, v in scores.items()}
        return {"metrics": metrics, "predictions": pred_tags}
    predicted = [int(np.argmax(o)) for o in outputs]
    scores = classification_scores([int(r["label"]) for r in meta], predicted)
    return {"metrics": {k: 100 * v for k, v in scores.items()}, "predictions": predicted}


def label_names(task: Task, dataset: Any) -> list[str] | None:
    """Class names from a ``datasets`` ClassLabel column (NER ``ner_tags``, classification
    ``label``); ``None`` for QA or when the examples carry no feature schema."""
    features = getattr(dataset, "features", None)
    if task == "qa" or features is None:
        return None
    column = features["ner_tags"].feature if task == "ner" else features["label"]
    return list(column.names)


def load_course_split(task: Task, split: str, *, version: str = "1.1") -> Any:
    """The course data set of a task (``spanbert_lab.data.load_qa`` / ``load_ner`` / …)."""
    from spanbert_lab import data

    if task == "qa":
        return data.load_qa(split, version=version)
    return data.load_ner(split) if task == "ner" else data.load_classification(split)


@dataclass
class FinetuneResult:
    """One run: its metrics (0–100), training history, predictions, timing, and the fine-tuned
    model with its tokenizer (not saved by :meth:`save`)."""

    task: str
    model: str
    config: FinetuneConfig
    metrics: dict[str, float]
    history: list[dict[str, float]] = field(repr=False)
    predictions: Any = field(repr=False)
    na_probs: dict[str, float] | None = field(default=None, repr=False)
    new_keys: list[str] = field(default_factory=list, repr=False)
    train_rows: int = 0
    seconds: float = 0.0
    trained_model: torch.nn.Module | None = field(default=None, repr=False)
    tokenizer: Any = field(default=None, repr=False)

    def save(self, output_dir: str | Path) -> Path:
        """Write ``eval_results.json``, ``history.json`` and the predictions (QA: the official
        ``{id: text}`` prediction file, plus ``na_probs.json`` for SQuAD 2.0)."""
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        summary = {"task": self.task, "model": self.model, "config": asdict(self.config),
                   "metrics": self.metrics, "train_rows": self.train_rows,
                   "seconds": round(self.seconds, 1)}  # fmt: skip
        (out / "eval_results.json").write_text(json.dumps(summary, indent=2) + "\n")
        (out / "history.json").write_text(json.dumps(self.history) + "\n")
        (out / "predictions.json").write_text(
            json.dumps(self.predictions, ensure_ascii=False) + "\n"
        )
        if self.na_probs is not None:
            (out / "na_probs.json").write_text(json.dumps(self.na_probs) + "\n")
        return out


def finetune(
    task: Task,
    model: str | Path,
    *,
    config: FinetuneConfig | None = None,
    train: Any = None,
    eval: Any = None,
    labels: Sequence[str] | None = None,
    device: str | None = None,
    allow_download: bool = False,
    progress: bool = True,
) -> FinetuneResult:
    """Load ``model`` into the task's class, fine-tune on ``train``, evaluate on ``eval``.

    ``train`` / ``eval`` default to the course splits ``"train"`` / ``"dev"``; NER and
    classification read the label names from their ClassLabel columns unless ``labels`` is given.
    """
    config = config or FinetuneConfig()
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")
    train = load_course_split(task, "train", version=config.version) if train is None else train
    eval = load_course_split(task, "dev", version=config.version) if eval is None else eval
    labels = labels or label_names(task, train)
    if task != "qa" and labels is None:
        raise ValueError(f"task {task!r} needs label names (pass labels=[...])")
    start = time.perf_counter()
    net, tokenizer, new_keys = load_task_model(model, task, labels=labels, seed=config.seed,
                                               allow_download=allow_download)  # fmt: skip
    rows, _ = encode(task, train, tokenizer, config, _max_length(config, task, net), labels)
    pad_id = tokenizer.pad_token_id or 0
    history = train_loop(net, rows, config, pad_id=pad_id, device=get_device(device),
                         progress=progress)  # fmt: skip
    report = evaluate(task, net, tokenizer, eval, config, labels)
    return FinetuneResult(
        task, str(model), config, report["metrics"], history, report["predictions"],
        report.get("na_probs"), new_keys, len(rows), time.perf_counter() - start, net, tokenizer,
    )  # fmt: skip


def answer_question(
    model: torch.nn.Module,
    tokenizer: Any,
    question: str,
    context: str,
    *,
    max_length: int = 384,
    doc_stride: int = 128,
    n_best: int = 20,
    max_answer_length: int = 30,
    version: Literal["1.1", "2.0"] = "1.1",
    null_threshold: float = 0.0,
) -> QAPrediction:
    """Answer one question about one passage with a fine-tuned QA model (n-best included)."""
    example = [{"id": "q", "question": question, "context": context}]
    limit = int(getattr(model.config, "max_position_embeddings", 512))
    features = prepare_qa_features(example, tokenizer, max_length=min(max_length, limit),
                                   doc_stride=doc_stride)  # fmt: skip
    logits = predict(model, _rows(features, ["input_ids", "token_type_ids", "attention_mask"]),
                     pad_id=tokenizer.pad_token_id or 0)  # fmt: skip
    return decode_qa(example, features, [s for s, _ in logits], [e for _, e in logits],
                     n_best=n_best, max_answer_length=max_answer_length, version=version,
                     null_threshold=null_threshold)["q"]  # fmt: skip


if __name__ == "__main__":  # python -m spanbert_lab.finetune: the CLI lives in finetune_cli
    from spanbert_lab.finetune_cli import main

    raise SystemExit(main())
