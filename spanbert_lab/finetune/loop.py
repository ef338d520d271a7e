"""Fine-tuning on span tasks: extractive QA, NER, classification (…), with a plain torch loop.

The paper fine-tunes every model with the standard BERT heads (``docs/spanbert-reference.md#qa``;
the SBO is pretraining only): two linear start/end classifiers for QA
(``BertForQuestionAnswering``), a per-token classifier for NER (``BertForTokenClassification``) and
a classifier on the pooled ``[CLS]`` vector (``BertForSequenceClassification`` — its pooler is *new*
for SpanBERT, which was pretrained without one). Any BERT-family checkpoint directory works: the
course's (under ``data/checkpoints/``) or your own; a hub id only with ``allow_download=True``.

Each task is a :class:`~spanbert_lab.tasks.TaskSpec` in :mod:`spanbert_lab.tasks` (one file per
task: model class, default length, loader, encoder, reader of predictions, scorer); this module
knows no task by name. The loop (:func:`train_loop`) is deliberately plain, one
:func:`spanbert_lab.training.train_step` per batch: AdamW (≥ 2-D tensors decay), linear warm-up
then linear decay (:mod:`spanbert_lab.training.schedule`), gradient clipping, shuffling with an explicit
``torch.Generator(seed)``. The new head's initialisation and dropout draw from torch's global
generator, so model creation and training run inside ``torch.random.fork_rng`` seeded with the
same seed: a run is a function of its seed and leaves the caller's generators untouched.

CLI: ``python -m spanbert_lab finetune <task> --model DIR --seeds 0 1 2 --results FILE``
(:mod:`spanbert_lab.cli.finetune`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

from spanbert_lab.contracts import QA_DOC_STRIDE, QA_MAX_LENGTH, TokenizerLike
from spanbert_lab.finetune.models import load_task_model, resolve_model_path
from spanbert_lab.masking.padding import pad_features
from spanbert_lab.runtime import get_device
from spanbert_lab.tasks import FinetuneConfig, Report, TaskSpec, get_task, task_names
from spanbert_lab.tasks.base import Reader, Row
from spanbert_lab.tasks.qa import spec as qa_task
from spanbert_lab.tasks.qa.decoding import QAPrediction, decode_qa
from spanbert_lab.tasks.qa.features import prepare_qa_features
from spanbert_lab.training import History, LoopState, TrainRecord, train_step
from spanbert_lab.training.checkpoint import load_tokenizer_for
from spanbert_lab.training.progress import ProgressLog
from spanbert_lab.training.schedule import build_optimizer, build_scheduler

__all__ = [
    "FinetuneConfig",
    "FinetuneResult",
    "answer_question",
    "encode",
    "evaluate",
    "finetune",
    "label_names",
    "load_course_split",
    "load_task_model",
    "load_tokenizer_for",
    "predict",
    "resolve_model_path",
    "task_names",
    "train_loop",
]


# --- the training loop -----------------------------------------------------------------------------


def train_loop(
    model: torch.nn.Module,
    rows: Sequence[Row],
    config: FinetuneConfig,
    *,
    pad_id: int = 0,
    device: torch.device | None = None,
    progress: bool = True,
    callback: Callable[[TrainRecord], None] | None = None,
) -> History:
    """Fine-tune ``model`` on training rows (dicts of ``input_ids`` … and the task's labels).

    Shuffling uses ``torch.Generator().manual_seed(config.seed)`` (a new permutation every
    epoch; the last batch of an epoch may be smaller); dropout runs inside ``fork_rng`` seeded
    with ``config.seed``. Steps count as in pretraining: ``step`` = updates done, from 1.

    Returns:
        The :class:`~spanbert_lab.training.History`: one record per update (``step``, ``epoch``,
        ``loss``, ``lr``, ``grad_norm``).
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
    run = _Epochs(model, optimizer, scheduler, config, pad_id, device, callback)
    generator = torch.Generator().manual_seed(config.seed)
    state = LoopState()
    log = ProgressLog("fine-tuning", total, enabled=progress)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(config.seed)  # dropout (on the GPU when training there)
        while state.step < total:
            order = torch.randperm(len(rows), generator=generator).tolist()
            losses = run.epoch(state, [rows[j] for j in order], total)
            # one line per epoch (or for the last, partial one): never a bar (see progress.py)
            log.line(
                state.step,
                epoch=math.ceil(state.step / steps_per_epoch),
                loss=sum(losses) / len(losses),
            )
            state.epoch, state.batch_in_epoch = state.epoch + 1, 0
    model.eval()
    return state.history


@dataclass(frozen=True)
class _Epochs:
    """What stays fixed while :func:`train_loop` runs."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    config: FinetuneConfig
    pad_id: int
    device: torch.device
    callback: Callable[[TrainRecord], None] | None

    def epoch(self, state: LoopState, rows: Sequence[Row], total: int) -> list[float]:
        """Train on ``rows`` in batches until they or the ``total`` updates run out."""
        losses: list[float] = []
        for i in range(0, len(rows), self.config.batch_size):
            batch = pad_features(rows[i : i + self.config.batch_size], self.pad_id)
            step = train_step(
                self.model,
                {k: v.to(self.device) for k, v in batch.items()},
                self.optimizer,
                self.scheduler,
                max_grad_norm=self.config.max_grad_norm,
            )
            state.step, state.batch_in_epoch = state.step + 1, state.batch_in_epoch + 1
            record: TrainRecord = {
                "kind": "train",
                "step": state.step,
                "epoch": state.epoch,
                "loss": step.loss.item(),
                "lr": step.lr,
                "grad_norm": step.grad_norm,
            }
            state.history.train.append(record)
            losses.append(record["loss"])
            if self.callback is not None:
                self.callback(record)
            if state.step == total:
                break
        return losses


@torch.no_grad()
def predict(
    model: torch.nn.Module,
    rows: Sequence[Row],
    *,
    read: Reader,
    pad_id: int = 0,
    batch_size: int = 64,
    device: torch.device | None = None,
    keys: Sequence[str] = ("input_ids", "token_type_ids", "attention_mask"),
) -> list[Any]:
    """Run the model in eval mode; per row, what ``read(output, b, n)`` takes from its batch's
    output (a task's :attr:`~spanbert_lab.tasks.TaskSpec.read`). The model reads the rows'
    ``keys`` (a task's :attr:`~spanbert_lab.tasks.TaskSpec.input_keys`)."""
    device = device or next(model.parameters()).device
    model.eval()
    out: list[Any] = []
    for i in range(0, len(rows), batch_size):
        chunk = rows[i : i + batch_size]
        batch = pad_features([{k: r[k] for k in keys if k in r} for r in chunk], pad_id)
        result = model(**{k: v.to(device) for k, v in batch.items()})
        out.extend(read(result, b, len(r["input_ids"])) for b, r in enumerate(chunk))
    return out


# --- tasks -----------------------------------------------------------------------------------------


def _max_length(config: FinetuneConfig, spec: TaskSpec, model: torch.nn.Module) -> int:
    limit = int(getattr(model.config, "max_position_embeddings", 512))
    return min(config.max_length or spec.default_max_length, limit)


def encode(
    task: str, examples: Any, tokenizer: TokenizerLike, config: FinetuneConfig, max_length: int
) -> tuple[list[Row], Any]:
    """Training/eval rows for a task, and what evaluation needs to read them back."""
    return get_task(task).encode(examples, tokenizer, config, max_length)


def evaluate(
    task: str,
    model: torch.nn.Module,
    tokenizer: TokenizerLike,
    examples: Any,
    config: FinetuneConfig,
    labels: Sequence[str] | None = None,
) -> Report:
    """Evaluate a fine-tuned model: ``{"metrics": ..., "predictions": ..., "na_probs": ...}``.

    QA: the official SQuAD scores (v1.1 ``exact_match``/``f1``; v2.0 ``exact``/``f1`` at the
    *fixed* ``null_threshold`` plus ``best_*`` at the threshold tuned on this same set).
    NER: entity-level precision/recall/F1. Classification: accuracy and macro-F1. All 0–100.
    Label names default to the model's ``id2label``.
    """
    spec = get_task(task)
    rows, meta = spec.encode(examples, tokenizer, config, _max_length(config, spec, model))
    outputs = predict(
        model,
        rows,
        read=spec.read,
        pad_id=tokenizer.pad_token_id or 0,
        batch_size=config.eval_batch_size,
        keys=spec.input_keys,
    )
    names = list(labels or model.config.id2label.values())
    return spec.score(examples, meta, outputs, config, names)


def label_names(task: str, dataset: Any) -> list[str] | None:
    """Class names from a ``datasets`` ClassLabel column (NER ``ner_tags``, classification
    ``label``); ``None`` for QA or when the examples carry no feature schema."""
    return get_task(task).label_names(dataset)


def load_course_split(task: str, split: str, *, version: str = "1.1") -> Any:
    """The course data set of a task (``spanbert_lab.data.load_qa`` / ``load_ner`` / …)."""
    return get_task(task).load(split, version)


@dataclass
class FinetuneResult:
    """One run: its metrics (0–100), training history (the records of
    :attr:`spanbert_lab.training.History.train`), predictions, timing, and the fine-tuned model
    with its tokenizer (not saved by :meth:`save`)."""

    task: str
    model: str
    config: FinetuneConfig
    metrics: dict[str, float]
    history: list[TrainRecord] = field(repr=False)
    predictions: Any = field(repr=False)
    na_probs: dict[str, float] | None = field(default=None, repr=False)
    new_keys: list[str] = field(default_factory=list, repr=False)
    train_rows: int = 0
    seconds: float = 0.0
    trained_model: torch.nn.Module | None = field(default=None, repr=False)
    tokenizer: TokenizerLike | None = field(default=None, repr=False)
    example_scores: dict[str, Any] | None = field(default=None, repr=False)
    test: Report | None = field(default=None, repr=False)

    def save(self, output_dir: str | Path) -> Path:
        """Write ``eval_results.json``, ``history.json``, the predictions (QA: the official
        ``{id: text}`` prediction file, plus ``na_probs.json`` for SQuAD 2.0) and
        ``example_scores.json``; the test evaluation, when there is one, goes to ``test/``."""
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        summary = {
            "task": self.task,
            "model": self.model,
            "config": asdict(self.config),
            "metrics": self.metrics,
            "train_rows": self.train_rows,
            "seconds": round(self.seconds, 1),
        }
        (out / "eval_results.json").write_text(json.dumps(summary, indent=2) + "\n")
        (out / "history.json").write_text(json.dumps(self.history) + "\n")
        _write_report(
            out,
            {
                "predictions": self.predictions,
                "na_probs": self.na_probs,
                "example_scores": self.example_scores,
            },
        )
        if self.test is not None:
            test = out / "test"
            test.mkdir(exist_ok=True)
            (test / "eval_results.json").write_text(
                json.dumps({"metrics": self.test["metrics"]}, indent=2) + "\n"
            )
            _write_report(test, self.test)
        return out


def _write_report(folder: Path, report: Mapping[str, Any]) -> None:
    """A report's predictions, null scores and per-example scores, each in its own file."""
    for key, name in (
        ("predictions", "predictions.json"),
        ("na_probs", "na_probs.json"),
        ("example_scores", "example_scores.json"),
    ):
        if report.get(key) is not None:
            (folder / name).write_text(json.dumps(report[key], ensure_ascii=False) + "\n")


def finetune(
    task: str,
    model: str | Path,
    *,
    config: FinetuneConfig | None = None,
    train: Any = None,
    dev: Any = None,
    test: Any = None,
    labels: Sequence[str] | None = None,
    device: str | None = None,
    allow_download: bool = False,
    progress: bool = True,
    random_init: bool = False,
) -> FinetuneResult:
    """Load ``model`` into the task's class, fine-tune on ``train``, evaluate on ``dev`` (and on
    ``test`` when given: :attr:`FinetuneResult.test`).

    ``task`` names a registered :class:`~spanbert_lab.tasks.TaskSpec` (``"qa"``, ``"ner"``,
    ``"classify"``, ``"relations"`` … or your own). ``train`` / ``dev`` default to the course
    splits ``"train"`` / ``"dev"``; the label names are the task's, or come from the training
    set's ClassLabel column, unless ``labels`` is given. ``random_init``: ``model``'s architecture
    with every weight drawn from ``config.seed``, never pretrained (the untrained control).
    """
    config = config or FinetuneConfig()
    spec = get_task(task)
    train = spec.load("train", config.version) if train is None else train
    dev = spec.load("dev", config.version) if dev is None else dev
    labels = labels or spec.label_names(train)
    if spec.needs_labels and labels is None:
        raise ValueError(f"task {task!r} needs label names (pass labels=[...])")
    start = time.perf_counter()
    net, tokenizer, new_keys = load_task_model(
        model,
        task,
        labels=labels,
        seed=config.seed,
        allow_download=allow_download,
        random_init=random_init,
    )
    rows, _ = spec.encode(train, tokenizer, config, _max_length(config, spec, net))
    history = train_loop(
        net,
        rows,
        config,
        pad_id=tokenizer.pad_token_id or 0,
        device=get_device(device),
        progress=progress,
    )
    report = evaluate(task, net, tokenizer, dev, config, labels)
    test_report = None if test is None else evaluate(task, net, tokenizer, test, config, labels)
    return FinetuneResult(
        task,
        str(model),
        config,
        report["metrics"],
        history.train,
        report["predictions"],
        report.get("na_probs"),
        new_keys,
        len(rows),
        time.perf_counter() - start,
        net,
        tokenizer,
        report.get("example_scores"),
        test_report,
    )


def answer_question(
    model: torch.nn.Module,
    tokenizer: TokenizerLike,
    question: str,
    context: str,
    *,
    max_length: int = QA_MAX_LENGTH,
    doc_stride: int = QA_DOC_STRIDE,
    n_best: int = 20,
    max_answer_length: int = 30,
    version: Literal["1.1", "2.0"] = "1.1",
    null_threshold: float = 0.0,
    span_unit: Literal["words", "tokens"] = "words",
) -> QAPrediction:
    """Answer one question about one passage with a fine-tuned QA model (n-best included)."""
    example = [{"id": "q", "question": question, "context": context}]
    limit = int(getattr(model.config, "max_position_embeddings", 512))
    features = prepare_qa_features(
        example, tokenizer, max_length=min(max_length, limit), doc_stride=doc_stride
    )
    rows = [
        {k: features[k][i] for k in qa_task.FEATURE_KEYS} for i in range(len(features["input_ids"]))
    ]
    logits = predict(model, rows, read=qa_task.read, pad_id=tokenizer.pad_token_id or 0)
    return decode_qa(
        example,
        features,
        [s for s, _ in logits],
        [e for _, e in logits],
        n_best=n_best,
        max_answer_length=max_answer_length,
        version=version,
        null_threshold=null_threshold,
        span_unit=span_unit,
    )["q"]
