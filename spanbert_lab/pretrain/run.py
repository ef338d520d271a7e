"""One pretraining run from start to finish: data, a fresh model, the loop, the exported model.

This is what ``python -m spanbert_lab pretrain`` calls once it has parsed its arguments into a
:class:`PretrainRun` and a :class:`~spanbert_lab.pretrain.TrainConfig`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from spanbert_lab.contracts import TokenizerLike
from spanbert_lab.data import load_tokenizer
from spanbert_lab.masking import MaskingConfig
from spanbert_lab.masking.schemes import REGISTRY
from spanbert_lab.model.pretraining import SpanBertForPreTraining
from spanbert_lab.pretrain import distributed as D
from spanbert_lab.pretrain.config import TrainConfig
from spanbert_lab.pretrain.export import ModelExport, data_fingerprint, export_model
from spanbert_lab.pretrain.init_from import load_init_checkpoint
from spanbert_lab.pretrain.loop import train
from spanbert_lab.pretrain.metrics_log import append_header
from spanbert_lab.pretrain.own_corpus import CorpusBlocks, corpus_blocks
from spanbert_lab.pretrain.recipes import Objective, build_model, prepare_data
from spanbert_lab.training import History

__all__ = [
    "MASKING_FLAGS",
    "PretrainOutcome",
    "PretrainRun",
    "masking_argv",
    "masking_flag",
    "run_pretraining",
]

#: The :class:`~spanbert_lab.masking.MaskingConfig` fields a run's command line sets, each as
#: :func:`masking_flag` spells it (``geometric_p`` → ``--geometric-p``). Every field but
#: ``max_sbo_targets_per_span``, which the model's SBO position table is sized for.
MASKING_FLAGS: tuple[str, ...] = tuple(
    f.name for f in fields(MaskingConfig) if f.name != "max_sbo_targets_per_span"
)


def masking_flag(name: str) -> str:
    """The command-line flag of a :class:`MaskingConfig` field: ``"--" + name`` with dashes."""
    return "--" + name.replace("_", "-")


def masking_argv(masking: Mapping[str, Any]) -> list[str]:
    """``{"geometric_p": 0.5}`` → ``["--geometric-p", "0.5"]`` (the pretraining command's flags).

    Raises:
        ValueError: a field that is not in :data:`MASKING_FLAGS`, or a value that
            :class:`MaskingConfig` refuses.
    """
    unknown = sorted(set(masking) - set(MASKING_FLAGS))
    if unknown:
        raise ValueError(f"unknown masking setting(s) {unknown}; choose from {MASKING_FLAGS}")
    MaskingConfig(**masking)  # its ValueError names the field
    return [part for name, value in masking.items() for part in (masking_flag(name), str(value))]


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
        masking: the masking of both collators (training and dev), recorded in ``run.json``,
            the first record of ``metrics.jsonl`` and the model card.
        corpus: your own corpus, a file or folder (``None`` = the course corpus); read by
            :func:`~spanbert_lab.pretrain.own_corpus.corpus_blocks` with ``corpus_format`` and
            ``text_field``, a dev split of ``eval_fraction`` of its documents held out.
        tokenizer: a tokenizer folder or hub id (``None`` = the checkpoint's with ``init_from``,
            else the course tokenizer).
        init_from: a BERT checkpoint to continue (:mod:`spanbert_lab.pretrain.init_from`);
            ``preset`` is then ignored.
        allow_download: let ``init_from`` / ``tokenizer`` be hub ids.
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
    masking: MaskingConfig = field(default_factory=MaskingConfig)
    corpus: str | None = None
    tokenizer: str | None = None
    init_from: str | None = None
    eval_fraction: float = 0.1
    corpus_format: str = "auto"
    text_field: str = "text"
    allow_download: bool = False


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
    # Everything that can fail on bad input (corpus, tokenizer, checkpoint) runs before anything
    # is written, so a refused run leaves no half-made output folder.
    fingerprint = data_fingerprint() if run.corpus is None else None  # before reading the data
    tokenizer, model, sources = _start(run, config.seed)
    own = _own_blocks(run, tokenizer, config.seed) if run.corpus is not None else None
    if own is not None:
        sources["corpus"] = own.describe()
        fingerprint = own.fingerprint.sha256
    data = prepare_data(
        run.objective,
        tokenizer,
        block_size=run.block_size,
        seed=config.seed,
        max_train_blocks=run.max_train_blocks,
        max_eval_blocks=run.max_eval_blocks,
        masking=run.masking,
        examples=None if own is None else (own.train_examples, own.eval_examples),
    )
    if dist.is_main:
        run.output_dir.mkdir(parents=True, exist_ok=True)
        record = {
            "objective": run.objective.name,
            "preset": run.preset,
            "argv": list(run.argv),
            "masking": asdict(run.masking),
        }
        (run.output_dir / "run.json").write_text(json.dumps(record, indent=2) + "\n")
        if config.output_dir is not None:  # where the loop appends its records
            append_header(Path(config.output_dir) / "metrics.jsonl", record)
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
        masking=run.masking,
        sources=sources or None,
    )
    folder = export_model(run.export_dir or run.output_dir / "final", export)
    return PretrainOutcome(history, folder, wall)


def _start(run: PretrainRun, seed: int) -> tuple[TokenizerLike, SpanBertForPreTraining, dict]:
    """The run's tokenizer and model (fresh, or ``init_from``) and what the card says of them."""
    if run.init_from is not None:
        init = load_init_checkpoint(
            run.init_from,
            sbo=run.objective.sbo,
            nsp=run.objective.nsp,
            block_size=run.block_size,
            tokenizer=run.tokenizer,
            allow_download=run.allow_download,
            seed=seed,
        )
        tokenizer, model = init.tokenizer, init.model
        sources: dict[str, Any] = {"tokenizer": init.tokenizer_source, "init_from": init.describe()}
    else:
        if (
            run.tokenizer is not None
            and not run.allow_download
            and not Path(run.tokenizer).exists()
        ):
            raise FileNotFoundError(
                f"--tokenizer {run.tokenizer!r}: no such folder; to fetch a hub id, pass "
                "--allow-download"
            )
        tokenizer = load_tokenizer(run.tokenizer)
        model = build_model(run.objective, run.preset, tokenizer, seed=seed, block_size=run.block_size)  # fmt: skip
        sources = {} if run.tokenizer is None else {"tokenizer": run.tokenizer}
    missing = [
        t for t in ("cls", "sep", "pad", "mask") if getattr(tokenizer, f"{t}_token_id") is None
    ]
    if missing:
        raise ValueError(
            f"the tokenizer has no {', '.join(missing)} token: span masking needs BERT's special "
            "tokens ([CLS] [SEP] [PAD] [MASK]); train one with `python -m spanbert_lab data tokenizer`"
        )
    return tokenizer, model, sources


def _own_blocks(run: PretrainRun, tokenizer: TokenizerLike, seed: int) -> CorpusBlocks:
    """Blocks of ``run.corpus``; an objective that masks annotations needs them in it."""
    kind = REGISTRY[run.objective.scheme].annotation_kind
    assert run.corpus is not None
    return corpus_blocks(
        run.corpus,
        tokenizer,
        block_size=run.block_size,
        nsp=run.objective.nsp,
        seed=seed,
        eval_fraction=run.eval_fraction,
        needs=None if kind is None else (run.objective.name, kind),
        text_format=run.corpus_format,
        text_field=run.text_field,
        max_train_blocks=run.max_train_blocks,
        max_eval_blocks=run.max_eval_blocks,
    )
