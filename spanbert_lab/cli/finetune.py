"""``python -m spanbert_lab finetune <task> --model ...`` (or ``python -m spanbert_lab.finetune``).

Fine-tunes once per seed with :func:`spanbert_lab.finetune.finetune`, prints the metrics, and writes
the per-seed predictions (official ``{id: text}`` format for QA) and a multi-seed summary JSON that
records the exact command.

Your own data: ``--data PATH`` is a file, or a folder with one file per split (``train.tsv`` and
``dev.tsv``, ``train.txt`` and ``valid.txt`` …): CoNLL or JSONL for ``ner``, TSV / CSV / JSONL for
``classify`` (``--text-column``, ``--label-column``), SQuAD JSON for ``qa``. The label names come
from the training data (or ``--labels``); an evaluation file with other labels is an error that
lists them. Without a dev file, a seeded 10% of the training file is held out (``--eval-fraction``).
``relations`` (typed entity markers, macro-F1) trains on the course world's splits only.
``--save-model`` writes each fine-tuned model, its label maps (``id2label``/``label2id``) in its
``config.json``, under ``--output``.

    python -m spanbert_lab.finetune ner --model bert-tiny --data conll2003/ --max-steps 30
    python -m spanbert_lab.finetune classify --model bert-tiny --data sst2/train.tsv \\
        --eval-data sst2/dev.tsv --text-column sentence --label-column label
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from spanbert_lab.cli.defaults import default_of
from spanbert_lab.contracts import QA_MAX_LENGTH
from spanbert_lab.data.conll import SCHEMES
from spanbert_lab.finetune import (
    FinetuneConfig,
    FinetuneResult,
    label_names,
    load_course_split,
    resolve_model_path,
    task_names,
)
from spanbert_lab.finetune.own_data import OwnData
from spanbert_lab.finetune.own_data import load_own_data as load_data
from spanbert_lab.finetune.seeds import SeedStudy, aggregate, results_record, run_seeds

__all__ = ["aggregate", "build_parser", "load_own_data", "main"]


_DESCRIPTION = __doc__

# flag, FinetuneConfig field, type, help: the plain numeric settings (defaults from the fields)
_CONFIG_FLAGS: tuple[tuple[str, str, type, str], ...] = (
    ("--lr", "learning_rate", float, "peak learning rate"),
    ("--epochs", "epochs", float, "passes over the training data"),
    ("--batch-size", "batch_size", int, "examples (QA: windows) per update"),
    ("--max-steps", "max_steps", int, "stop after N updates (overrides --epochs)"),
    ("--doc-stride", "doc_stride", int, "qa: how far one window advances over the passage"),
    (
        "--null-threshold",
        "null_threshold",
        float,
        "qa v2.0: no answer when the null score beats the best span by more",
    ),
    (
        "--patience",
        "patience",
        int,
        "early stopping: evaluate dev after every epoch, stop after N epochs without an "
        "improvement, keep the best epoch's weights (--epochs is then the maximum; default: off)",
    ),
    (
        "--min-delta",
        "min_delta",
        float,
        "early stopping: an improvement is at least this many dev points",
    ),
    (
        "--monitor",
        "monitor",
        str,
        "early stopping: the dev metric to watch (default: the task's main metric)",
    ),
)


def build_parser(prog: str = "python -m spanbert_lab finetune") -> argparse.ArgumentParser:
    """The ``finetune`` command's argument parser."""
    p = argparse.ArgumentParser(
        prog=prog, description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("task", choices=task_names())
    p.add_argument("--model", required=True, help="checkpoint dir, data/checkpoints/ name, hub id")
    p.add_argument("--seeds", type=int, nargs="+", default=[default_of(FinetuneConfig, "seed")])
    p.add_argument("--output", type=Path, help="per-seed folders with predictions + eval results")
    p.add_argument("--results", type=Path, help="JSON file for the multi-seed summary")
    p.add_argument("--train-split", default=default_of(OwnData, "train_split"))
    p.add_argument("--eval-split", default=default_of(OwnData, "eval_split"))
    p.add_argument(
        "--test-split",
        help="also evaluate every fine-tuned model on this course split (e.g. test); written to "
        "<output>/seed<N>/test/ and as test_metrics in --results",
    )
    p.add_argument("--max-train", type=int, help="use only the first N training examples")
    p.add_argument("--max-eval", type=int, help="use only the first N evaluation examples")
    for flag, name, kind, what in _CONFIG_FLAGS:
        default = default_of(FinetuneConfig, name)
        shown = "" if default is None else f" (default: {default})"
        p.add_argument(flag, type=kind, default=default, help=what + shown)
    p.add_argument(
        "--max-length",
        type=int,
        default=default_of(FinetuneConfig, "max_length"),
        help=f"tokens per feature (default: the task's, QA {QA_MAX_LENGTH}, capped at the model's "
        "limit)",
    )
    p.add_argument(
        "--version", choices=("1.1", "2.0"), default=default_of(FinetuneConfig, "version")
    )
    p.add_argument(
        "--span-unit",
        choices=("words", "tokens"),
        default=default_of(FinetuneConfig, "span_unit"),
        help="qa: answers start and end at word boundaries (words, default) or at any WordPiece "
        "(tokens, as the official scripts); the other unit's scores are reported as f1@<unit>",
    )
    p.add_argument("--device", help="cpu, cuda, mps (default: best available)")
    p.add_argument("--allow-download", action="store_true", help="let a hub id download")
    p.add_argument("--threads", type=int, help="torch CPU threads (1 is fastest for tiny models)")
    p.add_argument("--no-progress", action="store_true")
    own = p.add_argument_group("your own data (default: the course's)")
    own.add_argument("--data", type=Path, help="a file, or a folder with <split>.<ext> files")
    own.add_argument("--eval-data", type=Path, help="the evaluation file (or folder)")
    own.add_argument(
        "--eval-fraction",
        type=float,
        default=default_of(OwnData, "eval_fraction"),
        help="held out of a single --data file when there is no --eval-data",
    )
    own.add_argument("--format", help="ner: conll, jsonl; classify: tsv, csv, jsonl")
    own.add_argument("--text-column", help="classify: column name or 0-based position")
    own.add_argument("--label-column", help="classify: column name or 0-based position")
    own.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        help="classify: the first line names the columns (default: detected)",
    )
    own.add_argument(
        "--tag-column",
        type=int,
        default=default_of(OwnData, "tag_column"),
        help="ner: CoNLL tag column (-1 = last)",
    )
    own.add_argument(
        "--scheme",
        default=default_of(OwnData, "scheme"),
        choices=SCHEMES,
        help="ner: tag scheme (read as BIO)",
    )
    own.add_argument("--labels", nargs="+", help="label names in id order (default: from data)")
    own.add_argument(
        "--save-model",
        action="store_true",
        help="write each fine-tuned model to <output>/seed<N>/model",
    )
    return p


