"""``python -m spanbert_lab.pretrain``: pretrain a (Span)BERT on the course corpus from the shell.

Objectives (``--objective``): ``subword`` (BERT), ``whole_word``, ``span``, ``span_sbo``
(SpanBERT), ``entity``, ``noun_phrase``, and each with ``+nsp`` (two segments + next-sentence
prediction) — see :mod:`spanbert_lab.pretrain_data`. Presets (``--preset``): ``tiny`` (the course
default), ``mini``, ``small``, ``base`` (:data:`spanbert_lab.modeling.PRESETS`).

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
import hashlib
import json
import os
import platform
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from spanbert_lab.pretrain_data import (
    EVAL_MASK_SEED,
    OBJECTIVES,
    Objective,
    build_model,
    prepare_data,
)

__all__ = ["command_line", "export_model", "machine_description", "main", "model_card"]


def _parser() -> argparse.ArgumentParser:
    from spanbert_lab.modeling import PRESETS

    p = argparse.ArgumentParser(
        prog="python -m spanbert_lab.pretrain",
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
    p.add_argument("--device", help="cpu, cuda, cuda:1 … (default: best available)")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto")
    p.add_argument(
        "--threads",
        type=int,
        help="torch threads per process (default: 1 for the tiny preset, whose small matrices "
        "gain little from more threads and lose a lot on a busy machine; else torch's default)",
    )
    p.add_argument("--no-progress", action="store_true",
                   help="accepted for old scripts; progress is one line per evaluation anyway")  # fmt: skip
    return p


def _check_paths(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str | None:
    """Validate the folders; return the checkpoint to resume from (or None)."""
    from spanbert_lab.checkpoint import list_checkpoints, resolve_checkpoint

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


def _train_config(args: argparse.Namespace) -> Any:
    from spanbert_lab.pretrain import TrainConfig

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
        progress=True,  # one line per evaluation, never a bar (spanbert_lab.progress)
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (argparse exits with 2 on bad flags)."""
    from spanbert_lab import distributed as D
    from spanbert_lab.data import load_tokenizer
    from spanbert_lab.pretrain import train
    from spanbert_lab.runtime import get_device

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
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
    resume_from = _check_paths(args, parser)
    objective = OBJECTIVES[args.objective]
    run_argv = recorded["argv"] if recorded is not None else argv
    try:
        device = get_device(args.device) if args.device is not None else None
    except (ValueError, RuntimeError) as err:
        parser.error(f"--device: {err}")
    info = D.init_from_env(device)
    try:
        fingerprint = data_fingerprint()  # of the files this run reads, before reading them
        tokenizer = load_tokenizer()
        train_ex, eval_ex, collator, eval_collator = prepare_data(
            objective,
            tokenizer,
            block_size=args.block_size,
            seed=args.seed,
            max_train_blocks=args.max_train_blocks,
            max_eval_blocks=args.max_eval_blocks,
        )
        model = build_model(
            objective, args.preset, tokenizer, seed=args.seed, block_size=args.block_size
        )
        if info.is_main:
            args.output_dir.mkdir(parents=True, exist_ok=True)
            run = {"objective": objective.name, "preset": args.preset, "argv": run_argv}
            (args.output_dir / "run.json").write_text(json.dumps(run, indent=2) + "\n")
        start = time.perf_counter()
        history = train(
            model,
            train_ex,
            eval_ex,
            config,
            collator=collator,
            eval_collator=eval_collator,
            resume_from=resume_from,
            dist=info,
            tokenizer=tokenizer,
        )
        wall = time.perf_counter() - start
        if info.is_main:
            export = args.export_dir or args.output_dir / "final"
            export_model(
                export,
                model=model,
                tokenizer=tokenizer,
                history=history,
                config=config,
                objective=objective,
                preset=args.preset,
                argv=run_argv,
                block_size=args.block_size,
                train_examples=train_ex,
                eval_examples=eval_ex,
                eval_collator=eval_collator,
                wall_time_s=wall,
                world_size=info.world_size,
                device=str(info.device),
                max_eval_blocks=args.max_eval_blocks,
                max_train_blocks=args.max_train_blocks,
                fingerprint=fingerprint,
            )
            last = history.train[-1]
            dev = history.eval[-1] if history.eval else {}
            print(
                f"step {last['step']}: train loss {last['loss']:.4f}, dev MLM accuracy "
                f"{dev.get('mlm_accuracy')}, {wall:.1f} s; model in {export}"
            )
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        D.cleanup()
    return 0


