"""Figures for the masking lesson (notebook 02): span-length distributions and coloured masks.

Reference: ``docs/spanbert-reference.md#span-masking`` (truncated geometric span lengths, per-span
80/10/10). Every function returns a matplotlib ``Figure`` and never calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from spanbert_lab.contracts import IGNORE_INDEX
from spanbert_lab.masking import MaskingConfig, span_length_pmf, vocab_info

# colour per token fate (also the legend order): Okabe–Ito colours that stay apart for colour-blind
# readers and in greyscale (dark blue, mid vermillion, light yellow, pale grey)
FATE_COLOURS = {
    "[MASK]": "#0072B2",
    "random": "#D55E00",
    "kept": "#F0E442",
    "special": "#d9d9d9",
}
FATE_LABELS = {
    "[MASK]": "target → [MASK]",
    "random": "target → a random token",
    "kept": "target, kept unchanged",
    "special": "[CLS] / [SEP]",
}
_TEXT_COLOURS = {"[MASK]": "white", "random": "white"}  # dark boxes: white text


@dataclass(frozen=True)
class TokenView:
    """One example, token by token: its original text, what the model sees, and each fate.

    ``fates[i]`` is ``"[MASK]"``, ``"random"`` (replaced by another token), ``"kept"`` (a target
    left unchanged), ``"special"`` or ``""`` (not a target). ``shown[i]`` is the token the model
    reads at position ``i`` (``[MASK]``, the random token, or the original); empty means "the
    original" for every position.
    """

    tokens: tuple[str, ...]
    fates: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    shown: tuple[str, ...] = ()

    def seen(self, i: int) -> str:
        """The token the model reads at position ``i``."""
        return self.shown[i] if self.shown else self.tokens[i]


def token_view(
    tokenizer: object,
    original_ids: torch.Tensor,
    masked_ids: torch.Tensor,
    labels: torch.Tensor,
    spans: Sequence[tuple[int, int]],
    attention_mask: torch.Tensor | None = None,
) -> TokenView:
    """Build a :class:`TokenView` of one (T,) example from a masking result (padding dropped)."""
    n = int(attention_mask.sum()) if attention_mask is not None else len(original_ids)
    tokens = tokenizer.convert_ids_to_tokens(original_ids[:n].tolist())  # type: ignore[attr-defined]
    shown = tokenizer.convert_ids_to_tokens(masked_ids[:n].tolist())  # type: ignore[attr-defined]
    control = vocab_info(tokenizer).is_control  # [UNK] is text, not a control token
    mask_id = tokenizer.mask_token_id  # type: ignore[attr-defined]
    fates = []
    for i in range(n):
        if int(labels[i]) == IGNORE_INDEX:
            fates.append("special" if bool(control[int(original_ids[i])]) else "")
        elif int(masked_ids[i]) == mask_id:
            fates.append("[MASK]")
        elif int(masked_ids[i]) != int(original_ids[i]):
            fates.append("random")
        else:
            fates.append("kept")
    return TokenView(tuple(tokens), tuple(fates), tuple(tuple(s) for s in spans), tuple(shown))


def _labels(view: TokenView) -> list[tuple[str, str]]:
    """(what the model reads, the original under it or "") per token: a target that the model
    reads differently ([MASK] or a random token) also shows the hidden original."""
    out = []
    for i, (token, fate) in enumerate(zip(view.tokens, view.fates, strict=True)):
        seen = view.seen(i)
        out.append((seen, token if fate in ("[MASK]", "random") else ""))
    return out


def _layout(tokens: Sequence[str], width: int) -> tuple[list[tuple[int, float, float]], int]:
    """Flow layout: (row, x, box width) per token, in units of a short token's box; long tokens get
    wider boxes so that their text stays inside. Returns the placements and the number of rows.
    A token may be two lines joined by a newline (the box fits the longer one)."""
    placed, row, x = [], 0, 0.0
    for token in tokens:
        longest = max(len(line) for line in token.split("\n"))
        w = max(1.0, 0.095 * longest + 0.3)  # ≈ 7-point characters in 0.62-inch units
        if x > 0 and x + w > width:
            row, x = row + 1, 0.0
        placed.append((row, x, w))
        x += w
    return placed, (placed[-1][0] + 1 if placed else 1)


def _box_texts(view: TokenView) -> list[str]:
    return [seen + ("\n" + f"({hidden})" if hidden else "") for seen, hidden in _labels(view)]


def token_rows(tokens: Sequence[str] | TokenView, width: int = 16) -> int:
    """How many lines :func:`draw_tokens` needs for ``tokens`` (or a view) at this ``width``."""
    texts = _box_texts(tokens) if isinstance(tokens, TokenView) else list(tokens)
    return _layout(texts, width)[1]


def draw_tokens(ax: Axes, view: TokenView, *, width: int = 16, title: str = "") -> None:
    """Draw ``view`` as coloured boxes flowing over lines ``width`` units wide: each box shows
    what the model reads; a target hidden behind ``[MASK]`` or a random token also shows its
    original, in brackets, under it."""
    ax.set_axis_off()
    labels = _labels(view)
    placed, rows = _layout(_box_texts(view), width)
    ax.set_xlim(0, width)
    ax.set_ylim(rows, -0.2 if not title else -0.6)
    boxes, colours = [], []
    for (row, x, w), (seen, hidden), fate in zip(placed, labels, view.fates, strict=True):
        boxes.append(Rectangle((x + 0.04, row + 0.06), w - 0.08, 0.88))
        colours.append(FATE_COLOURS.get(fate, "white"))
        colour = _TEXT_COLOURS.get(fate, "black")
        if hidden:
            ax.text(
                x + w / 2,
                row + 0.33,
                seen,
                ha="center",
                va="center",
                fontsize=7,
                color=colour,
                fontweight="bold",
                clip_on=False,
            )
            ax.text(
                x + w / 2,
                row + 0.72,
                f"({hidden})",
                ha="center",
                va="center",
                fontsize=6.5,
                color=colour,
                clip_on=False,
            )
        else:
            ax.text(
                x + w / 2,
                row + 0.5,
                seen,
                ha="center",
                va="center",
                fontsize=7,
                color=colour,
                clip_on=False,
            )
    # one collection for all boxes: far cheaper to render than a bbox per text
    ax.add_collection(PatchCollection(boxes, facecolors=colours, edgecolors="#999999", lw=0.5))
    if title:
        ax.set_title(title, fontsize=9, loc="left")


def plot_masked_tokens(view: TokenView, *, width: int = 16, title: str = "") -> Figure:
    """One example's tokens coloured by fate, with a legend."""
    rows = token_rows(view, width)
    fig, ax = plt.subplots(figsize=(width * 0.62, 0.5 * rows + 0.8))
    draw_tokens(ax, view, width=width, title=title)
    add_fate_legend(fig)
    return fig


