"""Figures for the attention lesson (notebook 01): heatmaps, the √d_k experiment, cost curves."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure


@dataclass(frozen=True)
class ScoreStatistics:
    """What happens to dot-product scores as the key dimension d_k grows (one row per d_k)."""

    d_k: tuple[int, ...]
    variance_raw: tuple[float, ...]  # Var(q·k) without scaling, ≈ d_k
    variance_scaled: tuple[float, ...]  # Var(q·k / √d_k), ≈ 1
    max_weight_raw: tuple[float, ...]  # mean largest softmax weight without scaling
    max_weight_scaled: tuple[float, ...]  # ... and with scaling
    n_keys: int = 16  # keys per query: perfectly even weights would be 1 / n_keys


def score_statistics(
    d_ks: Sequence[int], *, n_keys: int = 16, samples: int = 2000, generator: torch.Generator
) -> ScoreStatistics:
    """Measure score variance and softmax saturation for queries/keys with i.i.d. N(0, 1) entries.

    Args:
        d_ks: key dimensions to try.
        n_keys: keys per query (the softmax is over these).
        samples: queries drawn per d_k.
        generator: the source of every random draw.
    """
    rows = []
    for d_k in d_ks:
        q = torch.randn(samples, 1, d_k, generator=generator)
        k = torch.randn(samples, n_keys, d_k, generator=generator)
        raw = (q @ k.transpose(1, 2)).squeeze(1)  # (samples, n_keys)
        scaled = raw / math.sqrt(d_k)
        rows.append(
            (
                raw.var().item(),
                scaled.var().item(),
                raw.softmax(-1).max(-1).values.mean().item(),
                scaled.softmax(-1).max(-1).values.mean().item(),
            )
        )
    columns = list(zip(*rows, strict=True))
    return ScoreStatistics(tuple(d_ks), *(tuple(c) for c in columns), n_keys=n_keys)


def plot_score_statistics(stats: ScoreStatistics) -> Figure:
    """Two panels: score variance vs d_k, and the largest softmax weight vs d_k."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.loglog(stats.d_k, stats.variance_raw, "o-", label="q·k")
    left.loglog(stats.d_k, stats.variance_scaled, "s-", label="q·k / √d_k")
    left.set(xlabel="d_k", ylabel="variance of the score", title="Scores grow with d_k")
    left.legend()
    right.semilogx(stats.d_k, stats.max_weight_raw, "o-", label="softmax(q·k)")
    right.semilogx(stats.d_k, stats.max_weight_scaled, "s-", label="softmax(q·k / √d_k)")
    right.axhline(1.0, color="grey", lw=0.8, ls=":", label="one key takes everything (1)")
    even = 1 / stats.n_keys
    right.axhline(even, color="grey", lw=0.8, ls="--", label=f"even weights (1/{stats.n_keys})")
    right.set(
        xlabel="d_k",
        ylabel="mean largest weight",
        title="Unscaled softmax saturates",
        ylim=(0, 1.05),
    )
    right.legend(fontsize=8, loc="center right")
    fig.tight_layout()
    return fig


def score_matrix_bytes(length: int, *, heads: int, batch: int = 1, bytes_per_value: int = 4) -> int:
    """Memory of one attention score matrix ``(batch, heads, T, T)`` (float32 by default)."""
    return batch * heads * length * length * bytes_per_value


