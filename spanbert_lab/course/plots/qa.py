"""Figures for extractive QA: passage windows, a highlighted answer with its n-best list, seed
comparisons and error analysis. Every function returns a matplotlib Figure (never shows it)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from spanbert_lab.tasks.qa.decoding import QAPrediction
from spanbert_lab.tasks.qa.features import max_context_mask
from spanbert_lab.tasks.qa.metric import ERROR_KINDS, LENGTH_BUCKETS

__all__ = ["plot_answer", "plot_error_analysis", "plot_qa_windows", "plot_seed_comparison"]

_COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52")


def plot_qa_windows(features: Mapping[str, Sequence[Any]], example_id: str) -> Figure:
    """One row per window of an example over the passage's token axis.

    Light bar = the tokens the window holds; dark bar = where the window has the tokens' max
    context; the gold answer is a red band; each row says its training label ((start, end) or
    [CLS]).
    """
    rows = [i for i, e in enumerate(features["example_id"]) if e == example_id]
    if not rows:
        raise ValueError(f"no features for example {example_id!r}")
    offsets = [features["offset_mapping"][i] for i in rows]
    tokens = sorted({o for offs in offsets for o in offs if o is not None})
    index = {o: i for i, o in enumerate(tokens)}
    masks = max_context_mask(offsets)
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * len(rows) + 1.2))
    for r, (feature, offs, mask) in enumerate(zip(rows, offsets, masks, strict=True)):
        ids = [index[o] for o in offs if o is not None]
        y = len(rows) - 1 - r
        ax.barh(y, ids[-1] - ids[0] + 1, left=ids[0] - 0.5, color="#c6d4e8", height=0.6)
        best = [index[o] for o, m in zip(offs, mask, strict=True) if m]
        if best:
            ax.barh(y, best[-1] - best[0] + 1, left=best[0] - 0.5, color="#4C72B0", height=0.6)
        s, e = features["start_positions"][feature], features["end_positions"][feature]
        if s > 0:
            a, b = index[offs[s]], index[offs[e]]
            ax.axvspan(a - 0.5, b + 0.5, ymin=0, ymax=1, color="#C44E52", alpha=0.25, lw=0)
            label = f"answer: input tokens {s}–{e}"
        else:
            label = "label: [CLS] (0, 0)"
        ax.text(len(tokens) + 1, y, label, va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [f"window {len(rows) - 1 - y}" for y in range(len(rows))])
    ax.set_xlim(-1, len(tokens) * 1.3 + 5)
    ax.set_xlabel("passage token index (dark: max-context part; red: gold answer)")
    ax.set_title(f"{len(rows)} windows over {len(tokens)} passage tokens")
    ax.grid(False)
    fig.tight_layout()
    return fig


def _wrap(text: str, width: int) -> list[tuple[int, int]]:
    """Line character ranges [a, b) breaking at spaces, at most ``width`` characters each."""
    lines, start = [], 0
    while start < len(text):
        end = min(start + width, len(text))
        if end < len(text):
            cut = text.rfind(" ", start + 1, end + 1)
            end = cut if cut > start else end
        lines.append((start, end))
        start = end + (1 if end < len(text) and text[end] == " " else 0)
    return lines


def _shown_lines(lines: list[tuple[int, int]], chars: Sequence[int], max_lines: int) -> range:
    """Which wrapped lines to draw: every line holding one of ``chars`` (the predicted and the
    gold answer), padded with context up to ``max_lines`` when there is room."""
    focus = [next(i for i, (_, b) in enumerate(lines) if b > c) for c in chars if c < lines[-1][1]]
    if not focus:
        return range(min(len(lines), max_lines))
    low, high = min(focus), max(focus) + 1
    while high - low < min(max_lines, len(lines)):  # pad around, earlier lines first
        if low > 0:
            low -= 1
        if high - low < max_lines and high < len(lines):
            high += 1
    return range(low, high)


def plot_answer(
    context: str,
    prediction: QAPrediction,
    *,
    question: str | None = None,
    gold: str | None = None,
    gold_start: int | None = None,
    n_show: int = 5,
    width: int = 80,
    max_lines: int = 8,
) -> Figure:
    """The passage with the predicted answer highlighted (yellow) and the gold answer boxed
    (green), and the n-best list as probabilities (softmax of start + end scores over the
    n-best). The lines holding the prediction *and* the gold answer are always drawn.

    Args:
        gold, gold_start: the gold answer's text and first character in ``context``; when only
            the text is given its first occurrence is used.
        max_lines: lines of context shown when the two answers are close; more when they are not.
    """
    display = "".join(" " if c.isspace() else c for c in context)  # one char per char
    best = prediction.best
    if gold and gold_start is None and gold in context:
        gold_start = context.index(gold)
    gold_span = (gold_start, gold_start + len(gold)) if gold and gold_start is not None else None
    lines = _wrap(display, width) or [(0, 0)]
    anchors = [c for c in ((best.start_char if best else None), gold_span and gold_span[0])]
    shown = [
        lines[i] for i in _shown_lines(lines, [c for c in anchors if c is not None], max_lines)
    ]
    fig, (ax, bx) = plt.subplots(
        2,
        1,
        figsize=(8, 2.2 + 0.28 * len(shown) + 0.3 * n_show),
        height_ratios=[len(shown) + 1, n_show + 1],
    )
    ax.axis("off")
    spans = [(best.start_char, best.end_char)] if best is not None else []
    spans += [gold_span] if gold_span else []
    for row, (a, b) in enumerate(shown):
        y = 1 - (row + 0.5) / (len(shown) + 0.5)
        cuts = sorted({a, b} | {min(max(c, a), b) for span in spans for c in span})
        anchor: Any = None
        for s, e in itertools.pairwise(cuts):
            kw: dict[str, Any] = {"family": "monospace", "fontsize": 9, "va": "center"}
            in_pred = best is not None and best.start_char <= s and e <= best.end_char
            in_gold = gold_span is not None and gold_span[0] <= s and e <= gold_span[1]
            if in_pred or in_gold:
                kw["bbox"] = {
                    "facecolor": "#ffd54f" if in_pred else "none",
                    "edgecolor": "#2e7d32" if in_gold else "none",
                    "linewidth": 1.5,
                    "pad": 1,
                }
            if anchor is None:
                anchor = ax.text(0, y, display[s:e], transform=ax.transAxes, **kw)
            else:
                anchor = ax.annotate(display[s:e], xy=(1, 0.5), xycoords=anchor, **kw)
    verdict = f"answer: {prediction.text!r}" if prediction.text else "answer: (no answer)"
    if best is not None:
        verdict += f"   score {best.score:.2f}"
    if gold is not None:
        verdict += f"   gold (green box): {gold!r}"
    ax.set_title((f"Q: {question}\n" if question else "") + verdict, fontsize=9, loc="left")
    cands = prediction.n_best[:n_show]
    probs = prediction.probabilities()[:n_show]
    labels = [c.text if len(c.text) <= 40 else c.text[:37] + "…" for c in cands]
    bx.barh(range(len(cands))[::-1], probs, color="#4C72B0")
    bx.set_yticks(range(len(cands))[::-1], labels, fontsize=8)
    bx.set_xlim(0, 1)
    bx.set_xlabel("n-best probability (softmax of start + end logits)")
    fig.tight_layout()
    # the n-best labels set the shared left margin; the passage uses the whole width instead
    box = ax.get_position()
    ax.set_position((0.03, box.y0, 0.94, box.height))
    return fig


def plot_seed_comparison(
    results: Mapping[str, Sequence[Mapping[str, float]]],
    metrics: Sequence[str] = ("exact_match", "f1"),
) -> Figure:
    """Mean ± sample std over seeds (bars) with every seed as a dot, per model and metric."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics) + 0.8, 3.4))
    axes = np.atleast_1d(axes)
    for ax, metric in zip(axes, metrics, strict=True):
        for i, runs in enumerate(results.values()):
            values = np.array([r[metric] for r in runs], dtype=float)
            std = values.std(ddof=1) if len(values) > 1 else 0.0
            ax.bar(i, values.mean(), yerr=std, color=_COLORS[i % 4], alpha=0.7, capsize=4)
            ax.plot(
                np.full(len(values), i) + np.linspace(-0.15, 0.15, len(values)),
                values,
                "o",
                color="black",
                ms=4,
            )
        ax.set_xticks(range(len(results)), list(results))
        ax.set_title(metric)
        low = min(min(r[metric] for r in runs) for runs in results.values())
        ax.set_ylim(max(0.0, low - 10), None)
    fig.suptitle(f"mean ± std over {max(len(r) for r in results.values())} seeds")
    fig.tight_layout()
    return fig