def plot_schemes_side_by_side(views: Mapping[str, TokenView], *, width: int = 16) -> Figure:
    """The same passage masked by several schemes, one panel per scheme (top to bottom): what
    the model reads, each hidden original under its ``[MASK]`` or random token."""
    heights = [token_rows(v, width) + 0.8 for v in views.values()]
    fig, axes = plt.subplots(
        len(views),
        1,
        figsize=(width * 0.62, 0.46 * sum(heights) + 0.5),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for ax, (name, view) in zip(axes[:, 0], views.items(), strict=True):
        n_targets = sum(f in ("[MASK]", "random", "kept") for f in view.fates)
        draw_tokens(
            ax, view, width=width, title=f"{name}: {n_targets} targets in {len(view.spans)} spans"
        )
    fig.subplots_adjust(left=0.01, right=0.99, top=0.98, bottom=0.4 / fig.get_figheight() + 0.02)
    add_fate_legend(fig)
    return fig


def add_fate_legend(fig: Figure) -> None:
    """The colour legend of token fates, centred under the figure."""
    handles = [plt.Rectangle((0, 0), 1, 1, fc=c, ec="#999999") for c in FATE_COLOURS.values()]
    labels = [FATE_LABELS[fate] for fate in FATE_COLOURS]
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)


def plot_span_length_distributions(
    config: MaskingConfig | None = None, samples: torch.Tensor | None = None
) -> Figure:
    """Analytic span-length pmfs (truncated, clipped, untruncated geometric) and, if given,
    the histogram of sampled lengths (long tensor of lengths in words)."""
    cfg = config or MaskingConfig()
    lengths = torch.arange(cfg.min_span_words, cfg.max_span_words + 1)
    truncated = span_length_pmf(cfg)
    clipped = span_length_pmf(MaskingConfig(**{**cfg.__dict__, "length_mode": "clip"}))
    k = (lengths - cfg.min_span_words).double()
    geometric = cfg.geometric_p * (1 - cfg.geometric_p) ** k
    fig, ax = plt.subplots(figsize=(7, 3.8))
    w = 0.27
    if samples is not None:
        counts = torch.bincount(samples - cfg.min_span_words, minlength=len(lengths)).double()
        ax.bar(
            (lengths - w).tolist(),
            (counts / counts.sum()).tolist(),
            w,
            color="#9ecae1",
            label=f"sampled ({samples.numel():,} draws)",
        )
    ax.bar(
        lengths.tolist(),
        truncated.tolist(),
        w,
        color="#3182bd",
        label=f"truncated + renormalised (mean {float((truncated * lengths).sum()):.2f})",
    )
    ax.plot(
        (lengths + w).tolist(),
        clipped.tolist(),
        "v",
        color="#e6550d",
        label=f"clipped min(L, {cfg.max_span_words}) (mean {float((clipped * lengths).sum()):.2f})",
    )
    ax.plot(
        lengths.tolist(),
        geometric.tolist(),
        "k:",
        label=f"Geo({cfg.geometric_p:g}) before truncation",
    )
    ax.set(
        xlabel="span length (words)",
        ylabel="probability",
        xticks=lengths.tolist(),
        title="Span lengths: SpanBERT's truncated geometric distribution",
    )
    ax.legend(fontsize=8)
    return fig


def plot_accuracy_by_context(accuracy: Mapping[str, float], *, title: str = "") -> Figure:
    """Bar chart of a predictor's accuracy per condition (e.g. isolated vs inside a span)."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    names = list(accuracy)
    values = [100 * accuracy[n] for n in names]
    bars = ax.bar(names, values, color=["#3182bd", "#e6550d", "#31a354", "#756bb1"][: len(names)])
    for bar, value in zip(bars, values, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, value + 1, f"{value:.1f}%", ha="center")
    ax.set(
        ylabel="accuracy (%)",
        ylim=(0, max(values) * 1.25 + 1),
        title=title or "Predicting masked tokens from their neighbours",
    )
    return fig
