"""Figures for the pretraining lesson (notebook 04): schedule, loss curves, accuracy by span.

Every function returns a matplotlib ``Figure`` and never calls ``plt.show()``; the training loop
never plots (it returns a :class:`~spanbert_lab.pretrain.History`, which these functions read).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from spanbert_lab.pretrain.evaluation import SpanAccuracy
from spanbert_lab.stats import wilson_interval
from spanbert_lab.training.schedule import lr_at_step

__all__ = ["plot_costs", "plot_history", "plot_lr_schedule", "plot_span_accuracy"]


def plot_lr_schedule(*, peak_lr: float, warmup_steps: int, total_steps: int) -> Figure:
    """The learning rate of every update: linear warm-up, then linear decay to 0."""
    steps = list(range(total_steps + 1))
    lrs = [
        lr_at_step(s, peak_lr=peak_lr, warmup_steps=warmup_steps, total_steps=total_steps)
        for s in steps
    ]
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    ax.plot(steps, lrs, color="#1f77b4")
    ax.axvline(warmup_steps, color="grey", linestyle=":", linewidth=1)
    ax.annotate(
        "end of warm-up",
        (warmup_steps, peak_lr),
        textcoords="offset points",
        xytext=(6, -12),
        fontsize=8,
        color="grey",
    )
    ax.set(
        xlabel="update",
        ylabel="learning rate",
        title=f"warm-up {warmup_steps} updates, linear decay to 0 at {total_steps}",
    )
    fig.tight_layout()
    return fig


def _records(history: Any, kind: str) -> list[dict[str, Any]]:
    if isinstance(history, Mapping):
        return list(history[kind])
    return list(getattr(history, kind))


def plot_history(histories: Any | Mapping[str, Any], *, smooth: int = 10) -> Figure:
    """Training loss (moving average) and held-out accuracy of one or several runs.

    Args:
        histories: a :class:`~spanbert_lab.pretrain.History` (or its ``to_dict()``), or a mapping
            ``label -> history`` to compare runs.
        smooth: moving-average window over updates for the training curves.
    """
    runs = (
        histories
        if isinstance(histories, Mapping) and "train" not in histories
        else {"": histories}
    )
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, history) in enumerate(runs.items()):
        colour = colours[i % len(colours)]
        train = _records(history, "train")
        steps = [r["step"] for r in train]
        for key, style in (("mlm_loss", "-"), ("sbo_loss", "--")):
            values = [r[key] for r in train]
            if not values or values[0] is None:
                continue
            kernel = min(smooth, len(values))
            avg = torch.tensor(values).unfold(0, kernel, 1).mean(1).tolist()
            name = f"{label} {key.split('_')[0].upper()}".strip()
            ax_loss.plot(steps[kernel - 1 :], avg, style, color=colour, label=name)
        evals = _records(history, "eval")
        for key, marker in (("mlm_accuracy", "o"), ("sbo_accuracy", "s")):
            points = [(r["step"], r[key]) for r in evals if r.get(key) is not None]
            if points:
                xs, ys = zip(*points, strict=True)
                name = f"{label} {key.split('_')[0].upper()}".strip()
                ax_acc.plot(
                    xs,
                    ys,
                    marker=marker,
                    color=colour,
                    label=name,
                    linestyle="-" if marker == "o" else "--",
                )
    ax_loss.set(
        xlabel="update",
        ylabel="cross-entropy (nats)",
        title="training loss" if smooth <= 1 else f"training loss ({smooth}-update moving average)",
    )
    ax_acc.set(xlabel="update", ylabel="top-1 accuracy", title="held-out accuracy", ylim=(0, None))
    for ax in (ax_loss, ax_acc):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_span_accuracy(
    results: Mapping[str, SpanAccuracy], *, by: str = "position", title: str | None = None
) -> Figure:
    """Accuracy by relative position inside the span (``by="position"``) or by span length, with
    a Wilson 95% interval per point (:func:`spanbert_lab.stats.wilson_interval`) and, below, the
    number of targets in each bin. The y-axis fits the intervals.

    Args:
        results: ``label -> SpanAccuracy`` (e.g. ``{"BERT MLM": …, "SpanBERT MLM": …,
            "SpanBERT SBO": …}``) from :func:`spanbert_lab.pretrain.evaluation.span_accuracy`.
        by: ``"position"`` or ``"length"``.
    """
    if by not in ("position", "length"):
        raise ValueError(f"by={by!r}: choose 'position' or 'length'")
    fig, (ax, ax_n) = plt.subplots(
        2, 1, figsize=(6.4, 4.6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    width = 0.8 / max(1, len(results))
    top, bottom = 0.0, 1.0
    for i, (label, acc) in enumerate(results.items()):
        correct = acc.correct_by_position if by == "position" else acc.correct_by_length
        total = acc.total_by_position if by == "position" else acc.total_by_length
        first = 0 if by == "position" else 1
        xs = torch.arange(total.numel()) + first
        keep = total > 0
        low, high = wilson_interval(correct[keep], total[keep])
        value = (correct[keep] / total[keep]).double()
        shift = (i - (len(results) - 1) / 2) * 0.08
        line = ax.errorbar(
            (xs[keep] + shift).tolist(),
            value.tolist(),
            yerr=[(value - low).tolist(), (high - value).tolist()],
            marker="o",
            capsize=2,
            label=label,
        )
        ax_n.bar(
            (xs + (i - (len(results) - 1) / 2) * width).tolist(),
            total.tolist(),
            width=width,
            color=line[0].get_color(),
        )
        if keep.any():
            top, bottom = max(top, float(high.max())), min(bottom, float(low.min()))
    n = max(
        (a.total_by_position if by == "position" else a.total_by_length).numel()
        for a in results.values()
    )
    ticks = list(range(n)) if by == "position" else list(range(1, n + 1))
    labels = [str(t) for t in ticks]
    labels[-1] += "+"
    ax_n.set_xticks(ticks, labels)
    margin = 0.05 * max(top - bottom, 0.1)
    ax.set(
        ylabel="top-1 accuracy",
        ylim=(max(0.0, bottom - margin), min(1.0, top + margin)),
        title=title or f"accuracy by {by} in the span (95% Wilson intervals)",
    )
    ax.legend(fontsize=8)
    ax_n.set(
        xlabel="relative position in the span (0 = first token)"
        if by == "position"
        else "span length (tokens)",
        ylabel="targets",
    )
    fig.tight_layout()
    return fig


def plot_costs(labels: Sequence[str], flops: Sequence[float]) -> Figure:
    """Training compute of several setups on a log scale (FLOPs), annotated with the values."""
    fig, ax = plt.subplots(figsize=(6.4, 2.2 + 0.4 * len(labels)))
    ax.barh(list(labels), list(flops), color="#4c72b0", log=True)
    for y, value in enumerate(flops):
        ax.annotate(
            f"{value:.1e}", (value, y), textcoords="offset points", xytext=(4, -3), fontsize=8
        )
    ax.set(xlabel="training FLOPs (log scale)", title="pretraining compute")
    ax.invert_yaxis()
    ax.set_xlim(min(flops) / 3, max(flops) * 30)
    fig.tight_layout()
    return fig
