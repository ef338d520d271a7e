"""The study's numbers: the selection rule, means and spreads over seeds, paired-bootstrap CIs.

For each (task, encoder) the learning rate with the best mean *dev* metric over the seeds is
selected (ties: the smaller learning rate); its seeds' *test* metrics are reported as mean and
sample standard deviation. Each encoder is compared with the baseline on the same test examples:
per example, the score averaged over the selected seeds, resampled together (paired bootstrap,
percentile interval). Per-example scores come from each run's ``example_scores.json``:
``{"ids": [...], "columns": [...], "scores": [[...], ...]}`` with columns ``f1, exact`` (QA),
``tp, predicted, gold`` (NER: the statistic is the corpus F1 of the resample) or ``correct``
(classification).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from spanbert_lab.tools.study.protocol import FinetuneTask, Protocol

__all__ = [
    "ExampleScores",
    "TaskReport",
    "corpus_f1",
    "paired_bootstrap",
    "pooled_test_scores",
    "report_task",
    "seed_folders",
]


@dataclass(frozen=True)
class ExampleScores:
    """Per-example scores of one run on one split, in a fixed example order."""

    ids: list[str]
    columns: list[str]
    scores: torch.Tensor  # (N, len(columns)) float64

    @classmethod
    def read(cls, path: Path) -> ExampleScores:
        raw = json.loads(path.read_text(encoding="utf-8"))
        scores = torch.tensor(raw["scores"], dtype=torch.float64)
        if scores.dim() != 2 or scores.shape != (len(raw["ids"]), len(raw["columns"])):
            raise ValueError(f"{path}: scores must be one row of {raw['columns']} per id")
        return cls([str(i) for i in raw["ids"]], list(raw["columns"]), scores)


def corpus_f1(rows: torch.Tensor) -> torch.Tensor:
    """Entity F1 (0–100) of summed ``(tp, predicted, gold)`` rows (``[..., N, 3]``)."""
    tp, pred, gold = rows[..., 0].sum(-1), rows[..., 1].sum(-1), rows[..., 2].sum(-1)
    return torch.where(pred + gold > 0, 200.0 * tp / (pred + gold).clamp(min=1e-12), 0.0)


def statistic_for(columns: Sequence[str]) -> Callable[[torch.Tensor], torch.Tensor]:
    """The task metric of a (…, N, K) block of example rows (0–100)."""
    if list(columns[:3]) == ["tp", "predicted", "gold"]:
        return corpus_f1
    return lambda rows: 100.0 * rows[..., 0].mean(-1)


def paired_bootstrap(
    a: torch.Tensor,
    b: torch.Tensor,
    statistic: Callable[[torch.Tensor], torch.Tensor],
    *,
    resamples: int,
    seed: int,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """``statistic(a) - statistic(b)`` and its percentile interval, resampling the examples
    (rows) of ``a`` and ``b`` together."""
    if a.shape != b.shape:
        raise ValueError(f"paired scores differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    generator = torch.Generator().manual_seed(seed)
    diffs = []
    for start in range(0, resamples, 500):  # chunks keep the index tensor small
        idx = torch.randint(
            0, a.shape[0], (min(500, resamples - start), a.shape[0]), generator=generator
        )
        diffs.append(statistic(a[idx]) - statistic(b[idx]))
    values = torch.cat(diffs)
    tail = (1 - confidence) / 2
    q = torch.tensor([tail, 1 - tail], dtype=torch.float64)
    low, high = torch.quantile(values, q).tolist()
    return float(statistic(a) - statistic(b)), low, high


def _mean_sd(values: Sequence[float]) -> dict[str, float]:
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else float("nan")
    return {
        "mean": mean,
        "sd": sd,
        "n": n,
        "min": min(values),
        "max": max(values),
        "values": list(values),
    }


@dataclass(frozen=True)
class TaskReport:
    """One task: the selected learning rate and test summary per encoder, and the comparisons."""

    task: str
    selected_lr: dict[str, float]
    dev: dict[str, dict[str, dict[str, float]]]  # encoder -> lr -> mean dev metric
    test: dict[str, dict[str, dict[str, float]]]  # encoder -> metric -> mean/sd/n/min/max
    versus_baseline: dict[str, dict[str, float]]  # encoder -> value/low/high
    versus_control: dict[str, dict[str, float]] = field(default_factory=dict)  # the same vs control

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "selected_lr": self.selected_lr,
            "dev": self.dev,
            "test": self.test,
            "versus_baseline": self.versus_baseline,
            "versus_control": self.versus_control,
        }


def _seed_folders(run_root: Path, task: FinetuneTask, encoder: str, lr: float) -> list[Path]:
    return [run_root / task.name / encoder / f"lr{lr:g}" / f"seed{s}" for s in task.seeds]


def seed_folders(protocol: Protocol, task: FinetuneTask, encoder: str, lr: float) -> list[Path]:
    """The run folders of ``(task, encoder, lr)``, one per seed of the protocol, in seed order.
    Each holds ``result.json`` and ``seed<N>/`` (dev outputs) with ``seed<N>/test/`` (test)."""
    return _seed_folders(protocol.results_dir / "runs", task, encoder, lr)


def pooled_test_scores(
    protocol: Protocol, task: FinetuneTask, encoder: str, lr: float
) -> tuple[ExampleScores, torch.Tensor]:
    """Every seed's per-example test scores and their mean over seeds, ``(N, columns)``.

    Raises:
        ValueError: the seeds scored different test examples.
    """
    folders = seed_folders(protocol, task, encoder, lr)
    seeds = [
        ExampleScores.read(f / f"seed{s}" / "test" / "example_scores.json")
        for f, s in zip(folders, task.seeds, strict=True)
    ]
    if any(s.ids != seeds[0].ids for s in seeds):
        raise ValueError(f"{task.name}/{encoder}: seeds scored different test examples")
    return seeds[0], torch.stack([s.scores for s in seeds]).mean(0)


def _result(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "result.json").read_text(encoding="utf-8"))["runs"][0]


def report_task(protocol: Protocol, task: FinetuneTask, encoders: Sequence[str]) -> TaskReport:
    """Apply the selection rule and compute the summaries and CIs of ``task``.

    Raises:
        FileNotFoundError: a run of the grid is not done yet (its folder is named).
    """
    root = protocol.results_dir / "runs"
    dev: dict[str, dict[str, dict[str, float]]] = {}
    selected, test, pooled = {}, {}, {}
    for encoder in encoders:
        dev[encoder] = {}
        for lr in task.lrs:
            folders = _seed_folders(root, task, encoder, lr)
            for folder in folders:
                if not (folder / "done.json").is_file():
                    raise FileNotFoundError(f"{folder}: run not done; `make study` first")
            values = [_result(f)["metrics"][task.select] for f in folders]
            dev[encoder][f"{lr:g}"] = _mean_sd(values)
        best = max(task.lrs, key=lambda lr: (dev[encoder][f"{lr:g}"]["mean"], -lr))
        selected[encoder] = best
        folders = _seed_folders(root, task, encoder, best)
        metrics = [_result(f)["test_metrics"] for f in folders]
        test[encoder] = {k: _mean_sd([m[k] for m in metrics]) for k in sorted(metrics[0])}
        pooled[encoder] = pooled_test_scores(protocol, task, encoder, best)
    versus = _compare(protocol, task, pooled, protocol.baseline)
    control = (
        _compare(protocol, task, pooled, protocol.control) if protocol.control in pooled else {}
    )
    return TaskReport(task.name, selected, dev, test, versus, control)


def _compare(
    protocol: Protocol,
    task: FinetuneTask,
    pooled: dict[str, tuple[ExampleScores, torch.Tensor]],
    reference: str,
) -> dict[str, dict[str, float]]:
    """Every other encoder minus ``reference``: the task metric on test and its paired-bootstrap
    interval over the test examples (per-example scores averaged over the seeds)."""
    ref_ids, ref = pooled[reference]
    statistic = statistic_for(ref_ids.columns)
    out = {}
    for encoder, (ids, scores) in pooled.items():
        if encoder == reference:
            continue
        if ids.ids != ref_ids.ids:
            raise ValueError(f"{task.name}: {encoder} and {reference} scored different examples")
        value, low, high = paired_bootstrap(
            scores,
            ref,
            statistic,
            resamples=protocol.bootstrap_resamples,
            seed=protocol.bootstrap_seed,
            confidence=protocol.confidence,
        )
        out[encoder] = {"value": value, "low": low, "high": high}
    return out
