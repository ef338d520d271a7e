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
from spanbert_lab.finetune.models import load_task_model
from spanbert_lab.masking.padding import pad_features
from spanbert_lab.runtime import get_device
from spanbert_lab.tasks import FinetuneConfig, Report, TaskSpec, get_task
from spanbert_lab.tasks.base import Reader, Row
from spanbert_lab.tasks.qa import spec as qa_task
from spanbert_lab.tasks.qa.decoding import QAPrediction, decode_qa
from spanbert_lab.tasks.qa.features import prepare_qa_features
from spanbert_lab.training import History, LoopState, TrainRecord, train_step
from spanbert_lab.training.progress import ProgressLog
from spanbert_lab.training.schedule import build_optimizer, build_scheduler

__all__ = [
    "EarlyStopping",
    "FinetuneResult",
    "answer_question",
    "encode",
    "evaluate",
    "finetune",
    "label_names",
    "load_course_split",
    "predict",
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
    on_epoch: Callable[[int, int, float], bool] | None = None,
) -> History:
    """Fine-tune ``model`` on training rows (dicts of ``input_ids`` … and the task's labels).

    Shuffling uses ``torch.Generator().manual_seed(config.seed)`` (a new permutation every
    epoch; the last batch of an epoch may be smaller); dropout runs inside ``fork_rng`` seeded
    with ``config.seed``. Steps count as in pretraining: ``step`` = updates done, from 1.
    ``on_epoch(epoch, step, mean_loss)`` is called after every epoch (from 1; the last may be
    partial) and stops training when it returns ``True`` (early stopping: :func:`finetune`).

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
            if on_epoch is not None and on_epoch(
                state.epoch, state.step, sum(losses) / len(losses)
            ):
                break
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
    return _evaluator(get_task(task), model, tokenizer, examples, config, labels)(model)


def _evaluator(
    spec: TaskSpec,
    model: torch.nn.Module,
    tokenizer: TokenizerLike,
    examples: Any,
    config: FinetuneConfig,
    labels: Sequence[str] | None,
) -> Callable[[torch.nn.Module], Report]:
    """``examples`` encoded once; the returned function scores a model on them."""
    rows, meta = spec.encode(examples, tokenizer, config, _max_length(config, spec, model))
    names = list(labels or model.config.id2label.values())

    def run(net: torch.nn.Module) -> Report:
        outputs = predict(
            net,
            rows,
            read=spec.read,
            pad_id=tokenizer.pad_token_id or 0,
            batch_size=config.eval_batch_size,
            keys=spec.input_keys,
        )
        return spec.score(examples, meta, outputs, config, names)

    return run


@dataclass
class EarlyStopping:
    """Dev after every epoch (:func:`train_loop`'s ``on_epoch``): the curve, the best epoch's
    weights (a copy in memory) and report, and the decision to stop (``FinetuneConfig``'s
    ``patience``, ``min_delta``, ``monitor``)."""

    model: torch.nn.Module
    score: Callable[[torch.nn.Module], Report]
    monitor: str
    patience: int
    min_delta: float = 0.0
    max_epochs: int | None = None  # a run that reaches it was not stopped early
    curve: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    best_value: float = -math.inf
    best_report: Report | None = None
    best_state: dict[str, torch.Tensor] | None = None
    stopped_early: bool = False

    def __call__(self, epoch: int, step: int, loss: float) -> bool:
        report = self.score(self.model)
        self.model.train()
        metrics = report["metrics"]
        if self.monitor not in metrics:
            raise KeyError(f"monitor={self.monitor!r} is not a dev metric: {sorted(metrics)}")
        value = float(metrics[self.monitor])
        self.curve.append({"epoch": epoch, "update": step, "train_loss": loss, "dev": metrics})
        gain = value - self.best_value
        if self.best_epoch is None or (gain > 0 and gain >= self.min_delta - 1e-9):
            self.best_epoch, self.best_value, self.best_report = epoch, value, report
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            return False
        stop = epoch - self.best_epoch >= self.patience
        self.stopped_early = stop and (self.max_epochs is None or epoch < self.max_epochs)
        return stop

    def restore(self) -> Report:
        """Load the best epoch's weights into the model; return that epoch's dev report."""
        if self.best_state is None or self.best_report is None:
            raise RuntimeError("no epoch was evaluated")
        self.model.load_state_dict(self.best_state)
        self.model.eval()
        return self.best_report

    def record(self) -> dict[str, Any]:
        """``{"dev_curve", "best_epoch", "stopped_early", "monitor"}`` for the results files."""
        return {
            "dev_curve": self.curve,
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "monitor": self.monitor,
        }


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
    early_stopping: dict[str, Any] | None = field(default=None, repr=False)
    null_scores: dict[str, Any] | None = field(default=None, repr=False)

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
        if self.early_stopping is not None:
            summary |= self.early_stopping
        (out / "eval_results.json").write_text(json.dumps(summary, indent=2) + "\n")
        (out / "history.json").write_text(json.dumps(self.history) + "\n")
        _write_report(
            out,
            {
                "predictions": self.predictions,
                "na_probs": self.na_probs,
                "example_scores": self.example_scores,
                "null_scores": self.null_scores,
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
    """A report's predictions, null scores (QA v2.0: ``na_probs.json`` and ``null_scores.json``,
    each question's best non-null answer and ``na_score``) and per-example scores, each in its
    own file."""
    for key, name in (
        ("predictions", "predictions.json"),
        ("na_probs", "na_probs.json"),
        ("example_scores", "example_scores.json"),
        ("null_scores", "null_scores.json"),
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
    score_dev = _evaluator(spec, net, tokenizer, dev, config, labels)
    stopper = None
    if config.patience is not None:
        monitor = config.monitor or spec.main_metric
        if monitor is None:
            raise ValueError(f"task {task!r} has no main metric: name one with monitor=")
        stopper = EarlyStopping(
            net, score_dev, monitor, config.patience, config.min_delta, max_epochs=config.epochs
        )
    history = train_loop(
        net,
        rows,
        config,
        pad_id=tokenizer.pad_token_id or 0,
        device=get_device(device),
        progress=progress,
        on_epoch=stopper,
    )
    report = score_dev(net) if stopper is None else stopper.restore()
    test_report = None if test is None else evaluate(task, net, tokenizer, test, config, labels)
    if test_report is not None and spec.with_dev is not None:
        extra = spec.with_dev(dev, report, test, test_report, config)
        test_report = {
            **test_report,
            **extra,
            "metrics": test_report["metrics"] | extra.get("metrics", {}),
        }
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
        None if stopper is None else stopper.record(),
        report.get("null_scores"),
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
