"""Figures for the span boundary objective (notebook 03).

Paper §3.2 (``docs/spanbert-reference.md#sbo``): each token inside a masked span is predicted from
the two tokens just outside the span and its relative position. :func:`plot_sbo_predictions` draws
one such prediction — the sentence with its span and boundary tokens, then the top guesses of the
SBO head for every position of the span, next to the MLM head's probability for the same target.
:func:`plot_sbo_losses` draws the two loss curves of a training run. Every function returns a
matplotlib ``Figure`` and never calls ``plt.show()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["ROLE_COLOURS", "SboView", "draw_span_tokens", "plot_sbo_losses", "plot_sbo_predictions"]

ROLE_COLOURS = {"span": "#e4572e", "boundary": "#4c8bf5", "special": "#d9d9d9", "": "white"}


@dataclass(frozen=True)
class SboView:
    """What the SBO explorer shows for one span of one sentence.

    Attributes:
        tokens: the sentence's tokens, ``[CLS]`` … ``[SEP]`` (original, unmasked).
        start, end: the span, half-open token range; its boundaries are ``start - 1`` and ``end``.
        targets: the original tokens inside the span (what both heads should predict).
        sbo_top: per span position, the SBO head's ``top_k`` ``(token, probability)`` guesses.
        sbo_target_prob: per span position, the SBO probability of the true token.
        mlm_target_prob: per span position, the MLM probability of the true token.
    """

    tokens: tuple[str, ...]
    start: int
    end: int
    targets: tuple[str, ...]
    sbo_top: tuple[tuple[tuple[str, float], ...], ...]
    sbo_target_prob: tuple[float, ...]
    mlm_target_prob: tuple[float, ...]

    @property
    def boundaries(self) -> tuple[str, str]:
        """The left and right boundary tokens ``x_{s-1}``, ``x_{e+1}``."""
        return self.tokens[self.start - 1], self.tokens[self.end]

    def summary(self) -> str:
        """One line per span position: relative position, target, top SBO guesses."""
        left, right = self.boundaries
        lines = [
            f"span {self.start}..{self.end - 1} {' '.join(self.targets)!r}: "
            f"boundaries {left!r} (x_{self.start - 1}) and {right!r} (x_{self.end})"
        ]
        for i, target in enumerate(self.targets):
            guesses = ", ".join(f"{tok} {p:.2f}" for tok, p in self.sbo_top[i])
            lines.append(
                f"  p{i} {target!r}: SBO {self.sbo_target_prob[i]:.2f}, "
                f"MLM {self.mlm_target_prob[i]:.2f}; SBO top: {guesses}"
            )
        return "\n".join(lines)


def draw_span_tokens(
    ax: Axes, tokens: Sequence[str], start: int, end: int, *, width: int = 14
) -> None:
    """Draw ``tokens`` as boxes, ``width`` per line: the span orange, its boundaries blue."""
    ax.set_axis_off()
    rows = math.ceil(len(tokens) / width)
    ax.set_xlim(0, width)
    ax.set_ylim(rows, -0.1)
    for i, token in enumerate(tokens):
        if start <= i < end:
            role = "span"
        elif i in (start - 1, end):
            role = "boundary"
        elif token.startswith("[") and token.endswith("]"):
            role = "special"
        else:
            role = ""
        row, col = divmod(i, width)
        ax.text(
            col + 0.5,
            row + 0.5,
            token,
            ha="center",
            va="center",
            fontsize=7,
            bbox={
                "boxstyle": "round,pad=0.2",
                "fc": ROLE_COLOURS[role],
                "ec": "#999999",
                "lw": 0.5,
            },
        )


def plot_sbo_predictions(view: SboView, *, width: int = 12) -> Figure:
    """The sentence with its span, then one bar chart of SBO guesses per span position.

    The true token's bar is green; each panel's title gives the relative position, the target
    and its probability under the SBO head and under the MLM head.
    """
    n = len(view.targets)
    rows = math.ceil(len(view.tokens) / width)
    fig = plt.figure(figsize=(max(7.0, 2.3 * n), 0.45 * rows + 2.6))
    grid = fig.add_gridspec(
        2, n, height_ratios=[0.45 * rows + 0.2, 2.2], hspace=0.45, wspace=0.9, left=0.12, right=0.97
    )
    draw_span_tokens(fig.add_subplot(grid[0, :]), view.tokens, view.start, view.end, width=width)
    left, right = view.boundaries
    fig.suptitle(
        f"SBO: predict each span token from {left!r} + {right!r} + its position", fontsize=10
    )
    for i, target in enumerate(view.targets):
        ax = fig.add_subplot(grid[1, i])
        guesses = list(view.sbo_top[i])[::-1]
        colours = ["#2e9e44" if tok == target else "#9aa5b1" for tok, _ in guesses]
        ax.barh([tok for tok, _ in guesses], [p for _, p in guesses], color=colours)
        ax.set_xlim(0, 1)
        ax.tick_params(labelsize=7)
        ax.set_title(
            f"p{i}: {target!r}\nSBO {view.sbo_target_prob[i]:.2f} · MLM {view.mlm_target_prob[i]:.2f}",
            fontsize=8,
        )
        ax.set_xlabel("probability", fontsize=7)
    return fig


def plot_sbo_losses(history: Mapping[str, Sequence[float]], *, smooth: int = 10) -> Figure:
    """Loss curves of a training run: one line per key (e.g. ``mlm_loss``, ``sbo_loss``).

    Args:
        history: name → per-step values.
        smooth: width of the trailing moving average drawn over the raw (faint) curve.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for name, values in history.items():
        (line,) = ax.plot(values, alpha=0.25, lw=0.8)
        k = max(1, smooth)
        avg = []
        for j in range(len(values)):
            window = values[max(0, j - k + 1) : j + 1]
            avg.append(sum(window) / len(window))
        ax.plot(avg, color=line.get_color(), label=name)
    ax.set(xlabel="step", ylabel="cross-entropy (nats)", title="training losses")
    ax.legend()
    return fig
