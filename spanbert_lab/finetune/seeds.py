"""The same fine-tuning run once per seed, and the spread of its metrics over the seeds."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from spanbert_lab.finetune.loop import FinetuneResult, finetune
from spanbert_lab.runtime import quiet_transformers
from spanbert_lab.tasks import FinetuneConfig

__all__ = ["SeedStudy", "aggregate", "run_seeds"]


@dataclass(frozen=True)
class SeedStudy:
    """One model fine-tuned on one task with several seeds.

    Attributes:
        task, model: what to fine-tune (:func:`spanbert_lab.finetune.finetune`).
        seeds: one run per seed (the seed replaces ``config.seed``).
        config: every other setting.
        output: per-seed folders ``seed<N>/`` with predictions and eval results (``None``: none).
        save_model: also write each fine-tuned model (and its label maps) to
            ``<output>/seed<N>/model``.
        device, allow_download, progress: as in :func:`~spanbert_lab.finetune.finetune`.
    """

    task: str
    model: str
    seeds: tuple[int, ...]
    config: FinetuneConfig
    output: Path | None = None
    save_model: bool = False
    device: str | None = None
    allow_download: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ValueError("SeedStudy.seeds: give at least one seed")
        if self.save_model and self.output is None:
            raise ValueError("--save-model needs --output")


def run_seeds(
    study: SeedStudy,
    train: Any,
    dev: Any,
    labels: Sequence[str] | None,
    *,
    test: Any = None,
    on_result: Callable[[FinetuneResult], None] | None = None,
) -> list[dict[str, Any]]:
    """Fine-tune once per seed; write what ``study`` asks for; return one
    ``{"seed", "metrics", "seconds"}`` per run, plus ``"test_metrics"`` when ``test`` is given
    and, with early stopping, ``"dev_curve"``, ``"best_epoch"``, ``"stopped_early"`` and
    ``"monitor"`` (``on_result`` sees every full result)."""
    runs = []
    for seed in study.seeds:
        result = finetune(
            study.task,
            study.model,
            config=replace(study.config, seed=seed),
            train=train,
            dev=dev,
            test=test,
            labels=labels,
            device=study.device,
            allow_download=study.allow_download,
            progress=study.progress,
        )
        if on_result is not None:
            on_result(result)
        if study.output is not None:
            result.save(study.output / f"seed{seed}")
        if study.save_model and result.trained_model is not None:
            folder = study.output / f"seed{seed}" / "model"
            with quiet_transformers():  # config.json carries the label maps (id2label / label2id)
                result.trained_model.save_pretrained(folder)
                result.tokenizer.save_pretrained(folder)
        run = {"seed": seed, "metrics": result.metrics, "seconds": round(result.seconds, 1)}
        if result.test is not None:
            run["test_metrics"] = result.test["metrics"]
        if result.early_stopping is not None:  # dev_curve, best_epoch, stopped_early, monitor
            run |= result.early_stopping
        runs.append(run)
    return runs


def aggregate(runs: Sequence[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean, sample standard deviation, min and max of every metric over seeds."""
    out: dict[str, dict[str, float]] = {}
    for key in runs[0]:
        values = [float(r[key]) for r in runs]
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        out[key] = {
            "mean": statistics.fmean(values),
            "std": std,
            "min": min(values),
            "max": max(values),
        }
    return out


def results_record(
    study: SeedStudy, labels: Sequence[str] | None, runs: list[dict[str, Any]], command: str
) -> dict[str, Any]:
    """The multi-seed summary file's content (``--results``)."""
    return {
        "command": command,
        "task": study.task,
        "model": study.model,
        "seeds": list(study.seeds),
        "labels": labels,
        "summary": aggregate([r["metrics"] for r in runs]),
        "runs": runs,
        "torch": torch.__version__,
    }
