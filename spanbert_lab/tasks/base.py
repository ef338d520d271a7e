"""What a fine-tuning task declares (:class:`TaskSpec`), and the settings of a run
(:class:`FinetuneConfig`), which every task reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from spanbert_lab.contracts import QA_DOC_STRIDE, TokenizerLike

__all__ = [
    "ExampleScores",
    "FinetuneConfig",
    "Report",
    "Row",
    "TaskSpec",
    "columns_to_rows",
    "examples_as_rows",
]

Row = dict[str, Any]
"""One encoded feature: ``input_ids``, ``token_type_ids``, ``attention_mask`` and the targets."""


class ExampleScores(TypedDict):
    """Per-example scores for paired comparisons: one row of ``columns`` per id (QA: ``f1``,
    ``exact``; NER: ``tp``, ``predicted``, ``gold`` entity counts; classification: ``correct``)."""

    ids: list[str]
    columns: list[str]
    scores: list[list[float]]


class Report(TypedDict, total=False):
    """What a task's scorer returns: metrics (0–100), predictions, per-example scores, and QA
    v2.0's null scores (``na_probs``; ``null_scores``: per question the best non-null answer and
    its ``na_score``, from which any threshold's scores can be recomputed)."""

    metrics: dict[str, float]
    predictions: Any
    example_scores: ExampleScores
    na_probs: dict[str, float]
    null_scores: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class FinetuneConfig:
    """Hyper-parameters of one fine-tuning run (QA fields are ignored by the other tasks).

    ``max_length=None`` takes the task default (QA :data:`~spanbert_lab.contracts.QA_MAX_LENGTH`,
    others 128) capped at the model's ``max_position_embeddings``; ``doc_stride`` defaults to
    :data:`~spanbert_lab.contracts.QA_DOC_STRIDE`; ``max_steps`` overrides ``epochs`` when set.
    The ``finetune`` command line takes its defaults from these fields.

    Early stopping (``patience`` set): dev is evaluated after every epoch; the learning-rate
    schedule still runs over ``epochs`` (the maximum); a dev score counts as an improvement when
    it beats the best so far by at least ``min_delta`` points (and by more than 0); training stops
    after ``patience`` epochs without one, and the best epoch's weights are restored before the
    final dev and test evaluations. ``monitor`` names the dev metric (``None``: the task's
    :attr:`TaskSpec.main_metric`). ``patience=None`` (the default) is the plain fixed-budget run.
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
    doc_stride: int = QA_DOC_STRIDE
    version: Literal["1.1", "2.0"] = "1.1"
    null_threshold: float = 0.0
    n_best: int = 20
    max_answer_length: int = 30
    span_unit: Literal["words", "tokens"] = "words"
    eval_batch_size: int = 64
    patience: int | None = None
    min_delta: float = 0.0
    monitor: str | None = None

    def __post_init__(self) -> None:
        for name in (
            "learning_rate",
            "epochs",
            "batch_size",
            "doc_stride",
            "eval_batch_size",
            "n_best",
            "max_answer_length",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"FinetuneConfig.{name} must be > 0, got {getattr(self, name)!r}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(
                f"FinetuneConfig.warmup_ratio must be in [0, 1), got {self.warmup_ratio}"
            )
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"FinetuneConfig.max_steps must be ≥ 1 or None, got {self.max_steps}")
        if self.span_unit not in ("words", "tokens"):
            raise ValueError(
                f"FinetuneConfig.span_unit must be 'words' or 'tokens', got {self.span_unit!r}"
            )
        if self.version not in ("1.1", "2.0"):
            raise ValueError(f"FinetuneConfig.version must be '1.1' or '2.0', got {self.version!r}")
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"FinetuneConfig.patience must be ≥ 1 or None, got {self.patience}")
        if not self.min_delta >= 0:
            raise ValueError(f"FinetuneConfig.min_delta must be ≥ 0, got {self.min_delta!r}")


Encoder = Callable[[Any, TokenizerLike, FinetuneConfig, int], tuple[list[Row], Any]]
Reader = Callable[[Any, int, int], Any]
Scorer = Callable[[Any, Any, Sequence[Any], FinetuneConfig, Sequence[str]], Report]
DevRescorer = Callable[[Any, Report, Any, Report, FinetuneConfig], Report]


@dataclass(frozen=True)
class TaskSpec:
    """A fine-tuning task: everything :func:`spanbert_lab.finetune.finetune` needs to know.

    Attributes:
        name: what ``finetune(name, …)`` and the command line call it.
        model_class: the transformers class whose head and checkpoints the task's model shares
            (``"BertForQuestionAnswering"`` …); the course's model for it is
            ``spanbert_lab.model.finetuning.TASK_MODELS[model_class]``.
        default_max_length: tokens per feature unless ``FinetuneConfig.max_length`` says
            otherwise (capped at the model's ``max_position_embeddings``).
        load: ``load(split, version)`` → the course data set of that split.
        encode: ``encode(examples, tokenizer, config, max_length)`` → ``(rows, meta)``: feature
            rows to train on or predict, and what the scorer needs to read predictions back.
        read: ``read(output, b, n)`` → row ``b``'s prediction from a batch's model output
            (``n`` = the row's length), as NumPy arrays.
        score: ``score(examples, meta, predictions, config, labels)`` → a :class:`Report`.
        label_column: the ClassLabel column naming the classes (``None``: no label names).
        needs_labels: whether a run needs label names (the size of the new head).
        input_keys: the row keys the model reads when it predicts (the targets left out).
        class_names: the label names of a task whose classes are fixed by the task, not read
            from its data (relation extraction); :meth:`label_names` returns them.
        added_tokens: tokens the task adds to the checkpoint's tokenizer, each with a new
            embedding row drawn with the head (relation extraction's typed entity markers).
        main_metric: the dev metric early stopping watches unless ``FinetuneConfig.monitor``
            names another (``None``: the run must name one).
        with_dev: ``with_dev(dev_examples, dev_report, test_examples, test_report, config)`` →
            what test scores that depend on dev add to the test report (QA v2.0: the scores at
            the null threshold chosen on dev); ``metrics`` are merged, other keys replaced.
    """

    name: str
    model_class: str
    default_max_length: int
    load: Callable[[str, str], Any]
    encode: Encoder
    read: Reader
    score: Scorer
    label_column: str | None = None
    needs_labels: bool = True
    input_keys: tuple[str, ...] = ("input_ids", "token_type_ids", "attention_mask")
    class_names: tuple[str, ...] | None = None
    added_tokens: tuple[str, ...] = ()
    main_metric: str | None = None
    with_dev: DevRescorer | None = None

    def label_names(self, dataset: Any) -> list[str] | None:
        """The task's :attr:`class_names`, else the class names from the data set's ClassLabel
        column (``None`` when it has none)."""
        if self.class_names is not None:
            return list(self.class_names)
        features = getattr(dataset, "features", None)
        if self.label_column is None or features is None or self.label_column not in features:
            return None
        column = features[self.label_column]
        column = getattr(column, "feature", column)  # a sequence of labels (NER tags)
        names = getattr(column, "names", None)
        return list(names) if names is not None else None


def columns_to_rows(columns: Any, keys: Sequence[str]) -> list[Row]:
    """Rows from a tokenizer's column output (``{key: [value per row]}``)."""
    return [{k: columns[k][i] for k in keys} for i in range(len(columns["input_ids"]))]


def examples_as_rows(examples: Any) -> list[dict[str, Any]]:
    """A list of example dicts from a ``datasets`` split, a list, or a dict of columns."""
    if isinstance(examples, dict):  # a batch: dict of columns
        examples = [
            dict(zip(examples, values, strict=True))
            for values in zip(*examples.values(), strict=True)
        ]
    return [dict(e) for e in examples]
