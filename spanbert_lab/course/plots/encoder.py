"""Figures for the BERT-encoder lesson (notebook 01b): attention masks, input dependency, and one
token's vector through the sublayers."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

__all__ = ["plot_input_dependency", "plot_masks_side_by_side", "plot_token_trace"]


def _label_axes(ax: Axes, tokens: Sequence[str], *, rows: bool = True) -> None:
    ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=7)
    ax.set_yticks(range(len(tokens)), tokens if rows else [], fontsize=7)
    ax.grid(False)


def plot_masks_side_by_side(tokens: Sequence[str]) -> Figure:
    """Bidirectional (BERT) and causal (left-to-right) attention masks for ``tokens``."""
    t = len(tokens)
    full = torch.ones(t, t)
    causal = full.tril()
    fig, axes = plt.subplots(1, 2, figsize=(2 * max(3.2, 0.28 * t) + 1.2, max(3.2, 0.28 * t) + 1))
    titles = (
        "bidirectional (BERT):\nevery token sees every token",
        "causal (GPT):\nonly itself and the past",
    )
    for ax, mask, title in zip(axes, (full, causal), titles, strict=True):
        image = ax.imshow(mask.numpy(), vmin=0, vmax=1, cmap="Greens")
        _label_axes(ax, tokens, rows=ax is axes[0])
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("key (may be read)")
    axes[0].set_ylabel("query (reads)")
    fig.colorbar(image, ax=axes, shrink=0.6, ticks=[0, 1], label="1 = may attend")
    return fig


def plot_input_dependency(
    bidirectional: torch.Tensor, causal: torch.Tensor, tokens: Sequence[str]
) -> Figure:
    """Measured dependency of each output on each input, each row divided by its maximum, on a
    log colour scale (1 down to 1e-3); entries that are exactly 0 are drawn grey."""
    fig, axes = plt.subplots(1, 2, figsize=(2 * max(3.2, 0.28 * len(tokens)) + 1.2, 4.6))
    panels = (("bidirectional encoder", bidirectional), ("same weights, causal mask", causal))
    cmap = plt.get_cmap("Purples").copy()
    cmap.set_bad("#bbbbbb")
    image = None
    for ax, (title, dep) in zip(axes, panels, strict=True):
        scaled = (dep / dep.amax(dim=1, keepdim=True).clamp_min(1e-30)).numpy()
        shown = np.ma.masked_where(scaled == 0, np.clip(scaled, 1e-3, 1.0))
        image = ax.imshow(shown, norm=LogNorm(vmin=1e-3, vmax=1.0), cmap=cmap)
        _label_axes(ax, tokens, rows=ax is axes[0])
        ax.set(title=title, xlabel="input position nudged")
    axes[0].set_ylabel("output position")
    fig.colorbar(
        image, ax=axes, shrink=0.6, label="change of the output (row max = 1; grey = exactly 0)"
    )
    return fig


def plot_token_trace(
    stage_names: Sequence[str], vectors: torch.Tensor, token: str, *, dims: int = 32
) -> Figure:
    """One token's vector after every sublayer: the first ``dims`` coordinates as a heatmap (one
    shared colour scale) and the vector's length per stage.

    Args:
        stage_names: S names, in computation order.
        vectors: (S, C) the token's vector at each stage.
    """
    if vectors.dim() != 2 or vectors.shape[0] != len(stage_names):
        raise ValueError(f"need ({len(stage_names)}, C) vectors, got {tuple(vectors.shape)}")
    shown = vectors[:, :dims]
    limit = float(shown.abs().max())
    fig, (heat, norms) = plt.subplots(
        1, 2, figsize=(11, 0.42 * len(stage_names) + 1.6), width_ratios=[3, 1.3], sharey=True
    )
    image = heat.imshow(shown.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    heat.set_yticks(range(len(stage_names)), stage_names, fontsize=8)
    heat.set(xlabel=f"coordinate (first {shown.shape[1]} of {vectors.shape[1]})")
    heat.set_title(f"the vector of {token!r} after each sublayer", fontsize=10)
    heat.grid(False)
    fig.colorbar(image, ax=heat, shrink=0.8, label="value")
    norms.barh(range(len(stage_names)), vectors.norm(dim=1).numpy(), color="tab:purple")
    norms.set(xlabel="length ‖v‖", title="vector length")
    fig.tight_layout()
    return fig