def machine_description(device: str) -> str:
    """One line naming the machine: CPU model and cores, torch threads, device, versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    if device.startswith("cuda") and torch.cuda.is_available():
        device = f"{device} ({torch.cuda.get_device_name()})"
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs, torch threads {torch.get_num_threads()}, "
        f"device {device}, Python {platform.python_version()}, torch {torch.__version__}"
    )


def command_line(argv: Sequence[str], world_size: int = 1) -> str:
    """The shell command that reproduces a run."""
    prefix = (
        "python -m spanbert_lab.pretrain"
        if world_size == 1
        else f"torchrun --nproc-per-node {world_size} -m spanbert_lab.pretrain"
    )
    return f"{prefix} {shlex.join(argv)}".strip()


def export_model(
    export_dir: str | os.PathLike,
    *,
    model: Any,
    tokenizer: Any,
    history: Any,
    config: Any,
    objective: Objective,
    preset: str,
    argv: Sequence[str],
    block_size: int,
    train_examples: Sequence[dict],
    eval_examples: Sequence[dict],
    eval_collator: Any,
    wall_time_s: float,
    world_size: int = 1,
    device: str = "cpu",
    max_eval_blocks: int | None = None,
    max_train_blocks: int | None = None,
    fingerprint: str | None = None,
) -> Path:
    """Write the final model, the tokenizer and its model card (``README.md`` + ``metrics.json``).

    The card's *dev* numbers are the run's last evaluation (dev blocks, masks seeded with
    :data:`EVAL_MASK_SEED`); its *train* numbers are the same evaluation on the first training
    blocks (as many as there are dev blocks), so both are measured the same way and re-measurable
    from the shipped weights alone.
    """
    from spanbert_lab.checkpoint import save_model_dir
    from spanbert_lab.evaluation import evaluate

    final_step = history.train[-1]["step"] if history.train else 0
    if history.eval and history.eval[-1]["step"] == final_step:
        dev = {k: v for k, v in history.eval[-1].items() if k not in ("kind", "step")}
    else:
        dev = evaluate(model, eval_examples, eval_collator, batch_size=config.eval_batch_size)
    train_subset = list(train_examples[: len(eval_examples)])
    train = evaluate(model, train_subset, eval_collator, batch_size=config.eval_batch_size)
    recent = [r["loss"] for r in history.train[-20:]]
    metrics = {
        "objective": objective.name,
        "scheme": objective.scheme,
        "sbo": objective.sbo,
        "nsp": objective.nsp,
        "preset": preset,
        "command": command_line(argv, world_size),
        "seed": config.seed,
        "steps": final_step,
        "stopped_by": history.stopped_by,
        "wall_time_s": round(wall_time_s, 1),
        "machine": machine_description(device),
        "world_size": world_size,
        "block_size": block_size,
        "max_train_blocks": max_train_blocks,
        "max_eval_blocks": max_eval_blocks,
        "train_blocks": len(train_examples),
        "eval_blocks": len(eval_examples),
        "eval_mask_seed": EVAL_MASK_SEED,
        "tokens_seen": sum(r["tokens"] for r in history.train),
        "data_fingerprint": fingerprint if fingerprint is not None else data_fingerprint(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_config": {
            k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()
        },
        "final_train_loss_last_20_steps": sum(recent) / len(recent) if recent else None,
        "train": train,
        "dev": dev,
    }
    card = model_card(metrics)
    files = {"README.md": card, "metrics.json": json.dumps(metrics, indent=2) + "\n"}
    return save_model_dir(export_dir, model, tokenizer=tokenizer, extra_files=files)


def data_fingerprint() -> str:
    """sha256 of the corpus and tokenizer files a run read (changes when ``make data`` does)."""
    from spanbert_lab.runtime import data_dir

    digest = hashlib.sha256()
    corpus = [data_dir() / "corpus" / f"{split}.{kind}.gz"
              for split in ("train", "dev") for kind in ("txt", "annotations.jsonl")]  # fmt: skip
    for path in [*corpus, data_dir() / "tokenizer" / "tokenizer.json"]:
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def model_card(m: dict[str, Any]) -> str:
    """The README.md of an exported model, from its ``metrics.json`` content."""

    def fmt(x: Any) -> str:
        return "–" if x is None else f"{x:.4f}" if isinstance(x, float) else str(x)

    rows = [
        f"| {split} | {fmt(m[split]['mlm_loss'])} | {fmt(m[split]['mlm_accuracy'])} | "
        f"{fmt(m[split]['sbo_loss'])} | {fmt(m[split]['sbo_accuracy'])} |"
        for split in ("train", "dev")
    ]
    names = {"span_sbo": "SpanBERT: span masking + span boundary objective",
             "subword": "BERT's masked LM: random sub-word tokens"}  # fmt: skip
    what = names.get(m["objective"], f"masking scheme `{m['scheme']}`")
    heads = f"SBO {'on' if m['sbo'] else 'off'}, NSP {'on' if m['nsp'] else 'off'}"
    return f"""# {m["preset"]} model, objective `{m["objective"]}` — spanbert-lab

