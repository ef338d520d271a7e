"""The pretraining loop: plain torch, step-bounded, resumable, data-parallel (paper §4.2).

One update (pytorch/examples, nanoGPT style)::

    batch  = collate(examples of this step's global batch)      # fresh masks every epoch
    loss   = model(**batch).loss                               # mean MLM CE + mean SBO CE
    loss.backward(); clip_grad_norm_(…, 1.0)
    optimizer.step(); scheduler.step(); optimizer.zero_grad()

With ``grad_accumulation = N`` each process cuts its share of the global batch into N
micro-batches and back-propagates each before the one optimiser step; every micro-batch's loss is
weighted by its share of the global batch's targets (:func:`spanbert_lab.pretrain.distributed.shard_loss`,
the same weighting as across processes), so the update is the one of the whole batch and the
records report the whole batch's token means.

around which :func:`train` adds: the data order (a permutation per epoch seeded by
``(seed, epoch)``), warm-up + linear decay (:mod:`spanbert_lab.training.schedule`), periodic evaluation on
held-out blocks (:func:`spanbert_lab.pretrain.evaluation.evaluate_pretraining`), a metrics callback, one
progress line per evaluation, a wall-clock budget, atomic checkpoints and exact resume
(:mod:`spanbert_lab.training.checkpoint`), ``torchrun`` data parallelism (:mod:`spanbert_lab.pretrain.distributed`)
and bf16 autocast on CUDA. It never plots; it returns a :class:`History`.

Determinism: masks depend only on ``(seed, epoch, index)``, the data order on ``(seed, epoch)``,
and dropout draws from torch's global generator, which :func:`train` seeds inside
``torch.random.fork_rng`` (the caller's generator is left as it was). On CPU two runs with the same
seed give bit-for-bit the same losses, and a resumed run continues exactly where it stopped.

The update itself is :func:`spanbert_lab.training.train_step` (shared with fine-tuning); the loop's
position is a :class:`~spanbert_lab.training.LoopState`, exactly what a checkpoint holds. The
command line (``python -m spanbert_lab pretrain``, or ``python -m spanbert_lab.pretrain``) lives in
:mod:`spanbert_lab.cli.pretrain`.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from spanbert_lab.contracts import PretrainExample, SpanBatch, TokenizerLike
from spanbert_lab.masking import example_seed
from spanbert_lab.pretrain import distributed as D
from spanbert_lab.pretrain.batches import epoch_batches, epoch_order, global_batches
from spanbert_lab.pretrain.config import Precision, TrainConfig
from spanbert_lab.pretrain.evaluation import evaluate_pretraining
from spanbert_lab.training import History, LoopState, TrainRecord, autocast_for, train_step
from spanbert_lab.training.checkpoint import (
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
)
from spanbert_lab.training.progress import ProgressLog
from spanbert_lab.training.schedule import build_optimizer, build_scheduler

__all__ = [
    "Collator",
    "History",
    "Precision",
    "TrainConfig",
    "epoch_order",
    "global_batches",
    "train",
]


class Collator(Protocol):
    """What the loop needs from a collator (:class:`~spanbert_lab.masking.collate.MaskingCollator`)."""

    def __call__(self, examples: Sequence[PretrainExample]) -> SpanBatch: ...

    def set_epoch(self, epoch: int) -> None: ...


def train(
    model: nn.Module,
    train_data: Sequence[PretrainExample],
    eval_data: Sequence[PretrainExample] | None,
    config: TrainConfig,
    *,
    collator: Collator,
    eval_collator: Collator | None = None,
    callback: Callable[[dict[str, Any]], None] | None = None,
    resume_from: str | None = None,
    dist: D.DistInfo | None = None,
    device: torch.device | str | None = None,
    tokenizer: TokenizerLike | None = None,
) -> History:
    """Pretrain ``model`` for ``config.max_steps`` updates (or until the time budget runs out).

    Args:
        model: a model whose ``forward(**batch)`` returns ``loss``, ``mlm_loss``, ``sbo_loss``,
            ``nsp_loss`` (:class:`~spanbert_lab.model.pretraining.SpanBertForPreTraining`). Trained in place.
        train_data: collator examples (dicts with ``input_ids`` and ``index``, e.g.
            ``BlockSet.examples()``).
        eval_data: held-out examples for periodic evaluation, or ``None``.
        config: the run's :class:`TrainConfig`.
        collator: a :class:`~spanbert_lab.masking.collate.MaskingCollator` (``set_epoch`` is called at
            every epoch, so every epoch sees new masks).
        eval_collator: the collator for evaluation (default: ``collator``, used at epoch 0 so
            that every evaluation sees the same masks).
        callback: called with every train and eval record (``record["kind"]`` says which).
        resume_from: a checkpoint folder or an earlier run's ``output_dir`` to continue from.
        dist: process placement (default: from ``torchrun``'s environment, see
            :func:`spanbert_lab.pretrain.distributed.init_from_env`).
        device: where to train when ``dist`` is not given (default: CUDA if available, else CPU).
        tokenizer: saved into every checkpoint when given.

    Returns:
        The :class:`~spanbert_lab.training.History` (of the whole run, also when resumed).

    Raises:
        ValueError: fewer training examples than one global batch, or a batch that does not
            split over the processes and their ``grad_accumulation`` micro-batches.
    """
    info = dist if dist is not None else D.init_from_env(device)
    if len(train_data) < config.batch_size:
        raise ValueError(
            f"{len(train_data)} training examples cannot fill one batch of {config.batch_size}"
        )
    parts = config.grad_accumulation * info.world_size
    if config.batch_size % parts:
        raise ValueError(
            f"TrainConfig.batch_size={config.batch_size} does not split into "
            f"{config.grad_accumulation} micro-batches (grad_accumulation) x {info.world_size} "
            f"processes: choose a batch size divisible by {parts}"
        )
    autocast = autocast_for(info.device, config.precision)
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
    state = LoopState()
    with torch.random.fork_rng(devices=[info.device] if info.device.type == "cuda" else []):
        torch.manual_seed(example_seed(config.seed, -1, info.rank))  # dropout, per process
        if resume_from is not None:
            stored = load_checkpoint(
                resume_from,
                model=model,
                optimizer=optimizer,
                scheduler=scheduler,
                map_location=info.device,
            )
            state = LoopState.from_checkpoint(stored)
            if len(state.rng_states) == info.world_size:  # same layout: continue every stream
                restore_rng_state(state.rng_states[info.rank])
        unused = not D.all_heads_used(model, train_data[0], collator)
        run = _Run(
            model=model,
            ddp_model=D.wrap_model(model, info, find_unused_parameters=unused),
            optimizer=optimizer,
            scheduler=scheduler,
            config=config,
            info=info,
            collator=collator,
            eval_collator=eval_collator if eval_collator is not None else collator,
            autocast=autocast,
            callback=callback,
            tokenizer=tokenizer,
        )
        run.loop(state, train_data, eval_data)
    return state.history


@dataclass(frozen=True)
class _Run:
    """Everything of one :func:`train` call that does not change while it runs."""

    model: nn.Module
    ddp_model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    config: TrainConfig
    info: D.DistInfo
    collator: Collator
    eval_collator: Collator
    autocast: Callable[[], contextlib.AbstractContextManager[Any]]
    callback: Callable[[dict[str, Any]], None] | None
    tokenizer: TokenizerLike | None

    def loop(
        self,
        state: LoopState,
        train_data: Sequence[PretrainExample],
        eval_data: Sequence[PretrainExample] | None,
    ) -> None:
        """Train from ``state`` until ``max_steps`` (or the time budget); ``state`` moves along."""
        cfg, history = self.config, state.history
        start = time.perf_counter()
        log = ProgressLog("pretraining", cfg.max_steps, enabled=cfg.progress and self.info.is_main)
        log.restart(state.step)
        every_line = cfg.eval_every if eval_data is not None else max(1, cfg.max_steps // 10)
        window: list[TrainRecord] = []  # train records since the last line
        lengths = [len(ex["input_ids"]) for ex in train_data]

        def batches_of(epoch: int) -> list[list[int]]:
            return epoch_batches(cfg.batching, lengths, cfg.batch_size, seed=cfg.seed, epoch=epoch)

        batches = batches_of(state.epoch)
        self.model.train()
        while state.step < cfg.max_steps:
            if state.batch_in_epoch >= len(batches):
                state.epoch, state.batch_in_epoch = state.epoch + 1, 0
                batches = batches_of(state.epoch)
            local = D.shard(batches[state.batch_in_epoch], self.info.rank, self.info.world_size)
            self.collator.set_epoch(state.epoch)
            size = len(local) // cfg.grad_accumulation
            micro = [local[j : j + size] for j in range(0, len(local), size)]
            record = self._update([self.collator([train_data[i] for i in m]) for m in micro])
            state.step, state.batch_in_epoch = state.step + 1, state.batch_in_epoch + 1
            record.update(
                kind="train",
                step=state.step,
                epoch=state.epoch,
                elapsed_s=time.perf_counter() - start,
            )
            history.train.append(record)
            self._emit(record)  # type: ignore[arg-type]
            window.append(record)
            out_of_time = self._out_of_time(start)
            last = state.step == cfg.max_steps or out_of_time
            metrics = None
            if eval_data is not None and (last or _every(cfg.eval_every, state.step)):
                metrics = self._evaluate(eval_data)
                metrics.update(kind="eval", step=state.step)
                history.eval.append(metrics)
                self._emit(metrics)
            if last or metrics is not None or _every(every_line, state.step):
                values = _line_values(window, metrics)
                log.line(state.step, **values)
                self._append_metrics(state.step, values, time.perf_counter() - start)
                window = []
            if cfg.output_dir is not None and (last or _every(cfg.save_every, state.step)):
                self._save(state)
            if out_of_time:
                history.stopped_by = "time_budget"
                break
        history.wall_time_s = time.perf_counter() - start

    def _update(self, micro: Sequence[Mapping[str, torch.Tensor]]) -> TrainRecord:
        """One update on this process's micro-batches (one unless accumulating)."""
        info = self.info
        micro = [{k: v.to(info.device) for k, v in batch.items()} for batch in micro]
        # (4,) float64 per micro-batch: MLM targets, SBO targets, examples, tokens
        local = [D.target_counts(batch) for batch in micro]
        counts = D.all_reduce_sum(sum(local[1:], local[0]), info.device)
        sbo_weight = float(getattr(getattr(self.model, "config", None), "sbo_loss_weight", 1.0))

        def means_of(out: Any) -> list[torch.Tensor | None]:
            sbo = None if out.sbo_loss is None else sbo_weight * out.sbo_loss
            return [out.mlm_loss, sbo, out.nsp_loss]

        seen: list[list[torch.Tensor | None]] = []  # each micro-batch's per-term means

        def weighted(j: int) -> Callable[[Any], torch.Tensor]:
            def loss_of(out: Any) -> torch.Tensor:
                # micro-batch j's share of the global token means (distributed.shard_loss)
                means = means_of(out)
                seen.append(means)
                return D.shard_loss(means, local[j][:3], counts[:3], info.world_size)

            return loss_of

        exact = info.distributed or len(micro) > 1  # else the model's own loss is the batch's
        step = train_step(
            self.model,
            micro if len(micro) > 1 else micro[0],
            self.optimizer,
            self.scheduler,
            max_grad_norm=self.config.max_grad_norm,
            forward=self.ddp_model,
            loss_of=[weighted(j) for j in range(len(micro))] if exact else None,
            autocast=self.autocast,
        )
        if exact:  # what one process with one batch would report: Σ mean · n / N per term
            values = _global_means(seen, local, counts, info.device)
            total = sum(v for v in values if v is not None)
        else:
            values = [None if m is None else float(m.detach()) for m in means_of(step.output)]
            total = float(step.output.loss.detach())
        return {
            "loss": total,
            "mlm_loss": values[0],
            "sbo_loss": None if values[1] is None else values[1] / sbo_weight,
            "nsp_loss": values[2],
            "lr": step.lr,
            "grad_norm": step.grad_norm,
            "tokens": int(counts[3]),
        }

    def _evaluate(self, eval_data: Sequence[PretrainExample]) -> dict[str, Any]:
        # Rank 0 evaluates the unwrapped model; the others receive its numbers.
        metrics = None
        if self.info.is_main:
            with self.autocast():
                metrics = evaluate_pretraining(
                    self.model,
                    eval_data,
                    self.eval_collator,
                    batch_size=self.config.eval_batch_size,
                    device=self.info.device,
                )
        self.model.train()
        return D.broadcast_object(metrics)

    def _save(self, state: LoopState) -> None:
        state.rng_states = D.all_gather_objects(capture_rng_state())
        if self.info.is_main:
            save_checkpoint(
                self.config.output_dir,
                step=state.step,
                model=self.model,
                optimizer=self.optimizer,
                scheduler=self.scheduler,
                rng_states=state.rng_states,
                tokenizer=self.tokenizer,
                keep_last=self.config.keep_checkpoints,
                state={
                    **state.checkpoint_fields(),
                    "world_size": self.info.world_size,
                    "config": _plain(asdict(self.config)),
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


def _every(period: int, step: int) -> bool:
    """Whether ``step`` is a multiple of ``period`` (never when ``period`` is 0)."""
    return bool(period) and step % period == 0


def _global_means(
    means: Sequence[Sequence[torch.Tensor | None]],
    local: Sequence[torch.Tensor],
    counts: torch.Tensor,
    device: torch.device,
) -> list[float | None]:
    """Per loss term, the global-batch mean: Σ mean · n / N over the micro-batches (``means[j]``
    with target counts ``local[j]``) of every process; ``counts`` holds the global N."""
    terms = range(len(means[0]))
    shares = torch.tensor(
        [
            sum(
                0.0 if m[k] is None else float(m[k].detach()) * float(n[k])
                for m, n in zip(means, local, strict=True)
            )
            for k in terms
        ],
        dtype=torch.float64,
    )
    shares = D.all_reduce_sum(shares, device)
    return [
        None if means[0][k] is None else float(shares[k] / max(float(counts[k]), 1.0))
        for k in terms
    ]


def _line_values(window: Sequence[TrainRecord], metrics: dict[str, Any] | None) -> dict[str, Any]:
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
