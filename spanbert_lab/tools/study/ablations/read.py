"""Reading the ablation study's results for the notebooks: the comparisons of a table beside the
paper's, and each fine-tuning run's curves.

:func:`table_differences` turns ``summary.json``'s comparisons into the ``{task: {label:
(diff, low, high)}}`` that :func:`spanbert_lab.course.plots.ablations.plot_ablation_differences`
draws, and :func:`paper_differences` the paper's dev-set differences beside them (SQuAD 2.0 under
the QA v2.0 task, coreference under the coreference task; the paper has no SQuAD 1.1 ablation).
:func:`run_curves` reads a task's runs (``history.json`` and the dev curve of ``result.json``),
and :func:`bridge_points` pairs each encoder's span-filling accuracy (notebook 04) with its test
score on a task (notebook 05).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spanbert_lab.tools.study.ablations.report import PAPER, TABLES

__all__ = ["PAPER", "TABLES", "bridge_points", "comparison_label", "paper_differences", "run_curves", "seed_means", "table_differences"]  # fmt: skip


def comparison_label(a: str, b: str) -> str:
    return f"{a} − {b}"


def table_differences(
    summary: Mapping[str, Any],
    pairs: Sequence[tuple[str, str]],
    columns: Mapping[str, tuple[str, str]],
) -> dict[str, dict[str, tuple[float, float, float] | None]]:
    """``{column: {"a − b": (diff, low, high) or None}}`` for each comparison of ``pairs``.

    Args:
        summary: the study's ``summary.json``.
        pairs: the comparisons, e.g. ``TABLES["Table 7 …"]``.
        columns: ``{column label: (task name, block)}``, ``block`` being ``"comparisons"``, or
            ``"threshold_0"`` for QA v2.0 at the fixed threshold, or ``"leaked"`` / ``"clean"``
            for a QA task's leakage split. A task the summary does not hold yet gives ``None``s.
    """
    out: dict[str, dict[str, tuple[float, float, float] | None]] = {}
    for column, (task, block) in columns.items():
        data = summary.get("tasks", {}).get(task)
        found: list[dict[str, Any]] = []
        if data is not None:
            if block == "comparisons":
                found = data["comparisons"]
            elif block == "threshold_0":
                found = data["threshold_0"]["comparisons"]
            elif block in ("leaked", "clean"):
                found = data["leakage"][block]["comparisons"]
            else:
                raise ValueError(
                    f"block {block!r}: choose comparisons, threshold_0, leaked or clean"
                )
        by_pair = {(c["a"], c["b"]): (c["diff"], c["low"], c["high"]) for c in found}
        out[column] = {comparison_label(a, b): by_pair.get((a, b)) for a, b in pairs}
    return out


def paper_differences(
    pairs: Sequence[tuple[str, str]], *, squad_column: str, coref_column: str
) -> dict[str, dict[str, float | None]]:
    """The paper's dev-set differences (Tables 6 and 7) of ``pairs``, under the columns where
    they belong: SQuAD 2.0 under ``squad_column``, coreference under ``coref_column``."""
    squad = {
        comparison_label(a, b): PAPER[(a, b)][0] if (a, b) in PAPER else None for a, b in pairs
    }
    coref = {
        comparison_label(a, b): PAPER[(a, b)][1] if (a, b) in PAPER else None for a, b in pairs
    }
    return {squad_column: squad, coref_column: coref}


def run_curves(folder: Path, finetune_seed: int) -> dict[str, Any]:
    """One finished run's ``{"losses", "dev_curve", "best_epoch", "stopped_early"}``.

    Raises:
        FileNotFoundError: the run is not finished (no ``done.json``) or has no history.
    """
    folder = Path(folder)
    if not (folder / "done.json").is_file():
        raise FileNotFoundError(f"{folder}: not a finished run (no done.json)")
    record = json.loads((folder / "result.json").read_text(encoding="utf-8"))["runs"][0]
    history = json.loads((folder / f"seed{finetune_seed}" / "history.json").read_text(encoding="utf-8"))  # fmt: skip
    losses = [float(r["loss"]) for r in history if r.get("kind", "train") == "train"]
    return {
        "losses": losses,
        "dev_curve": record.get("dev_curve", []),
        "best_epoch": record.get("best_epoch"),
        "stopped_early": record.get("stopped_early"),
    }


def seed_means(summary: Mapping[str, Any], task: str, arm: str) -> dict[int, float]:
    """``{pretraining seed: mean test score over its fine-tuning seeds}`` of one task and arm
    (``summary.json``'s ``test.values`` are in the order of its ``epochs`` records).

    Raises:
        KeyError: the summary holds no such task or arm.
    """
    block = summary["tasks"][task]["arms"][arm]
    runs: dict[int, list[float]] = {}
    for record, value in zip(block["epochs"], block["test"]["values"], strict=True):
        runs.setdefault(int(record["pretrain_seed"]), []).append(float(value))
    return {seed: sum(v) / len(v) for seed, v in sorted(runs.items())}


def bridge_points(
    summary: Mapping[str, Any], task: str, *, masks: str = "spans"
) -> list[dict[str, Any]]:
    """One point per encoder (arm and pretraining seed) that has both a span-filling score
    (``summary["span_filling"]``) and results on ``task``: ``{"arm", "seed", "filling", "test"}``,
    ``filling`` being its MLM accuracy on notebook 04's fixed ``masks`` and ``test`` its mean
    test score over fine-tuning seeds.

    Raises:
        KeyError: the summary holds no such task.
    """
    points = []
    for arm in summary["tasks"][task]["arms"]:
        scored = summary.get("span_filling", {}).get(arm, {})
        for seed, test in seed_means(summary, task, arm).items():
            if f"seed{seed}" in scored:
                filling = float(scored[f"seed{seed}"][masks])
                points.append({"arm": arm, "seed": seed, "filling": filling, "test": test})
    return points