def _column(value: str | None) -> str | int | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else value


def load_own_data(args: argparse.Namespace) -> tuple[Any, Any]:
    """The ``(train, eval)`` datasets of ``--data`` (and ``--eval-data``) for ``args.task``
    (:func:`spanbert_lab.finetune.own_data.load_own_data`); prints what was held out."""
    own = OwnData(
        task=args.task,
        data=args.data,
        eval_data=args.eval_data,
        train_split=args.train_split,
        eval_split=args.eval_split,
        eval_fraction=args.eval_fraction,
        version=args.version,
        format=args.format,
        text_column=_column(args.text_column),
        label_column=_column(args.label_column),
        header=args.header,
        tag_column=args.tag_column,
        scheme=args.scheme,
        labels=args.labels,
    )
    train, evaluation, note = load_data(own)
    if note is not None:
        print(note)
    return train, evaluation


def _datasets(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """The course splits, or ``--data``; cut to ``--max-train`` / ``--max-eval`` (the test split,
    ``--test-split``, is never cut)."""
    if args.data is None:
        train = load_course_split(args.task, args.train_split, version=args.version)
        evaluation = load_course_split(args.task, args.eval_split, version=args.version)
    elif args.test_split is not None:
        raise ValueError("--test-split names a course split; it cannot be used with --data")
    else:
        train, evaluation = load_own_data(args)
    test = None
    if args.test_split is not None:
        test = load_course_split(args.task, args.test_split, version=args.version)

    def first(ds: Any, limit: int | None) -> Any:
        if limit is None:
            return ds
        return ds[:limit] if isinstance(ds, list) else ds.select(range(min(limit, len(ds))))

    return first(train, args.max_train), first(evaluation, args.max_eval), test


def _study(args: argparse.Namespace) -> SeedStudy:
    config = FinetuneConfig(
        learning_rate=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        max_steps=args.max_steps,
        max_length=args.max_length,
        doc_stride=args.doc_stride,
        version=args.version,
        null_threshold=args.null_threshold,
        span_unit=args.span_unit,
        patience=args.patience,
        min_delta=args.min_delta,
        monitor=args.monitor,
    )
    return SeedStudy(
        task=args.task,
        model=args.model,
        seeds=tuple(args.seeds),
        config=config,
        output=args.output,
        save_model=args.save_model,
        device=args.device,
        allow_download=args.allow_download,
        progress=not args.no_progress,
    )


def _print_result(result: FinetuneResult) -> None:
    print(
        f"seed {result.config.seed}: "
        + ", ".join(f"{k}={v:.2f}" for k, v in result.metrics.items())
        + f" ({result.seconds:.0f} s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: fine-tune once per seed, print the metrics, write the files asked for."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        resolve_model_path(args.model, allow_download=args.allow_download)
        study = _study(args)
        if args.threads is not None:
            torch.set_num_threads(args.threads)
        train, evaluation, test = _datasets(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    labels = args.labels or label_names(args.task, train)
    if labels is not None:
        print(
            f"{args.task}: {len(train)} training, {len(evaluation)} evaluation examples; "
            f"{len(labels)} labels: {' '.join(labels)}"
        )
    runs = run_seeds(study, train, evaluation, labels, test=test, on_result=_print_result)
    summary = aggregate([r["metrics"] for r in runs])
    for key, s in summary.items():
        print(f"{key}: {s['mean']:.2f} ± {s['std']:.2f} (min {s['min']:.2f}, max {s['max']:.2f})")
    if args.results is not None:
        command = "python -m spanbert_lab.finetune " + shlex.join(argv)
        args.results.parent.mkdir(parents=True, exist_ok=True)
        record = results_record(study, labels, runs, command)
        args.results.write_text(json.dumps(record, indent=2) + "\n")
    return 0
