"""Notebook 06's figures: every point drawn with its interval, where the data puts it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from spanbert_lab.course.plots.applications import plot_label_curve, plot_probe_curves

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


PROBE = {
    "majority": [0.15, 0.12, 0.18],
    "random-tiny": [[0.60, 0.55, 0.64], [0.59, 0.55, 0.63]],
    "bert-tiny": [[0.981, 0.970, 0.992], [0.990, 0.983, 0.998]],
    "spanbert-tiny": [[0.985, 0.974, 0.994], [1.0, 1.0, 1.0]],
}


def test_probe_curves_keep_the_whole_scale_by_default():
    fig = plot_probe_curves(PROBE, title="t")
    assert fig.axes[0].get_ylim() == (0.0, 1.0)
    plt.close(fig)


def test_probe_curves_fit_the_axis_to_the_compared_curves():
    compared = {name: PROBE[name] for name in ("bert-tiny", "spanbert-tiny")}
    fig = plot_probe_curves(compared, title="t", ylim="data", margin=0.2)
    low, high = fig.axes[0].get_ylim()
    # every interval bound is inside, with 20% of the 0.970..1.0 span below and the top kept at 1
    assert low == pytest.approx(0.970 - 0.006) and high == 1.0, (low, high)
    # the two curves, 0.004 apart at layer 0, are now several percent of the axis apart, not 0.4%
    assert (0.985 - 0.981) / (high - low) > 0.1
    plt.close(fig)


def test_probe_curves_data_limits_include_the_majority_line_when_drawn():
    fig = plot_probe_curves(PROBE, title="t", ylim="data")
    low, high = fig.axes[0].get_ylim()
    assert low < 0.15 and high == 1.0, (low, high)
    plt.close(fig)


def test_probe_curves_explicit_limits_and_bad_ones():
    fig = plot_probe_curves(PROBE, title="t", ylim=(0.5, 1.0))
    assert fig.axes[0].get_ylim() == (0.5, 1.0)
    plt.close(fig)
    with pytest.raises(ValueError, match="ylim"):
        plot_probe_curves(PROBE, title="t", ylim=(1.0, 0.5))
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_probe_curves({"majority": [0.5, 0.4, 0.6]}, title="t")
