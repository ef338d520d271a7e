"""The pretraining loop: plain torch, step-bounded, resumable, data-parallel (paper §4.2).

One update (pytorch/examples, nanoGPT style)::

    batch  = collate(examples of this step's global batch)      # fresh masks every epoch
    loss   = model(**batch).loss                               # mean MLM CE + mean SBO CE
    loss.backward(); clip_grad_norm_(…, 1.0)
    optimizer.step(); scheduler.step(); optimizer.zero_grad()

around which :func:`train` adds: the data order (a permutation per epoch seeded by
``(seed, epoch)``), warm-up + linear decay (:mod:`spanbert_lab.schedule`), periodic evaluation on
held-out blocks (:func:`spanbert_lab.evaluation.evaluate`), a metrics callback, one
progress line per evaluation, a wall-clock budget, atomic checkpoints and exact resume
(:mod:`spanbert_lab.checkpoint`), ``torchrun`` data parallelism (:mod:`spanbert_lab.distributed`)
and bf16 autocast on CUDA. It never plots; it returns a :class:`History`.

Determinism: masks depend only on ``(seed, epoch, index)``, the data order on ``(seed, epoch)``,
and dropout draws from torch's global generator, which :func:`train` seeds inside
``torch.random.fork_rng`` (the caller's generator is left as it was). On CPU two runs with the same
seed give bit-for-bit the same losses, and a resumed run continues exactly where it stopped.

The command-line interface (``python -m spanbert_lab.pretrain``) lives in
:mod:`spanbert_lab.pretrain_cli`.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from spanbert_lab import distributed as D
from spanbert_lab.checkpoint import (
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
)
from spanbert_lab.evaluation import evaluate
from spanbert_lab.masking import example_seed
from spanbert_lab.progress import ProgressLog
from spanbert_lab.schedule import build_optimizer, build_scheduler

__all__ = ["History", "TrainConfig", "epoch_order", "global_batches", "train"]

Precision = Literal["auto", "fp32", "bf16"]


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a pretraining run (model and data are built elsewhere).

    Attributes:
        max_steps: optimiser updates of the whole run (also the schedule's length).
        batch_size: *global* batch, in blocks per update (split over processes).
        lr: peak learning rate.
        warmup_steps: linear warm-up updates (must be < ``max_steps``).
        weight_decay: AdamW decoupled decay on ≥ 2-D tensors.
        adam_betas, adam_eps: AdamW's β1, β2 and ε (paper: 0.9, 0.999, 1e-8).
        max_grad_norm: clip the global gradient norm to this; ``None`` = no clipping.
        eval_every: evaluate every this many updates (0 = only at the end).
        eval_batch_size: blocks per evaluation batch.
        seed: data order, masks (via the collator's seed) and dropout.
        time_budget_s: stop after this many seconds of training (``None`` = no limit); the run
            then ends early with the schedule unfinished, is evaluated and checkpointed.
        output_dir: where checkpoints go (``None`` = none are written).
        save_every: checkpoint every this many updates (0 = only at the end).
        keep_checkpoints: how many ``checkpoint-*`` folders to keep (``None`` = all).
        precision: ``"auto"`` (bf16 autocast on CUDA when supported, else fp32), ``"fp32"``,
            ``"bf16"`` (CUDA only).
        progress: write one line per evaluation (rank 0 only; :mod:`spanbert_lab.progress`).
    """

    max_steps: int = 200
    batch_size: int = 16
    lr: float = 1e-3
    warmup_steps: int = 20
    weight_decay: float = 0.01
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1e-8
    max_grad_norm: float | None = 1.0
    eval_every: int = 0
    eval_batch_size: int = 32
    seed: int = 0
    time_budget_s: float | None = None
    output_dir: str | None = None
    save_every: int = 0
    keep_checkpoints: int | None = 2
    precision: Precision = "auto"
    progress: bool = True

    def __post_init__(self) -> None:
        def bad(name: str, why: str) -> ValueError:
            return ValueError(f"TrainConfig.{name}={getattr(self, name)!r}: {why}")

        for name in ("max_steps", "batch_size", "eval_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise bad(name, "must be a positive int")
        for name in ("eval_every", "save_every", "warmup_steps"):
            if getattr(self, name) < 0:
                raise bad(name, "must be >= 0")
        if self.warmup_steps >= self.max_steps:
            raise bad("warmup_steps", f"must be < max_steps={self.max_steps}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise bad("lr", "must be a positive number")
        if self.weight_decay < 0:
            raise bad("weight_decay", "must be >= 0")
        if self.max_grad_norm is not None and not self.max_grad_norm > 0:
            raise bad("max_grad_norm", "must be > 0 or None")
        if self.time_budget_s is not None and not self.time_budget_s > 0:
            raise bad("time_budget_s", "must be > 0 or None")
        if self.keep_checkpoints is not None and self.keep_checkpoints < 1:
            raise bad("keep_checkpoints", "must be >= 1 or None")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise bad("precision", "choose 'auto', 'fp32' or 'bf16'")


@dataclass
class History:
    """What :func:`train` returns: one record per update and one per evaluation.

    Attributes:
        train: per update ``{"step", "epoch", "loss", "mlm_loss", "sbo_loss", "nsp_loss", "lr",
            "grad_norm", "tokens", "elapsed_s"}`` (``step`` counts updates done, from 1;
            missing terms are ``None``; ``elapsed_s`` is wall time and the only non-reproducible
            field).
        eval: per evaluation ``{"step", "mlm_loss", "mlm_accuracy", "sbo_loss", …}``.
        stopped_by: ``"max_steps"`` or ``"time_budget"``.
        wall_time_s: wall time of this call (a resumed run counts only its own part).
    """

    train: list[dict[str, Any]] = field(default_factory=list)
    eval: list[dict[str, Any]] = field(default_factory=list)
    stopped_by: str = "max_steps"
    wall_time_s: float = 0.0

    @property
    def steps(self) -> list[int]:
        return [r["step"] for r in self.train]

    @property
    def losses(self) -> list[float]:
        """The total training loss of every update."""
        return [r["loss"] for r in self.train]

    def series(self, key: str, kind: Literal["train", "eval"] = "train") -> list[Any]:
        """One field of every record, e.g. ``history.series("mlm_accuracy", "eval")``."""
        return [r.get(key) for r in getattr(self, kind)]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def epoch_order(n: int, *, seed: int, epoch: int) -> list[int]:
    """The order of the ``n`` training examples in ``epoch``: a permutation seeded by (seed, epoch)."""
    generator = torch.Generator().manual_seed(example_seed(seed, epoch, -1))
    return torch.randperm(n, generator=generator).tolist()


def global_batches(n: int, batch_size: int, *, seed: int, epoch: int) -> list[list[int]]:
    """The full global batches of ``epoch`` (an incomplete last batch is dropped)."""
    order = epoch_order(n, seed=seed, epoch=epoch)
    return [order[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


def train(
    model: nn.Module,
    train_data: Sequence[dict[str, Any]],
    eval_data: Sequence[dict[str, Any]] | None,
    config: TrainConfig,
    *,
    collator: Callable[[list[dict[str, Any]]], dict[str, torch.Tensor]],
    eval_collator: Callable[[list[dict[str, Any]]], dict[str, torch.Tensor]] | None = None,
    callback: Callable[[dict[str, Any]], None] | None = None,
    resume_from: str | None = None,
    dist: D.DistInfo | None = None,
    device: torch.device | str | None = None,
    tokenizer: Any | None = None,
) -> History:
    """Pretrain ``model`` for ``config.max_steps`` updates (or until the time budget runs out).

    Args:
        model: a model whose ``forward(**batch)`` returns ``loss``, ``mlm_loss``, ``sbo_loss``,
            ``nsp_loss`` (:class:`~spanbert_lab.modeling.SpanBertForPreTraining`). Trained in place.
        train_data: collator examples (dicts with ``input_ids`` and ``index``, e.g.
            ``BlockSet.examples()``).
        eval_data: held-out examples for periodic evaluation, or ``None``.
        config: the run's :class:`TrainConfig`.
        collator: a :class:`~spanbert_lab.collate.MaskingCollator` (``set_epoch`` is called at
            every epoch, so every epoch sees new masks).
        eval_collator: the collator for evaluation (default: ``collator``, used at epoch 0 so
            that every evaluation sees the same masks).
        callback: called with every train and eval record (``record["kind"]`` says which).
        resume_from: a checkpoint folder or an earlier run's ``output_dir`` to continue from.
        dist: process placement (default: from ``torchrun``'s environment, see
            :func:`spanbert_lab.distributed.init_from_env`).
        device: where to train when ``dist`` is not given (default: CUDA if available, else CPU).
        tokenizer: saved into every checkpoint when given.

    Returns:
        The :class:`History` (of the whole run, also when resumed).

    Raises:
        ValueError: fewer training examples than one global batch, or a batch that does not
            split over the processes.
    """
    info = dist if dist is not None else D.init_from_env(device)
    if len(train_data) < config.batch_size:
        raise ValueError(
            f"{len(train_data)} training examples cannot fill one batch of {config.batch_size}"
        )
    D.shard(range(config.batch_size), info.rank, info.world_size)  # validates the split
    eval_collator = eval_collator if eval_collator is not None else collator
    model.to(info.device)
    optimizer = build_optimizer(
        model,
        lr=config.lr,
        weight_decay=config.weight_decay,
        betas=config.adam_betas,
        eps=config.adam_eps,
    )
    scheduler = build_scheduler(
        optimizer, warmup_steps=config.warmup_steps, total_steps=config.max_steps
    )
    history, step, epoch, batch_in_epoch = History(), 0, 0, 0
    with torch.random.fork_rng(devices=[info.device] if info.device.type == "cuda" else []):
        torch.manual_seed(example_seed(config.seed, -1, info.rank))  # dropout, per process
        if resume_from is not None:
            state = load_checkpoint(
                resume_from,
                model=model,
                optimizer=optimizer,
                scheduler=scheduler,
                map_location=info.device,
            )
            step, epoch, batch_in_epoch = state["step"], state["epoch"], state["batch_in_epoch"]
            history = History(
                train=list(state["history"]["train"]), eval=list(state["history"]["eval"])
            )
            rngs = state["rng_states"]
            if len(rngs) == info.world_size:  # same layout: continue every stream exactly
                restore_rng_state(rngs[info.rank])
        unused = not D.all_heads_used(model, train_data[0], collator)
        ddp_model = D.wrap_model(model, info, find_unused_parameters=unused)
        loop = _Loop(model, ddp_model, optimizer, scheduler, config, info, collator, callback)
        history = loop.run(
            train_data, eval_data, eval_collator, history, step, epoch, batch_in_epoch, tokenizer
        )
    return history


class _Loop:
    """The state of one :func:`train` call (kept out of the public surface)."""

    def __init__(self, model, ddp_model, optimizer, scheduler, config, info, collator, callback):
        self.model, self.ddp_model = model, ddp_model
        self.optimizer, self.scheduler = optimizer, scheduler
        self.config, self.info, self.collator, self.callback = config, info, collator, callback
        self.sbo_weight = float(getattr(getattr(model, "config", None), "sbo_loss_weight", 1.0))
        use_bf16 = info.device.type == "cuda" and (
            config.precision == "bf16"
            or (config.precision == "auto" and torch.cuda.is_bf16_supported())
        )
        if config.precision == "bf16" and info.device.type != "cuda":
            raise ValueError("TrainConfig.precision='bf16' needs a CUDA device")
        self.autocast = (
            (lambda: torch.autocast("cuda", dtype=torch.bfloat16))
            if use_bf16
            else contextlib.nullcontext
        )

    def run(
        self, train_data, eval_data, eval_collator, history, step, epoch, batch_in_epoch, tokenizer
    ):
        cfg, info = self.config, self.info
        start = time.perf_counter()
        log = ProgressLog("pretraining", cfg.max_steps, enabled=cfg.progress and info.is_main)
        log.restart(step)
        every_line = cfg.eval_every if eval_data is not None else max(1, cfg.max_steps // 10)
        window: list[dict[str, Any]] = []  # train records since the last line
        batches = global_batches(len(train_data), cfg.batch_size, seed=cfg.seed, epoch=epoch)
        self.model.train()
        while step < cfg.max_steps:
            if batch_in_epoch >= len(batches):
                epoch, batch_in_epoch = epoch + 1, 0
                batches = global_batches(
                    len(train_data), cfg.batch_size, seed=cfg.seed, epoch=epoch
                )
            local = D.shard(batches[batch_in_epoch], info.rank, info.world_size)
            self.collator.set_epoch(epoch)
            batch = self.collator([train_data[i] for i in local])
            record = self._update(batch)
            step, batch_in_epoch = step + 1, batch_in_epoch + 1
            record.update(
                kind="train", step=step, epoch=epoch, elapsed_s=time.perf_counter() - start
            )
            history.train.append(record)
            self._emit(record)
            window.append(record)
            out_of_time = self._out_of_time(start)
            last = step == cfg.max_steps or out_of_time
            metrics = None
            if eval_data is not None and ((cfg.eval_every and step % cfg.eval_every == 0) or last):
                metrics = self._evaluate(eval_data, eval_collator)
                metrics.update(kind="eval", step=step)
                history.eval.append(metrics)
                self._emit(metrics)
            if last or metrics is not None or (every_line and step % every_line == 0):
                values = _line_values(window, metrics)
                log.line(step, **values)
                self._append_metrics(step, values, time.perf_counter() - start)
                window = []
            if cfg.output_dir is not None and (
                last or (cfg.save_every and step % cfg.save_every == 0)
            ):
                self._save(step, epoch, batch_in_epoch, history, tokenizer)
            if out_of_time:
                history.stopped_by = "time_budget"
                break
        history.wall_time_s = time.perf_counter() - start
        return history

    def _update(self, batch: dict[str, torch.Tensor]) -> dict[str, Any]:
        info, cfg = self.info, self.config
        batch = {k: v.to(info.device) for k, v in batch.items()}
        local = D.target_counts(batch)  # (4,) float64: MLM targets, SBO targets, examples, tokens
        counts = D.all_reduce_sum(local, info.device)
        with self.autocast():
            out = self.ddp_model(**batch)
        means = [
            out.mlm_loss,
            None if out.sbo_loss is None else self.sbo_weight * out.sbo_loss,
            out.nsp_loss,
        ]
        if info.distributed:  # each shard's share of the global token means (see distributed.py)
            loss = D.shard_loss(means, local[:3], counts[:3], info.world_size)
        else:  # one process: the model's own loss
            loss = out.loss
        loss.backward()
        params = self.model.parameters()
        if cfg.max_grad_norm is not None:
            grad_norm = float(nn.utils.clip_grad_norm_(params, cfg.max_grad_norm))
        else:
            grad_norm = float(
                nn.utils.get_total_norm([p.grad for p in params if p.grad is not None])
            )
        lr = self.scheduler.get_last_lr()[0]
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        # What one process would report for the global batch: Σ_r mean_r · n_r / N per term.
        if info.distributed:
            shares = torch.tensor(
                [
                    0.0 if m is None else float(m.detach()) * float(local[k])
                    for k, m in enumerate(means)
                ],
                dtype=torch.float64,
            )
            shares = D.all_reduce_sum(shares, info.device)
            values = [
                None if m is None else float(shares[k] / max(float(counts[k]), 1.0))
                for k, m in enumerate(means)
            ]
            total = sum(v for v in values if v is not None)
        else:
            values = [None if m is None else float(m.detach()) for m in means]
            total = float(out.loss.detach())
        return {
            "loss": total,
            "mlm_loss": values[0],
            "sbo_loss": None if values[1] is None else values[1] / self.sbo_weight,
            "nsp_loss": values[2],
            "lr": lr,
            "grad_norm": grad_norm,
            "tokens": int(counts[3]),
        }

    def _evaluate(self, eval_data, eval_collator) -> dict[str, Any]:
        # Rank 0 evaluates the unwrapped model; the others receive its numbers.
        metrics = None
        if self.info.is_main:
            with self.autocast():
                metrics = evaluate(
                    self.model,
                    eval_data,
                    eval_collator,
                    batch_size=self.config.eval_batch_size,
                    device=self.info.device,
                )
        self.model.train()
        return D.broadcast_object(metrics)

    def _save(self, step, epoch, batch_in_epoch, history, tokenizer) -> None:
        rng_states = D.all_gather_objects(capture_rng_state())
        if self.info.is_main:
            save_checkpoint(
                self.config.output_dir,
                step=step,
                model=self.model,
                optimizer=self.optimizer,
                scheduler=self.scheduler,
                rng_states=rng_states,
                tokenizer=tokenizer,
                keep_last=self.config.keep_checkpoints,
                state={
                    "epoch": epoch,
                    "batch_in_epoch": batch_in_epoch,
                    "world_size": self.info.world_size,
                    "config": _plain(asdict(self.config)),
                    "history": {"train": history.train, "eval": history.eval},
                },
            )
        D.barrier()

    def _out_of_time(self, start: float) -> bool:
        budget = self.config.time_budget_s
        if budget is None:
            return False
        flag = torch.tensor([float(time.perf_counter() - start >= budget)])
        if self.info.distributed:  # every process must stop at the same step
            flag = D.all_reduce_sum(flag.to(self.info.device)).cpu()
        return bool(flag.item() > 0)

    def _append_metrics(self, step: int, values: dict[str, Any], elapsed: float) -> None:
        # The progress line, as one JSON record, in <output_dir>/metrics.jsonl (rank 0 only).
        if self.config.output_dir is None or not self.info.is_main:
            return
        path = Path(self.config.output_dir) / "metrics.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"step": step, **values, "elapsed_s": round(elapsed, 2)}
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")

    def _emit(self, record: dict[str, Any]) -> None:
        if self.callback is not None and self.info.is_main:
            self.callback(record)


def _line_values(window: list[dict[str, Any]], metrics: dict[str, Any] | None) -> dict[str, Any]:
    """What one progress line shows: mean training losses since the last line, tokens per
    second over that window, and the evaluation's losses and accuracies."""
    values: dict[str, Any] = {}
    if window:
        for key in ("loss", "mlm_loss", "sbo_loss", "nsp_loss"):
            seen = [r[key] for r in window if r.get(key) is not None]
            if seen:
                values[key] = sum(seen) / len(seen)
        seconds = window[-1]["elapsed_s"] - (window[0]["elapsed_s"] if len(window) > 1 else 0.0)
        tokens = sum(r["tokens"] for r in (window[1:] if len(window) > 1 else window))
        if seconds > 0:
            values["tokens/s"] = round(tokens / seconds)
    for key, value in (metrics or {}).items():
        if isinstance(value, float) and key.endswith(("_loss", "_accuracy")):
            values[f"dev_{key}"] = value
    return values


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


if __name__ == "__main__":  # python -m spanbert_lab.pretrain ...
    import sys

    from spanbert_lab.pretrain_cli import main

    sys.exit(main())
