"""Figures for the applications lesson (notebook 06): every number drawn with its 95% interval.

Each function reads the plain result dictionaries of :mod:`spanbert_lab.applications.studies`
(``[value, low, high]`` triples) and returns a ``Figure``; none calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = [
    "plot_intervals",
    "plot_label_curve",
    "plot_probe_curves",
    "plot_search_hits",
    "plot_search_recall",
]

_COLOURS = {
    "random-tiny": "#9e9e9e",
    "bert-tiny": "#1f77b4",
    "span-tiny": "#ff7f0e",
    "spanbert-tiny": "#d62728",
    "tfidf": "#2ca02c",
    "bm25": "#17becf",
    "lead": "#8c564b",
    "random": "#bcbd22",
}


def _colour(name: str) -> str:
    return _COLOURS.get(name.split("/")[0], "#7f7f7f")


def plot_intervals(values: Mapping[str, Sequence[float]], *, title: str, xlabel: str) -> Figure:
    """Horizontal bars with 95% intervals: ``{label: [value, low, high]}``."""
    if not values:
        raise ValueError("nothing to plot")
    labels = list(values)
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(labels) + 1.2))
    for i, label in enumerate(labels):
        v, lo, hi = values[label][:3]
        ax.barh(i, v, color=_colour(label), alpha=0.8)
        ax.errorbar(v, i, xerr=[[v - lo], [hi - v]], color="black", capsize=3, linewidth=1)
        ax.text(hi + 0.01, i, f"{v:.2f}", va="center", fontsize=8)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set(xlabel=xlabel, title=title, xlim=(0, 1.08))
    fig.tight_layout()
    return fig


def plot_search_recall(
    table: Mapping[str, Mapping[str, Any]], *, title: str, metric: str = "hit@5"
) -> Figure:
    """Recall@k (``hit@k``) of every retriever with its interval."""
    return plot_intervals(
        {m: row[metric] for m, row in table.items()},
        title=title,
        xlabel=f"recall@{metric.split('@')[1]} (95% bootstrap interval)",
    )


def _data_ylim(table: Mapping[str, Any], margin: float) -> tuple[float, float]:
    """The range of every drawn value (interval bounds, the majority line), widened by ``margin``
    of its span on each side (at least 0.005) and kept inside 0..1."""
    values = [
        v
        for name, rows in table.items()
        for v in ([rows[0]] if name == "majority" else [b for r in rows for b in r[:3]])
    ]
    low, high = min(values), max(values)
    pad = max(margin * (high - low), 0.005)
    return max(0.0, low - pad), min(1.0, high + pad)


def plot_probe_curves(
    table: Mapping[str, Any],
    *,
    title: str,
    ylim: tuple[float, float] | Literal["data"] = (0.0, 1.0),
    margin: float = 0.1,
) -> Figure:
    """Probe accuracy by layer for each encoder (shaded 95% intervals) and the majority class.

    ``ylim`` is the accuracy axis: ``(0, 1)`` by default (the whole scale, with the majority
    class), a ``(low, high)`` pair, or ``"data"`` to fit every drawn value (curves, intervals and
    the majority line, if the table has one) with ``margin`` of their span on each side — pass a
    table of only the encoders you compare to see curves that differ by a point or two."""
    if not any(name != "majority" for name in table):
        raise ValueError("nothing to plot")
    fitted = ylim == "data"
    if fitted:
        ylim = _data_ylim(table, margin)
    elif isinstance(ylim, str) or not ylim[0] < ylim[1]:
        raise ValueError(f"ylim must be 'data' or (low, high) with low < high, got {ylim!r}")
    fig, ax = plt.subplots(figsize=(7.6, 3.4))
    for name, rows in table.items():
        if name == "majority":
            ax.axhline(rows[0], color="black", linestyle=":", linewidth=1, label="majority class")
            continue
        layers = list(range(len(rows)))
        control = name.startswith("random")  # dashed and on top: other curves may cover it
        ax.plot(layers, [r[0] for r in rows], marker="o", color=_colour(name), label=name,
                linestyle="--" if control else "-", zorder=3 if control else 2)  # fmt: skip
        ax.fill_between(
            layers, [r[1] for r in rows], [r[2] for r in rows], color=_colour(name), alpha=0.15
        )
    ax.set_xticks(range(len(next(r for k, r in table.items() if k != "majority"))))
    ax.set(xlabel="layer (0 = embeddings)", ylabel="held-out accuracy", title=title, ylim=ylim)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: covers no curve
    fig.tight_layout()
    return fig


def plot_label_curve(
    curves: Mapping[str, Mapping[int, Sequence[float]]], *, title: str, ylabel: str
) -> Figure:
    """A score against the number of labelled examples, one line per encoder with 95% interval
    bars: ``{encoder: {n_examples: [value, low, high]}}``. Encoders are drawn side by side at
    each size so that overlapping bars stay readable; the x axis is logarithmic."""
    if not curves or not all(curves.values()):
        raise ValueError("nothing to plot")
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    sizes = sorted({n for points in curves.values() for n in points})
    for i, (name, points) in enumerate(curves.items()):
        shift = 1.04 ** (i - (len(curves) - 1) / 2)  # a small offset, equal on a log axis
        ns = sorted(points)
        xs = [n * shift for n in ns]
        mid = [points[n][0] for n in ns]
        err = [[points[n][0] - points[n][1] for n in ns], [points[n][2] - points[n][0] for n in ns]]
        ax.errorbar(xs, mid, yerr=err, marker="o", capsize=3, color=_colour(name), label=name)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.set(xlabel="training examples per label", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_search_hits(
    hits: Sequence[tuple[int, float, str]], *, query: str, method: str, relevant: Sequence[int] = ()
) -> Figure:
    """The top hits of one query: score bars, passage snippets, relevant ones in green."""
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * max(1, len(hits)) + 1.0))
    for i, (idx, score, text) in enumerate(hits):
        good = idx in relevant
        ax.barh(i, score, color="#2ca02c" if good else "#9e9e9e")
        ax.text(
            0.01 * max(1e-9, max(abs(s) for _, s, _ in hits)),
            i,
            f"#{idx} {'✓ ' if good else ''}{text[:70]}",
            va="center",
            fontsize=7,
        )
    ax.set_yticks([])
    ax.invert_yaxis()
    ax.set(xlabel="score", title=f"{method}: “{query[:60]}”")
    fig.tight_layout()
    return fig
