"""The study's figures: every seed drawn, intervals drawn, axes that fit the numbers."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from spanbert_lab.course.plots.study import plot_differences, plot_study_summary


def _stats(values):
    mean = sum(values) / len(values)
    sd = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
    return {
        "mean": mean,
        "sd": sd,
        "n": len(values),
        "min": min(values),
        "max": max(values),
        "values": values,
    }


SUMMARY = {
    "baseline": "bert-tiny",
    "tasks": [
        {
            "task": "qa-v1.1",
            "test": {
                "random-tiny": {"f1": _stats([20.0, 21.0, 19.5])},
                "bert-tiny": {"f1": _stats([55.0, 56.0, 54.0])},
                "spanbert-tiny": {"f1": _stats([60.0, 61.5, 59.0])},
            },
            "versus_baseline": {
                "random-tiny": {"value": -35.0, "low": -37.0, "high": -33.0},
                "spanbert-tiny": {"value": 5.0, "low": 3.5, "high": 6.4},
            },
        },
        {"task": "ner", "test": {}, "versus_baseline": {}},
    ],
}


def test_summary_draws_every_seed_and_fits_the_axes():
    fig = plot_study_summary(SUMMARY, metrics={"qa-v1.1": "f1"})
    top, bottom = fig.axes
    dots = sum(len(line.get_xdata()) for line in top.get_lines() if line.get_marker() == "o")
    assert dots == 9, "one dot per seed and encoder"
    low, high = top.get_ylim()
    assert 15 < low < 19.5 and 61.5 < high < 70, "the axis fits the seeds, it does not start at 0"
    b_low, b_high = bottom.get_ylim()
    assert b_low < -37 and b_high > 6.4, "every interval and 0 are inside the axis"
    assert "minus bert-tiny" in bottom.get_title()
    plt.close(fig)


def test_summary_refuses_unknown_tasks():
    with pytest.raises(ValueError, match="none of"):
        plot_study_summary(SUMMARY, metrics={"parsing": "f1"})


def test_differences_show_counts_and_zero():
    fig = plot_differences(
        {"1 word": (1.0, -0.5, 2.5, 120), "2–3": (3.0, 1.0, 5.0, 300)}, title="t", ylabel="F1"
    )
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["1 word\nn=120", "2–3\nn=300"]
    low, high = ax.get_ylim()
    assert low < -0.5 and high > 5.0
    plt.close(fig)