def plot_error_analysis(analyses: Mapping[str, Mapping[str, Any]]) -> Figure:
    """Left: F1 by gold answer length; right: error kinds, per model (from ``error_analysis``)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    n = len(analyses)
    for i, (name, a) in enumerate(analyses.items()):
        buckets = [b for b in LENGTH_BUCKETS if b in a["by_length"]]
        xs = np.array([LENGTH_BUCKETS.index(b) for b in buckets]) + (i - (n - 1) / 2) * 0.8 / n
        left.bar(
            xs,
            [a["by_length"][b]["f1"] for b in buckets],
            width=0.8 / n,
            label=name,
            color=_COLORS[i % 4],
        )
        kinds = [k for k in ERROR_KINDS if k != "exact"]
        ys = np.arange(len(kinds)) + (i - (n - 1) / 2) * 0.8 / n
        right.barh(
            ys, [a["counts"][k] for k in kinds], height=0.8 / n, label=name, color=_COLORS[i % 4]
        )
    left.set_xticks(range(len(LENGTH_BUCKETS)), LENGTH_BUCKETS)
    left.set_xlabel("gold answer length (words)")
    left.set_ylabel("F1")
    left.legend(fontsize=8)
    kinds = [k for k in ERROR_KINDS if k != "exact"]
    right.set_yticks(range(len(kinds)), kinds)
    right.invert_yaxis()
    right.set_xlabel("questions")
    right.set_title("what went wrong (non-exact answers)", fontsize=10)
    fig.tight_layout()
    return fig
