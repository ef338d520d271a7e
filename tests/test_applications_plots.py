"""Notebook 06's figures: every point drawn with its interval, where the data puts it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from spanbert_lab.course.plots.applications import plot_label_curve

CURVES = {
    "random-tiny": {5: [0.62, 0.58, 0.66], 15: [0.86, 0.83, 0.89], 60: [0.97, 0.96, 0.99]},
    "spanbert-tiny": {5: [0.71, 0.68, 0.74], 15: [0.93, 0.92, 0.93], 60: [0.98, 0.98, 0.99]},
}


def test_label_curve_draws_each_point_with_its_interval():
    fig = plot_label_curve(CURVES, title="t", ylabel="macro-F1")
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert len(lines) == 2
    for line, points in zip(lines, CURVES.values(), strict=True):
        assert list(line.get_ydata()) == [points[n][0] for n in sorted(points)]
        xs = line.get_xdata()  # shifted sideways a little, never onto another size
        assert all(0.9 * n < x < 1.1 * n for x, n in zip(xs, sorted(points), strict=True))
    # the interval bars reach the stored bounds
    low, high = ax.get_ylim()
    assert low <= 0.58 and high >= 0.99
    assert [t.get_text() for t in ax.get_xticklabels()] == ["5", "15", "60"]
    plt.close(fig)


def test_label_curve_refuses_empty_input():
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_label_curve({}, title="t", ylabel="y")
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_label_curve({"bert-tiny": {}}, title="t", ylabel="y")