A {m["preset"]}-size model pretrained on the course corpus (`data/corpus`) with the
`{m["objective"]}` objective ({what}; {heads}) by the course's own command line.
{m["parameters"]:,} parameters, float32. For teaching: it knows the course's fictional world and
nothing else.

## How it was made

```
{m["command"]}
```

| setting | value |
|---|---|
| seed | {m["seed"]} |
| steps | {m["steps"]} (stopped by {m["stopped_by"]}) |
| global batch × block | {m["train_config"]["batch_size"]} × {m["block_size"]} tokens |
| tokens seen | {m["tokens_seen"]:,} |
| peak lr / warm-up / decay | {m["train_config"]["lr"]} / {m["train_config"]["warmup_steps"]} steps / linear to 0 |
| weight decay / grad clip | {m["train_config"]["weight_decay"]} / {m["train_config"]["max_grad_norm"]} |
| processes | {m["world_size"]} |
| wall time | {m["wall_time_s"]} s |
| machine | {m["machine"]} |

## Results

Top-1 accuracy and mean cross-entropy over all targets, on fixed masks (scheme `{m["scheme"]}`,
mask seed {m["eval_mask_seed"]}): *dev* = all {m["eval_blocks"]} blocks of the dev split, *train* =
the first {m["eval_blocks"]} training blocks. SBO columns are empty for models without an SBO head.
Mean training loss of the last 20 updates: {fmt(m["final_train_loss_last_20_steps"])}.

| split | MLM loss | MLM accuracy | SBO loss | SBO accuracy |
|---|---|---|---|---|
{chr(10).join(rows)}

`tests/test_shipped_checkpoints.py` re-measures the dev numbers from these weights
(`metrics.json` holds them unrounded).

## Use

```python
from spanbert_lab.modeling import SpanBertForPreTraining
model = SpanBertForPreTraining.from_pretrained("<this folder>")   # encoder + MLM (+ SBO) heads
from transformers import BertForQuestionAnswering
qa = BertForQuestionAnswering.from_pretrained("<this folder>")    # encoder; new QA head
```
"""
