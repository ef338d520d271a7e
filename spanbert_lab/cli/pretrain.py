"""``python -m spanbert_lab pretrain`` (or ``python -m spanbert_lab.pretrain``): pretrain a (Span)BERT on the course corpus from the shell.

Objectives (``--objective``): ``subword`` (BERT), ``whole_word``, ``span``, ``span_sbo``
(SpanBERT), ``entity``, ``noun_phrase``, and each with ``+nsp`` (two segments + next-sentence
prediction) — see :mod:`spanbert_lab.pretrain.recipes`. Presets (``--preset``): ``tiny`` (the course
default), ``mini``, ``small``, ``base`` (:data:`spanbert_lab.model.pretraining.PRESETS`).

Examples::

    python -m spanbert_lab.pretrain --objective span_sbo --preset tiny --max-steps 20 --output-dir runs/x
    python -m spanbert_lab.pretrain --output-dir runs/x --resume          # continue runs/x
    torchrun --nproc-per-node 2 -m spanbert_lab.pretrain --objective subword --output-dir runs/y

A run writes ``<output-dir>/checkpoint-<step>/`` (model + optimiser/scheduler/RNG state, for
``--resume``) and, at the end, the final model with the tokenizer and a model card
(``README.md``, ``metrics.json``) to ``--export-dir`` (default ``<output-dir>/final``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from spanbert_lab.model.pretraining import PRESETS
from spanbert_lab.pretrain import TrainConfig
from spanbert_lab.pretrain import distributed as D
from spanbert_lab.pretrain.recipes import OBJECTIVES
from spanbert_lab.pretrain.run import PretrainRun, run_pretraining
from spanbert_lab.runtime import get_device
from spanbert_lab.training.checkpoint import list_checkpoints, resolve_checkpoint

__all__ = ["build_parser", "main"]


def build_parser(prog: str = "python -m spanbert_lab pretrain") -> argparse.ArgumentParser:
    """The ``pretrain`` command's argument parser."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Pretrain BERT / SpanBERT variants on the course corpus.",
    )
    p.add_argument(
        "--objective",
        choices=sorted(OBJECTIVES),
        default="span_sbo",
        help="masking scheme and auxiliary losses (default: span_sbo = SpanBERT)",
    )
    p.add_argument("--preset", choices=list(PRESETS), default="tiny", help="model size")
    p.add_argument("--output-dir", required=True, type=Path, help="checkpoints go here")
    p.add_argument(
        "--export-dir",
        type=Path,
        help="final model + tokenizer + model card (default: OUTPUT_DIR/final)",
    )
    p.add_argument(
        "--resume",
        nargs="?",
        const="",
        metavar="PATH",
        help="continue from a checkpoint folder (default: OUTPUT_DIR's latest)",
    )
    p.add_argument("--max-steps", type=int, default=1000, help="optimiser updates")
    p.add_argument(
        "--time-budget",
        type=float,
        metavar="SECONDS",
        help="stop after this much training time (wall clock)",
    )
    p.add_argument("--batch-size", type=int, default=32, help="global batch in blocks")
    p.add_argument("--block-size", type=int, default=128, help="tokens per block incl. [CLS]/[SEP]")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    p.add_argument("--warmup-steps", type=int, help="default: 10%% of --max-steps")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--max-grad-norm", type=float, default=1.0)
    p.add_argument("--eval-every", type=int, default=0, help="0 = evaluate at the end only")
    p.add_argument("--max-train-blocks", type=int, help="use only the first N training blocks")
    p.add_argument("--max-eval-blocks", type=int, help="use only the first N dev blocks")
    p.add_argument("--save-every", type=int, default=0, help="0 = checkpoint at the end only")
    p.add_argument("--keep-checkpoints", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--batching",
        choices=["random", "bucketed"],
        default="random",
        help="random: shuffled blocks; bucketed: blocks of similar length share a batch (less "
        "padding, same blocks and masks)",
    )
    p.add_argument("--device", help="cpu, cuda, cuda:1 … (default: best available)")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto")
    p.add_argument(
        "--threads",
        type=int,
        help="torch threads per process (default: 1 for the tiny preset, whose small matrices "
        "gain little from more threads and lose a lot on a busy machine; else torch's default)",
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="accepted for old scripts; progress is one line per evaluation anyway",
    )
    return p


