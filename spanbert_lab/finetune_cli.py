"""Command line for fine-tuning: ``python -m spanbert_lab.finetune qa|ner|classify --model ...``.

Fine-tunes once per seed with :func:`spanbert_lab.finetune.finetune`, prints the metrics, and writes
the per-seed predictions (official ``{id: text}`` format for QA) and a multi-seed summary JSON that
records the exact command.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from spanbert_lab.finetune import (
    TASKS,
    FinetuneConfig,
    finetune,
    load_course_split,
    resolve_model_path,
)


def aggregate(runs: Sequence[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean, sample standard deviation, min and max of every metric over seeds."""
    out: dict[str, dict[str, float]] = {}
    for key in runs[0]:
        values = [float(r[key]) for r in runs]
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        out[key] = {"mean": statistics.fmean(values), "std": std,
                    "min": min(values), "max": max(values)}  # fmt: skip
    return out


_DESCRIPTION = __doc__


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m spanbert_lab.finetune`` argument parser."""
    p = argparse.ArgumentParser(prog="python -m spanbert_lab.finetune", description=_DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("task", choices=TASKS)
    p.add_argument("--model", required=True, help="checkpoint dir, data/checkpoints/ name, hub id")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--output", type=Path, help="per-seed folders with predictions + eval results")
    p.add_argument("--results", type=Path, help="JSON file for the multi-seed summary")
    p.add_argument("--train-split", default="train")
    p.add_argument("--eval-split", default="dev")
    p.add_argument("--max-train", type=int, help="use only the first N training examples")
    p.add_argument("--max-eval", type=int, help="use only the first N evaluation examples")
    p.add_argument("--lr", type=float, default=FinetuneConfig.learning_rate)
    p.add_argument("--epochs", type=float, default=FinetuneConfig.epochs)
    p.add_argument("--batch-size", type=int, default=FinetuneConfig.batch_size)
    p.add_argument("--max-steps", type=int)
    p.add_argument("--max-length", type=int)
    p.add_argument("--doc-stride", type=int, default=FinetuneConfig.doc_stride)
    p.add_argument("--version", choices=("1.1", "2.0"), default="1.1")
    p.add_argument("--null-threshold", type=float, default=0.0)
    p.add_argument("--device", help="cpu, cuda, mps (default: best available)")
    p.add_argument("--allow-download", action="store_true", help="let a hub id download")
    p.add_argument("--threads", type=int, help="torch CPU threads (1 is fastest for tiny models)")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: fine-tune once per seed, print the metrics, write the files asked for."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        resolve_model_path(args.model, allow_download=args.allow_download)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    def split(name: str, limit: int | None) -> Any:
        ds = load_course_split(args.task, name, version=args.version)
        return ds.select(range(min(limit, len(ds)))) if limit is not None else ds

    train, evaluation = (
        split(args.train_split, args.max_train),
        split(args.eval_split, args.max_eval),
    )
    runs = []
    for seed in args.seeds:
        config = FinetuneConfig(
            learning_rate=args.lr, epochs=args.epochs, batch_size=args.batch_size, seed=seed,
            max_steps=args.max_steps, max_length=args.max_length, doc_stride=args.doc_stride,
            version=args.version, null_threshold=args.null_threshold,
        )  # fmt: skip
        result = finetune(args.task, args.model, config=config, train=train, eval=evaluation,
                          device=args.device, allow_download=args.allow_download,
                          progress=not args.no_progress)  # fmt: skip
        print(f"seed {seed}: " + ", ".join(f"{k}={v:.2f}" for k, v in result.metrics.items())
              + f" ({result.seconds:.0f} s)")  # fmt: skip
        if args.output is not None:
            result.save(args.output / f"seed{seed}")
        runs.append({"seed": seed, "metrics": result.metrics, "seconds": round(result.seconds, 1)})
    summary = aggregate([r["metrics"] for r in runs])
    for key, s in summary.items():
        print(f"{key}: {s['mean']:.2f} ± {s['std']:.2f} (min {s['min']:.2f}, max {s['max']:.2f})")
    if args.results is not None:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        record = {"command": "python -m spanbert_lab.finetune " + shlex.join(argv),
                  "task": args.task, "model": args.model, "seeds": args.seeds,
                  "summary": summary, "runs": runs, "torch": torch.__version__}  # fmt: skip
        args.results.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
