"""Figures for the ablation study (notebooks 04 and 05; ``data/results/ablations/summary.json``).

:func:`plot_ablation_differences` draws the paper's Tables 6 and 7 in miniature: every comparison
with its seed-aware 95% interval, one panel per task, the paper's own difference beside it.
:func:`plot_budget_gaps` draws the gaps as a function of the fine-tuning budget,
:func:`plot_finetune_curves` the training loss and the dev score by update, per arm, and
:func:`plot_leakage` the share of test questions whose answer sentence the pretraining corpus
holds, :func:`plot_span_filling` every encoder's MLM accuracy on notebook 04's fixed masks, and
:func:`plot_bridge` that accuracy against the encoder's score on a task, and
:func:`plot_rate_selection` each arm's dev score over its learning-rate grid.
Axes fit the data; none calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = [
    "ARM_COLOURS",
    "plot_ablation_differences",
    "plot_bridge",
    "plot_budget_gaps",
    "plot_finetune_curves",
    "plot_leakage",
    "plot_rate_selection",
    "plot_span_filling",
]

ARM_COLOURS = {
    "random": "#9e9e9e",
    "subword": "#1f77b4",
    "subword+nsp": "#17becf",
    "whole_word": "#9467bd",
    "entity": "#8c564b",
    "noun_phrase": "#e377c2",
    "span": "#ff7f0e",
    "span+nsp": "#bcbd22",
    "span_sbo": "#d62728",
}
Interval = Sequence[float]  # (difference, low, high)
GAP_STYLES = ("-o", "--s", ":^", "-.D")  # gaps sharing their first arm's colour stay apart


def _colour(arm: str) -> str:
    return ARM_COLOURS.get(arm, "#7f7f7f")


def plot_ablation_differences(
    ours: Mapping[str, Mapping[str, Interval | None]],
    paper: Mapping[str, Mapping[str, float | None]],
    *,
    title: str,
) -> Figure:
    """One panel per task: each comparison's difference with its 95% interval (a dot and a bar)
    and the paper's difference (a hollow diamond; none where the paper has no number).

    Args:
        ours: ``{task: {comparison label: (diff, low, high) or None}}`` (None: not measured).
        paper: ``{task: {comparison label: paper's difference or None}}``.
        title: the figure's title.

    Raises:
        ValueError: nothing to draw.
    """
    tasks = [t for t, rows in ours.items() if any(v is not None for v in rows.values())]
    if not tasks:
        raise ValueError("nothing to plot: no task has a measured comparison")
    labels = list(dict.fromkeys(label for t in tasks for label in ours[t]))
    fig, axes = plt.subplots(
        1, len(tasks), figsize=(2.9 * len(tasks) + 1.6, 0.45 * len(labels) + 1.6),
        sharey=True, squeeze=False,
    )  # fmt: skip
    for ax, task in zip(axes[0], tasks, strict=True):
        for y, label in enumerate(labels):
            value = ours[task].get(label)
            if value is not None:
                diff, low, high = value[:3]
                ax.errorbar(diff, y, xerr=[[diff - low], [high - diff]], fmt="o",
                            color="#d62728" if low > 0 or high < 0 else "#555555", capsize=4)  # fmt: skip
            mark = paper.get(task, {}).get(label)
            if mark is not None:
                ax.plot(mark, y, "D", mfc="none", mec="black", ms=7)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(task, fontsize=10)
        ax.set_xlabel("difference (points)")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(range(len(labels)), labels)
    axes[0][0].invert_yaxis()
    handles = [
        plt.Line2D([], [], marker="o", color="#d62728", ls="", label="ours: interval excludes 0"),
        plt.Line2D([], [], marker="o", color="#555555", ls="", label="ours: interval includes 0"),
        plt.Line2D([], [], marker="D", mfc="none", mec="black", ls="", label="paper"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def plot_budget_gaps(
    budget_curve: Mapping[str, Any], *, budgets: Sequence[str] | None = None
) -> Figure:
    """Left: each arm's mean test score per fine-tuning budget (every run a dot); right: each gap
    with its 95% interval per budget. ``budget_curve`` is ``summary.json``'s ``budget_curve``
    (``{"metric", "budgets": {budget: {"arms": {arm: {"mean", "values"}}, "gaps": [...]}}}``);
    ``budgets`` picks and orders them (default: as stored, e.g. ``2, 4, 8, converged``).

    Raises:
        ValueError: no budgets.
    """
    order = list(budgets or budget_curve["budgets"])
    if not order:
        raise ValueError("nothing to plot: no budgets")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    xs = range(len(order))
    arms = list(budget_curve["budgets"][order[0]]["arms"])
    for arm in arms:
        means = [budget_curve["budgets"][b]["arms"][arm]["mean"] for b in order]
        left.plot(xs, means, "-s", color=_colour(arm), label=arm)
        for x, b in zip(xs, order, strict=True):
            values = budget_curve["budgets"][b]["arms"][arm]["values"]
            left.plot([x + 0.06] * len(values), values, "o", color=_colour(arm), ms=3, alpha=0.6)
    pairs = [(g["a"], g["b"]) for g in budget_curve["budgets"][order[0]]["gaps"]]
    for k, (a, b) in enumerate(pairs):
        shift = 0.08 * (k - (len(pairs) - 1) / 2)
        gaps = [next(g for g in budget_curve["budgets"][bud]["gaps"] if (g["a"], g["b"]) == (a, b))
                for bud in order]  # fmt: skip
        right.errorbar([x + shift for x in xs], [g["diff"] for g in gaps],
                       yerr=[[g["diff"] - g["low"] for g in gaps], [g["high"] - g["diff"] for g in gaps]],
                       fmt=GAP_STYLES[k % len(GAP_STYLES)], capsize=4, color=_colour(a),
                       label=f"{a} − {b}")  # fmt: skip
    right.axhline(0, color="black", linewidth=0.8)
    labels = [f"{b} epochs" if str(b).isdigit() else str(b) for b in order]
    for ax in (left, right):
        ax.set_xticks(list(xs), labels)
        ax.set_xlabel("fine-tuning budget")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    metric = budget_curve.get("metric", "score")
    left.set(ylabel=f"test {metric}", title="mean per arm (dots: runs)")
    right.set(ylabel="difference (points)", title="gaps, seed-aware 95% intervals")
    fig.tight_layout()
    return fig


def _smooth(values: Sequence[float], window: int) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def plot_finetune_curves(
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    metric: str,
    smooth: int = 25,
    marks: Mapping[str, float] | None = None,
) -> Figure:
    """Left: training loss by update (each run a line, ``smooth``-update moving average); right:
    the dev ``metric`` after each epoch, by update, with each run's best epoch marked.

    Args:
        runs: ``{arm: [{"losses": [per update], "dev_curve": [{"update", "dev": {metric: …}}],
            "best_epoch": int}, …]}``.
        metric: the dev metric to draw (e.g. ``"f1"``).
        smooth: the moving-average window of the loss (1: raw).
        marks: ``{label: update}``: a dashed vertical line on both panels at each (e.g. where a
            2-epoch budget ends).

    Raises:
        ValueError: no runs, or ``smooth`` < 1.
    """
    if not runs or not any(runs.values()):
        raise ValueError("nothing to plot: no runs")
    if smooth < 1:
        raise ValueError(f"smooth must be at least 1, got {smooth}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for arm, arm_runs in runs.items():
        for k, run in enumerate(arm_runs):
            label = arm if k == 0 else None
            losses = _smooth(list(run["losses"]), smooth)
            left.plot(
                range(1, len(losses) + 1), losses, color=_colour(arm), lw=1, alpha=0.7, label=label
            )
            curve = run["dev_curve"]
            ups = [p["update"] for p in curve]
            right.plot(ups, [p["dev"][metric] for p in curve], "-o", ms=3, color=_colour(arm),
                       lw=1, alpha=0.7, label=label)  # fmt: skip
            best = run.get("best_epoch")
            if best is not None:
                point = next(p for p in curve if p.get("epoch") == best)
                right.plot(point["update"], point["dev"][metric], "*", ms=10, color=_colour(arm))
    left.set(xlabel="update", ylabel=f"training loss ({smooth}-update mean)", title="training loss")
    right.set(
        xlabel="update", ylabel=f"dev {metric}", title=f"dev {metric} after each epoch (★ best)"
    )
    for ax in (left, right):
        for k, (label, update) in enumerate((marks or {}).items()):
            ax.axvline(update, color="0.3", ls=(0, (4, 2 + 2 * k)), lw=1, label=label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_leakage(groups: Mapping[str, Mapping[str, float]], *, title: str) -> Figure:
    """One bar per split or set, stacked to 100%: the share of its items that are leaked and the
    share that are clean (``{name: {"leaked": n, "clean": m}}``), so that splits of different
    sizes read alike; each bar is labelled with its leaked share and its counts ("62 of 532").

    Raises:
        ValueError: nothing to draw, or a group without ``leaked`` and ``clean``, or an empty one.
    """
    if not groups:
        raise ValueError("nothing to plot")
    names = list(groups)
    for name in names:
        if not {"leaked", "clean"} <= set(groups[name]):
            raise ValueError(
                f"{name!r}: needs 'leaked' and 'clean' counts, got {sorted(groups[name])}"
            )
        if groups[name]["leaked"] + groups[name]["clean"] <= 0:
            raise ValueError(f"{name!r}: has no items")
    totals = [groups[n]["leaked"] + groups[n]["clean"] for n in names]
    leaked = [100 * groups[n]["leaked"] / t for n, t in zip(names, totals, strict=True)]
    clean = [100 - lk for lk in leaked]
    fig, ax = plt.subplots(figsize=(1.4 * len(names) + 2.6, 3.6))
    ax.bar(names, clean, color="#1f77b4", label="clean")
    ax.bar(names, leaked, bottom=clean, color="#d62728", label="leaked (seen in pretraining)")
    for i, name in enumerate(names):
        n, total = groups[name]["leaked"], totals[i]
        ax.text(i, 101, f"{leaked[i]:.1f}%\n({n:g} of {total:g})", ha="center", va="bottom")
    ax.set(ylabel="% of the split", title=title, ylim=(0, 125), yticks=range(0, 101, 20))
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def plot_span_filling(
    filling: Mapping[str, Mapping[str, Mapping[str, float]]],
    arms: Sequence[str],
    *,
    masks: Sequence[str] = ("single tokens", "spans"),
) -> Figure:
    """One panel per kind of mask: each arm's MLM accuracy on the same masked targets, a dot per
    pretraining seed and a bar at their mean (``filling``: ``span_filling.json``, ``{arm:
    {"seed<s>": {mask: accuracy}}}``).

    Raises:
        ValueError: no arms, an arm ``filling`` lacks, or a seed without a mask's score.
    """
    if not arms:
        raise ValueError("no arms to plot")
    for arm in arms:
        if not filling.get(arm):
            raise ValueError(f"{arm!r}: no encoder scored (have {sorted(filling)})")
        for seed, scores in filling[arm].items():
            missing = [m for m in masks if m not in scores]
            if missing:
                raise ValueError(f"{arm} {seed}: no score for {missing}")
    fig, axes = plt.subplots(1, len(masks), figsize=(4.2 * len(masks), 3.6))  # each fits its data
    axes = [axes] if len(masks) == 1 else list(axes)
    for ax, mask in zip(axes, masks, strict=True):
        for i, arm in enumerate(arms):
            values = [scores[mask] for scores in filling[arm].values()]
            mean = sum(values) / len(values)
            ax.plot([i - 0.3, i + 0.3], [mean, mean], color=_colour(arm), lw=2.5)
            ax.scatter([i] * len(values), values, color=_colour(arm), s=18, zorder=3)
        ax.set_xticks(range(len(arms)), arms, rotation=40, ha="right")
        ax.set_title(f"masked {mask}")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("MLM accuracy (dots: seeds, bar: mean)")
    fig.tight_layout()
    return fig


def plot_bridge(points: Sequence[Mapping[str, Any]], *, xlabel: str, ylabel: str) -> Figure:
    """One dot per encoder: its span-filling accuracy (x) against its task score (y), coloured
    by arm (``points``: :func:`spanbert_lab.tools.study.ablations.read.bridge_points`).

    Raises:
        ValueError: no points.
    """
    if not points:
        raise ValueError("nothing to plot: no points")
    fig, ax = plt.subplots(figsize=(5.6, 4.0))
    seen: set[str] = set()
    for p in points:
        label = None if p["arm"] in seen else p["arm"]
        seen.add(p["arm"])
        ax.scatter(p["filling"], p["test"], color=_colour(p["arm"]), s=30, label=label, zorder=3)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def plot_rate_selection(arms: Mapping[str, Mapping[str, Any]], *, metric: str) -> Figure:
    """Each arm's dev ``metric`` at every learning rate of its final grid (log scale), its pick
    ringed: a pick inside the grid is bracketed by rates that scored lower or tied. ``arms`` is
    one task's ``summary.json`` ``arms`` (``{arm: {"dev_by_lr": {"<lr>": score}, "selected_lr"}}``).

    Raises:
        ValueError: no arms, or an arm without dev scores.
    """
    if not arms:
        raise ValueError("nothing to plot: no arms")
    for arm, block in arms.items():  # refused before a figure exists
        if not block.get("dev_by_lr"):
            raise ValueError(f"{arm!r}: no dev scores by learning rate")
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for arm, block in arms.items():
        scores = {float(lr): float(v) for lr, v in block["dev_by_lr"].items()}
        rates = sorted(scores)
        ax.plot(rates, [scores[r] for r in rates], "-o", ms=3, color=_colour(arm), label=arm)
        pick = float(block["selected_lr"])
        ax.plot([pick], [scores[pick]], "o", ms=10, mfc="none", mec=_colour(arm), mew=1.5)
    ax.set_xscale("log", base=2)
    rates = sorted({float(lr) for block in arms.values() for lr in block["dev_by_lr"]})
    ax.set_xticks(rates, [f"{r:g}" for r in rates])
    ax.minorticks_off()
    ax.set(
        xlabel="learning rate (log scale)", ylabel=f"dev {metric}", title="rate selection (○ pick)"
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig
