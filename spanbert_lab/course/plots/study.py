"""Figures for the pretraining study (notebooks 04 and 05): every number with its spread or CI.

:func:`plot_study_summary` reads ``data/results/study/summary.json``; :func:`plot_differences`
draws any ``{label: (value, low, high, n)}`` of differences with the number of examples behind
each. Y-axes fit the data (no axis forced to start at 0); none calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["ENCODER_COLOURS", "plot_differences", "plot_study_summary"]

ENCODER_COLOURS = {
    "random-tiny": "#9e9e9e",
    "bert-tiny": "#1f77b4",
    "span-tiny": "#ff7f0e",
    "spanbert-tiny": "#d62728",
}


def _fit(ax: Any, low: float, high: float) -> None:
    margin = 0.08 * max(high - low, 1.0)
    ax.set_ylim(low - margin, high + margin)


def plot_study_summary(summary: Mapping[str, Any], *, metrics: Mapping[str, str]) -> Figure:
    """Top row: each task's test metric per encoder (every seed a dot, mean ± sd a bar);
    bottom row: each encoder minus the baseline, with its paired-bootstrap 95% interval.

    Args:
        summary: the study's ``summary.json``.
        metrics: ``{task name: metric}`` to draw (e.g. ``{"qa-v1.1": "f1", "ner": "f1"}``).
    """
    tasks = {t["task"]: t for t in summary["tasks"] if t["task"] in metrics}
    if not tasks:
        raise ValueError(f"none of {list(metrics)} is in the summary")
    fig, axes = plt.subplots(2, len(tasks), figsize=(3.1 * len(tasks) + 0.6, 5.6), squeeze=False)
    for col, (name, task) in enumerate(tasks.items()):
        metric, top, bottom = metrics[name], axes[0][col], axes[1][col]
        encoders = list(task["test"])
        values = [task["test"][e][metric] for e in encoders]
        for i, (encoder, v) in enumerate(zip(encoders, values, strict=True)):
            colour = ENCODER_COLOURS.get(encoder, "#7f7f7f")
            top.errorbar(i, v["mean"], yerr=v["sd"], fmt="s", color=colour, capsize=5, ms=7)
            seeds = v["values"]
            xs = [i + 0.12 + 0.04 * k for k in range(len(seeds))]
            top.plot(xs, seeds, "o", color=colour, ms=3, alpha=0.7)
        _fit(top, min(min(v["values"]) for v in values), max(max(v["values"]) for v in values))
        top.set_xticks(range(len(encoders)), [e.removesuffix("-tiny") for e in encoders])
        top.set_title(f"{name}: test {metric}\n(mean ± sd, n={values[0]['n']} seeds)", fontsize=9)
        versus = task["versus_baseline"]
        others = [e for e in encoders if e in versus]
        for i, encoder in enumerate(others):
            d = versus[encoder]
            bottom.errorbar(
                i,
                d["value"],
                yerr=[[d["value"] - d["low"]], [d["high"] - d["value"]]],
                fmt="o",
                color=ENCODER_COLOURS.get(encoder, "#7f7f7f"),
                capsize=5,
            )
        bottom.axhline(0, color="black", linewidth=0.8)
        low = min([0.0, *(versus[e]["low"] for e in others)])
        high = max([0.0, *(versus[e]["high"] for e in others)])
        _fit(bottom, low, high)
        bottom.set_xticks(range(len(others)), [e.removesuffix("-tiny") for e in others])
        bottom.set_title(f"minus {summary['baseline']} (95% CI)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_differences(
    values: Mapping[str, Sequence[float]], *, title: str, ylabel: str, xlabel: str = ""
) -> Figure:
    """Differences with their 95% intervals: ``{label: (value, low, high, n)}``, one point per
    label with ``n`` (the examples behind it) printed under the axis."""
    if not values:
        raise ValueError("nothing to plot")
    labels = list(values)
    fig, ax = plt.subplots(figsize=(1.1 * len(labels) + 2.4, 3.4))
    for i, label in enumerate(labels):
        value, low, high = values[label][:3]
        ax.errorbar(
            i, value, yerr=[[value - low], [high - value]], fmt="o", color="#d62728", capsize=5
        )
    ax.axhline(0, color="black", linewidth=0.8)
    _fit(ax, min(0.0, *(v[1] for v in values.values())), max(0.0, *(v[2] for v in values.values())))
    ax.set_xticks(range(len(labels)), [f"{lab}\nn={int(values[lab][3])}" for lab in labels])
    ax.set(title=title, ylabel=ylabel, xlabel=xlabel)
    fig.tight_layout()
    return fig
