"""``python -m spanbert_lab pretrain`` (or ``python -m spanbert_lab.pretrain``): pretrain a (Span)BERT from the shell, on the course corpus or your own text, from scratch or from a BERT checkpoint.

Objectives (``--objective``): ``subword`` (BERT), ``whole_word``, ``span``, ``span_sbo``
(SpanBERT), ``entity``, ``noun_phrase``, and each with ``+nsp`` (two segments + next-sentence
prediction) — see :mod:`spanbert_lab.pretrain.recipes`. Presets (``--preset``): ``tiny`` (the course
default), ``mini``, ``small``, ``base`` (:data:`spanbert_lab.model.pretraining.PRESETS`).

Examples::

    python -m spanbert_lab.pretrain --objective span_sbo --preset tiny --max-steps 20 --output-dir runs/x
    python -m spanbert_lab.pretrain --output-dir runs/x --resume          # continue runs/x
    python -m spanbert_lab.pretrain --geometric-p 0.5 --max-span-words 5 --output-dir runs/short
    python -m spanbert_lab.pretrain --batch-size 256 --grad-accumulation 8 --output-dir runs/big
    torchrun --nproc-per-node 2 -m spanbert_lab.pretrain --objective subword --output-dir runs/y
    python -m spanbert_lab.pretrain --corpus my_text/ --tokenizer my_tok --output-dir runs/mine
    python -m spanbert_lab.pretrain --corpus my_text/ --init-from path/to/bert --output-dir runs/dapt

Your own text (``--corpus``): a ``.txt`` file or folder (one sentence per line with a blank line
between documents, as the official SpanBERT code reads it, or plain paragraphs, cut into sentences;
``--corpus-format``), JSONL (``--text-field``), or a folder in the course layout (``train.txt`` +
``train.annotations.jsonl`` [+ ``dev.txt``]). ``--eval-fraction`` of its documents is held out
for the dev evaluation. ``--init-from`` continues any BERT checkpoint (ours, or saved by
transformers; a hub id with ``--allow-download``) with span masking and SBO: its tokenizer is used
unless ``--tokenizer`` names one with the same vocabulary, and ``--preset`` does not apply. The
model card records the corpus (path, size, SHA-256), the tokenizer and the starting checkpoint.

A run writes ``<output-dir>/checkpoint-<step>/`` (model + optimiser/scheduler/RNG state, for
``--resume``) and, at the end, the final model with the tokenizer and a model card
(``README.md``, ``metrics.json``) to ``--export-dir`` (default ``<output-dir>/final``).

Every default is a config dataclass's field default (:class:`~spanbert_lab.pretrain.TrainConfig`,
:class:`~spanbert_lab.masking.MaskingConfig`, :class:`~spanbert_lab.pretrain.run.PretrainRun`);
the warm-up's is 10% of ``--max-steps``. The masking flags (``--geometric-p``,
``--max-span-words``, ``--mask-ratio``, ``--replacement`` …, one per
:data:`~spanbert_lab.pretrain.run.MASKING_FLAGS` field) make the run's one ``MaskingConfig``: both
collators (training and dev) use it, and ``run.json``, the header record of ``metrics.jsonl`` and
the model card record it. ``--grad-accumulation N`` splits each update's batch into N
micro-batches. A value a config refuses is a command-line error (exit status 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

import torch

from spanbert_lab.cli.defaults import default_of
from spanbert_lab.data.corpus import TEXT_FORMATS
from spanbert_lab.masking import MaskingConfig
from spanbert_lab.masking.config import CHOICES
from spanbert_lab.model.pretraining import PRESETS
from spanbert_lab.pretrain import TrainConfig
from spanbert_lab.pretrain import distributed as D
from spanbert_lab.pretrain.batches import BATCHINGS
from spanbert_lab.pretrain.config import Precision
from spanbert_lab.pretrain.recipes import OBJECTIVES
from spanbert_lab.pretrain.run import MASKING_FLAGS, PretrainRun, masking_flag, run_pretraining
from spanbert_lab.runtime import get_device
from spanbert_lab.training.checkpoint import list_checkpoints, resolve_checkpoint

__all__ = ["build_parser", "main"]


def build_parser(prog: str = "python -m spanbert_lab pretrain") -> argparse.ArgumentParser:
    """The ``pretrain`` command's argument parser; every default is the field's default in
    :class:`~spanbert_lab.pretrain.TrainConfig`, :class:`~spanbert_lab.pretrain.run.PretrainRun`
    or :class:`~spanbert_lab.masking.MaskingConfig` (the warm-up's: 10% of ``--max-steps``)."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Pretrain BERT / SpanBERT variants on the course corpus or your own text, "
        "from scratch or continuing a BERT checkpoint.",
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
    _add_training_flags(p)
    p.add_argument("--max-train-blocks", type=int, help="use only the first N training blocks")
    p.add_argument("--max-eval-blocks", type=int, help="use only the first N dev blocks")
    p.add_argument("--device", help="cpu, cuda, cuda:1 … (default: best available)")
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
    _add_own_text_flags(p)
    _add_masking_flags(p)
    return p


def _add_own_text_flags(p: argparse.ArgumentParser) -> None:
    """``--corpus``, ``--tokenizer``, ``--init-from`` and their companions (PretrainRun's fields)."""
    g = p.add_argument_group("your own text and checkpoint (default: the course corpus, fresh)")
    g.add_argument("--corpus", help="a .txt / .jsonl file or folder of your text")
    g.add_argument(
        "--corpus-format",
        choices=TEXT_FORMATS,
        default=default_of(PretrainRun, "corpus_format"),
        help="lines: one sentence per line, blank line between documents; paragraphs: prose, "
        "one document per paragraph; auto: lines when 80%% of lines are one sentence",
    )
    g.add_argument(
        "--text-field", default=default_of(PretrainRun, "text_field"), help="the JSONL text field"
    )
    fraction = default_of(PretrainRun, "eval_fraction")
    g.add_argument(
        "--eval-fraction",
        type=float,
        default=fraction,
        help=f"--corpus documents held out for dev (default: {fraction}; a dev.txt is used instead)",
    )
    g.add_argument(
        "--tokenizer",
        metavar="DIR_OR_ID",
        help="tokenizer folder (python -m spanbert_lab data tokenizer) or hub id (default: "
        "--init-from's own, else the course tokenizer)",
    )
    g.add_argument(
        "--init-from",
        metavar="PATH_OR_ID",
        help="continue a BERT checkpoint (folder, data/checkpoints/ name, or hub id); the SBO "
        "head starts fresh if it has none; --preset is ignored",
    )
    g.add_argument(
        "--allow-download", action="store_true", help="let --init-from / --tokenizer be hub ids"
    )


def _add_training_flags(p: argparse.ArgumentParser) -> None:
    """The flags of :class:`TrainConfig` (and the block size), defaults from its fields."""

    def flag(name: str, field: str, kind: type, what: str, **more: Any) -> None:
        default = default_of(TrainConfig, field)
        p.add_argument(
            name, type=kind, default=default, help=f"{what} (default: {default})", **more
        )

    flag("--max-steps", "max_steps", int, "optimiser updates")
    p.add_argument(
        "--time-budget",
        type=float,
        default=default_of(TrainConfig, "time_budget_s"),
        metavar="SECONDS",
        help="stop after this much training time (wall clock; default: no limit)",
    )
    flag("--batch-size", "batch_size", int, "global batch in blocks")
    flag(
        "--grad-accumulation",
        "grad_accumulation",
        int,
        "micro-batches per update (forward + backward each, one optimiser step; the loss is "
        "the whole batch's token mean); --batch-size must divide by N x processes",
        metavar="N",
    )
    block = default_of(PretrainRun, "block_size")
    p.add_argument(
        "--block-size",
        type=int,
        default=block,
        help=f"tokens per block incl. [CLS]/[SEP] (default: {block})",
    )
    flag("--lr", "lr", float, "peak learning rate")
    p.add_argument("--warmup-steps", type=int, help="default: 10%% of --max-steps")
    flag("--weight-decay", "weight_decay", float, "AdamW weight decay")
    flag("--max-grad-norm", "max_grad_norm", float, "clip the gradient norm to this")
    flag("--eval-every", "eval_every", int, "evaluate every N updates; 0 = at the end only")
    flag("--eval-batch-size", "eval_batch_size", int, "blocks per evaluation batch")
    flag("--save-every", "save_every", int, "checkpoint every N updates; 0 = at the end only")
    flag("--keep-checkpoints", "keep_checkpoints", int, "checkpoint folders kept")
    flag("--seed", "seed", int, "data order, masks, dropout and initial weights")
    flag(
        "--batching",
        "batching",
        str,
        "random: shuffled blocks; bucketed: blocks of similar length share a batch (less "
        "padding, same blocks and masks)",
        choices=list(BATCHINGS),
    )
    flag(
        "--precision", "precision", str, "bf16 autocast on CUDA", choices=list(get_args(Precision))
    )


# what each masking flag means (its default and choices come from MaskingConfig)
_MASKING_HELP = {
    "mask_ratio": "fraction of a block's tokens to mask",
    "geometric_p": "p of the span length Geo(p), in words (smaller p: longer spans)",
    "min_span_words": "shortest span, in words",
    "max_span_words": "span-length cap, in words",
    "length_mode": "truncate: renormalise Geo(p) on min..max (the paper); clip: min(L, max)",
    "anchor": "span start: uniform over sub-words (moved to a word start) or over words",
    "replacement": "the unit of the 80/10/10 draw: auto = the scheme's own (per token for "
    "subword, per span otherwise)",
    "mask_prob": "share of masked units replaced by [MASK]",
    "random_prob": "share replaced by a random token (the rest keeps the original)",
    "random_token_source": "where random tokens come from",
    "annotation_prob": "entity / noun_phrase: share of iterations that mask an annotation",
    "annotation_fallback": "entity / noun_phrase: what the other iterations mask",
}


def _add_masking_flags(p: argparse.ArgumentParser) -> None:
    """One flag per :data:`~spanbert_lab.pretrain.run.MASKING_FLAGS` field of MaskingConfig."""
    group = p.add_argument_group(
        "masking", "spanbert_lab.masking.MaskingConfig, used by the training and dev masks"
    )
    for name in MASKING_FLAGS:
        default = default_of(MaskingConfig, name)
        kind = {"choices": CHOICES[name]} if name in CHOICES else {"type": type(default)}
        group.add_argument(
            masking_flag(name),
            default=default,
            help=f"{_MASKING_HELP[name]} (default: {default})",
            **kind,
        )


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
        grad_accumulation=args.grad_accumulation,
        lr=args.lr,
        warmup_steps=warmup,
        weight_decay=args.weight_decay,
        max_grad_norm=args.max_grad_norm,
        eval_every=args.eval_every,
        eval_batch_size=args.eval_batch_size,
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
        masking = MaskingConfig(**{name: getattr(args, name) for name in MASKING_FLAGS})
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
        masking=masking,
        corpus=args.corpus,
        tokenizer=args.tokenizer,
        init_from=args.init_from,
        eval_fraction=args.eval_fraction,
        corpus_format=args.corpus_format,
        text_field=args.text_field,
        allow_download=args.allow_download,
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