def plot_attention_cost(
    lengths: Sequence[int], seconds: Sequence[float], score_bytes: Sequence[int] | None = None
) -> Figure:
    """Measured attention time against sequence length, with T and T² references through a middle
    point (the longest lengths outgrow the CPU caches and run slower than T² alone predicts, so an
    anchor there would flatter the measured line); with ``score_bytes``, a second panel shows the
    memory of the score matrix."""
    panels = 2 if score_bytes is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.6), squeeze=False)
    ax = axes[0][0]
    ax.loglog(lengths, seconds, "o-", label="measured (after a warm-up call)")
    mid = len(lengths) // 2  # the anchor: a middle length, away from the cache-bound end
    for power, style in ((2, "--"), (1, ":")):
        ref = [seconds[mid] * (t / lengths[mid]) ** power for t in lengths]
        label = f"∝ T{'²' if power == 2 else ''} (through T = {lengths[mid]})"
        ax.loglog(lengths, ref, style, color="grey", label=label)
    ax.set(xlabel="sequence length T", ylabel="seconds per call", title="Attention time")
    ax.legend(fontsize=8)
    if score_bytes is not None:
        mem = axes[0][1]
        mem.loglog(lengths, [b / 2**20 for b in score_bytes], "s-", color="tab:orange")
        mem.set(
            xlabel="sequence length T",
            ylabel="MiB",
            title="Memory of the score matrix (exactly ∝ T²)",
        )
    for a in axes[0]:
        a.set_xticks(list(lengths), [str(t) for t in lengths])
        a.minorticks_off()
    fig.tight_layout()
    return fig


def attention_heatmap(
    weights: torch.Tensor,
    tokens: Sequence[str],
    *,
    query_index: int | None = None,
    ax: Axes | None = None,
    title: str = "",
) -> Axes:
    """Draw a ``(T, T)`` attention matrix (rows = queries, columns = keys)."""
    if (
        weights.dim() != 2
        or weights.shape[0] != weights.shape[1]
        or weights.shape[0] != len(tokens)
    ):
        raise ValueError(
            f"need a ({len(tokens)}, {len(tokens)}) matrix, got {tuple(weights.shape)}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    # Colour scale from 0 to 1 — a weight is a probability — with a colour bar to read it by.
    image = ax.imshow(weights.detach().cpu().numpy(), vmin=0.0, vmax=1.0, cmap="Blues")
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="attention weight")
    ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=8)
    ax.set_yticks(range(len(tokens)), tokens, fontsize=8)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query")
    ax.grid(False)
    if query_index is not None:
        ax.axhline(query_index - 0.5, color="tab:red", lw=1.2)
        ax.axhline(query_index + 0.5, color="tab:red", lw=1.2)
    if title:
        ax.set_title(title)
    return ax


def attention_grid(
    attentions: torch.Tensor,
    tokens: Sequence[str],
    *,
    max_layers: int = 4,
    fontsize: float = 7,
) -> Figure:
    """Every head of the first ``max_layers`` layers: ``attentions`` is ``(L, H, T, T)``.

    All panels share one colour scale (0 to the largest weight shown) and one colour bar, so heads
    can be compared; rows are queries, columns keys, both labelled with the tokens (``fontsize``
    points). The title gives the whole sentence, wrapped over as many lines as it needs.
    """
    layers, heads = min(attentions.shape[0], max_layers), attentions.shape[1]
    shown = attentions[:layers].detach().cpu()
    vmax = float(shown.max())
    size = max(2.6, 0.2 * len(tokens))
    fig, axes = plt.subplots(
        layers,
        heads,
        figsize=(size * heads + 1.0, size * layers + 0.8),
        squeeze=False,
        layout="constrained",
    )
    image = None
    for layer in range(layers):
        for head in range(heads):
            ax = axes[layer][head]
            image = ax.imshow(shown[layer, head].numpy(), vmin=0.0, vmax=vmax, cmap="Blues")
            ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=fontsize)
            ax.set_yticks(range(len(tokens)), tokens if head == 0 else [], fontsize=fontsize)
            ax.grid(False)
            ax.set_title(f"layer {layer} · head {head}", fontsize=fontsize + 2)
    fig.colorbar(image, ax=axes, shrink=0.6, label="attention weight (query row → key column)")
    text = " ".join(tokens[1:-1])
    width = max(40, int(10 * fig.get_figwidth()))  # characters per title line
    fig.suptitle(
        textwrap.fill("Attention of every head on: " + text, width=width), fontsize=fontsize + 2
    )
    return fig
