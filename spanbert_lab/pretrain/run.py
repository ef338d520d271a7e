"""One pretraining run from start to finish: data, a fresh model, the loop, the exported model.

This is what ``python -m spanbert_lab pretrain`` calls once it has parsed its arguments into a
:class:`PretrainRun` and a :class:`~spanbert_lab.pretrain.TrainConfig`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from spanbert_lab.data import load_tokenizer
from spanbert_lab.pretrain import distributed as D
from spanbert_lab.pretrain.config import TrainConfig
from spanbert_lab.pretrain.export import ModelExport, data_fingerprint, export_model
from spanbert_lab.pretrain.loop import train
from spanbert_lab.pretrain.recipes import Objective, build_model, prepare_data
from spanbert_lab.training import History

__all__ = ["PretrainOutcome", "PretrainRun", "run_pretraining"]


@dataclass(frozen=True)
class PretrainRun:
    """What to pretrain and where (the training settings are a :class:`TrainConfig`).

    Attributes:
        objective: an entry of :data:`spanbert_lab.pretrain.recipes.OBJECTIVES`.
        preset: model size (:data:`spanbert_lab.model.pretraining.PRESETS`).
        output_dir: checkpoints and ``run.json`` go here.
        export_dir: the final model and its card (``None`` = ``output_dir / "final"``).
        block_size: tokens per block including ``[CLS]``/``[SEP]``.
        max_train_blocks, max_eval_blocks: use only the first N blocks (``None`` = all).
        resume_from: a checkpoint folder to continue from.
        argv: the command-line arguments recorded in ``run.json`` and the model card.
    """

    objective: Objective
    preset: str
    output_dir: Path
    export_dir: Path | None = None
    block_size: int = 128
    max_train_blocks: int | None = None
    max_eval_blocks: int | None = None
    resume_from: str | None = None
    argv: tuple[str, ...] = ()


@dataclass(frozen=True)
class PretrainOutcome:
    """What a run returns: its history, where the model went (``None`` on ranks other than 0)
    and the training wall time."""

    history: History
    export_dir: Path | None
    wall_time_s: float


def run_pretraining(run: PretrainRun, config: TrainConfig, *, dist: D.DistInfo) -> PretrainOutcome:
    """Prepare the data, build the model, train it, and (rank 0) export it with its card.

    Raises:
        FileNotFoundError, ValueError: missing data files, or settings that do not fit the data.
    """
    fingerprint = data_fingerprint()  # of the files this run reads, before reading them
    tokenizer = load_tokenizer()
    data = prepare_data(
        run.objective,
        tokenizer,
        block_size=run.block_size,
        seed=config.seed,
        max_train_blocks=run.max_train_blocks,
        max_eval_blocks=run.max_eval_blocks,
    )
    model = build_model(
        run.objective, run.preset, tokenizer, seed=config.seed, block_size=run.block_size
    )
    if dist.is_main:
        run.output_dir.mkdir(parents=True, exist_ok=True)
        record = {"objective": run.objective.name, "preset": run.preset, "argv": list(run.argv)}
        (run.output_dir / "run.json").write_text(json.dumps(record, indent=2) + "\n")
    start = time.perf_counter()
    history = train(
        model,
        data.train_examples,
        data.eval_examples,
        config,
        collator=data.collator,
        eval_collator=data.eval_collator,
        resume_from=run.resume_from,
        dist=dist,
        tokenizer=tokenizer,
    )
    wall = time.perf_counter() - start
    if not dist.is_main:
        return PretrainOutcome(history, None, wall)
    export = ModelExport(
        model=model,
        tokenizer=tokenizer,
        history=history,
        config=config,
        objective=run.objective,
        preset=run.preset,
        argv=run.argv,
        block_size=run.block_size,
        train_examples=data.train_examples,
        eval_examples=data.eval_examples,
        eval_collator=data.eval_collator,
        wall_time_s=wall,
        world_size=dist.world_size,
        device=str(dist.device),
        max_train_blocks=run.max_train_blocks,
        max_eval_blocks=run.max_eval_blocks,
        fingerprint=fingerprint,
    )
    folder = export_model(run.export_dir or run.output_dir / "final", export)
    return PretrainOutcome(history, folder, wall)