def _check_paths(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str | None:
    """Validate the folders; return the checkpoint to resume from (or None)."""
    out = args.output_dir
    if out.exists() and not out.is_dir():
        parser.error(f"--output-dir {str(out)!r} exists and is not a folder")
    if args.resume is None:
        if list_checkpoints(out):
            parser.error(
                f"--output-dir {str(out)!r} already holds checkpoints: pass --resume to continue "
                "that run, or choose another folder"
            )
        return None
    try:
        return str(resolve_checkpoint(args.resume or out))
    except FileNotFoundError as err:
        parser.error(f"--resume: {err}")
    return None  # unreachable (parser.error exits)


def _recorded_run(args: argparse.Namespace) -> dict[str, Any] | None:
    """The ``run.json`` of the run being resumed (``None`` when not resuming or not found)."""
    if args.resume is None:
        return None
    target = Path(args.resume) if args.resume else args.output_dir
    for folder in (target, target.parent, args.output_dir):
        if (folder / "run.json").is_file():
            return json.loads((folder / "run.json").read_text())
    return None


def _train_config(args: argparse.Namespace) -> TrainConfig:
    warmup = args.warmup_steps if args.warmup_steps is not None else args.max_steps // 10
    return TrainConfig(
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        lr=args.lr,
        warmup_steps=warmup,
        weight_decay=args.weight_decay,
        max_grad_norm=args.max_grad_norm,
        eval_every=args.eval_every,
        seed=args.seed,
        time_budget_s=args.time_budget,
        output_dir=str(args.output_dir),
        save_every=args.save_every,
        keep_checkpoints=args.keep_checkpoints,
        precision=args.precision,
        batching=args.batching,
        progress=True,  # one line per evaluation, never a bar (spanbert_lab.training.progress)
    )


def main(argv: Sequence[str] | None = None, prog: str = "python -m spanbert_lab pretrain") -> int:
    """Run the command line; return the exit status (argparse exits with 2 on bad flags)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    recorded = _recorded_run(args)
    if recorded is not None:  # a resumed run keeps its recorded flags unless given again
        args = parser.parse_args(argv, namespace=parser.parse_args(recorded["argv"]))
    threads = args.threads if args.threads is not None else (1 if args.preset == "tiny" else None)
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        config = _train_config(args)
    except ValueError as err:
        parser.error(str(err))
    run = PretrainRun(
        objective=OBJECTIVES[args.objective],
        preset=args.preset,
        output_dir=args.output_dir,
        export_dir=args.export_dir,
        block_size=args.block_size,
        max_train_blocks=args.max_train_blocks,
        max_eval_blocks=args.max_eval_blocks,
        resume_from=_check_paths(args, parser),
        argv=tuple(recorded["argv"] if recorded is not None else argv),
    )
    try:
        device = get_device(args.device) if args.device is not None else None
    except (ValueError, RuntimeError) as err:
        parser.error(f"--device: {err}")
    info = D.init_from_env(device)
    try:
        outcome = run_pretraining(run, config, dist=info)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        D.cleanup()
    if outcome.export_dir is not None:
        last = outcome.history.train[-1]
        dev = outcome.history.eval[-1] if outcome.history.eval else {}
        print(
            f"step {last['step']}: train loss {last['loss']:.4f}, dev MLM accuracy "
            f"{dev.get('mlm_accuracy')}, {outcome.wall_time_s:.1f} s; model in {outcome.export_dir}"
        )
    return 0
