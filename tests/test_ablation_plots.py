"""The ablation study's figures draw exactly the numbers they are given: intervals, the paper's
marks, every run, the budgets in order; bad input is refused with a message."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from spanbert_lab.course.plots.ablations import (
    plot_ablation_differences,
    plot_bridge,
    plot_budget_gaps,
    plot_finetune_curves,
    plot_leakage,
    plot_rate_selection,
    plot_span_filling,
)


def _points(ax, marker):
    return [
        tuple(np.asarray(line.get_data()).ravel())
        for line in ax.lines
        if line.get_marker() == marker
    ]


def test_differences_draw_each_interval_and_the_papers_mark():
    ours = {
        "qa-v1.1": {"span − subword": (2.0, 0.5, 3.5), "span_sbo − span": (-1.0, -3.0, 1.0)},
        "coref": {"span − subword": None, "span_sbo − span": (4.0, 1.0, 7.0)},
    }
    paper = {
        "qa-v1.1": {"span − subword": 1.6, "span_sbo − span": 0.1},
        "coref": {"span_sbo − span": 2.7},
    }
    fig = plot_ablation_differences(ours, paper, title="Table 7")
    qa, coref = fig.axes[:2]
    assert [t.get_text() for t in qa.get_yticklabels()] == ["span − subword", "span_sbo − span"]
    assert sorted(_points(qa, "o")) == [(-1.0, 1.0), (2.0, 0.0)]  # (diff, row)
    assert sorted(_points(qa, "D")) == [(0.1, 1.0), (1.6, 0.0)]
    assert _points(coref, "o") == [(4.0, 1.0)] and _points(coref, "D") == [(2.7, 1.0)]
    colours = {
        line.get_xdata()[0]: line.get_color() for line in qa.lines if line.get_marker() == "o"
    }
    assert colours[2.0] == "#d62728" and colours[-1.0] == "#555555", "excludes 0 / includes 0"
    plt.close(fig)
    with pytest.raises(ValueError, match="no task has a measured comparison"):
        plot_ablation_differences({"coref": {"x": None}}, {}, title="t")


def _gap(a, b, d):
    return {"a": a, "b": b, "diff": d, "low": d - 1, "high": d + 1}


BUDGET = {
    "metric": "f1",
    "budgets": {
        b: {
            "arms": {"subword": {"mean": m, "values": [m - 1, m + 1]},
                     "span_sbo": {"mean": m + g, "values": [m + g - 1, m + g + 1]}},
            "gaps": [_gap("span_sbo", "subword", g)],
        }
        for b, m, g in (("2", 30.0, 20.0), ("4", 50.0, 12.0), ("8", 60.0, 8.0), ("converged", 65.0, 5.0))
    },
}  # fmt: skip


def test_budget_gaps_in_budget_order_with_every_run():
    fig = plot_budget_gaps(BUDGET)
    left, right = fig.axes
    assert [t.get_text() for t in right.get_xticklabels()] == [
        "2 epochs",
        "4 epochs",
        "8 epochs",
        "converged",
    ]
    gap_line = next(line for line in right.lines if len(line.get_ydata()) == 4)
    assert list(gap_line.get_ydata()) == [20.0, 12.0, 8.0, 5.0]
    means = [list(line.get_ydata()) for line in left.lines if line.get_marker() == "s"]
    assert [30.0, 50.0, 60.0, 65.0] in means and [50.0, 62.0, 68.0, 70.0] in means
    dots = [y for line in left.lines if line.get_marker() == "o" for y in line.get_ydata()]
    assert len(dots) == 16, "every run of every arm at every budget"
    plt.close(fig)
    fig = plot_budget_gaps(BUDGET, budgets=["converged", "2"])
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["converged", "2 epochs"]
    plt.close(fig)
    # two gaps sharing their first arm (and so its colour) are told apart by marker and line
    two = {"metric": "f1", "budgets": {"2": {
        "arms": {a: {"mean": 1.0, "values": [1.0]} for a in ("subword", "span", "span_sbo")},
        "gaps": [_gap("span_sbo", "subword", 2.0), _gap("span_sbo", "span", 1.0)],
    }}}  # fmt: skip
    fig = plot_budget_gaps(two)
    styles = {(line.get_marker(), line.get_linestyle()) for line in fig.axes[1].lines
              if line.get_marker() not in ("None", "_", None) and len(line.get_ydata()) == 1}  # fmt: skip
    assert len(styles) == 2, styles
    plt.close(fig)


def test_finetune_curves_smooth_the_loss_and_mark_the_best_epoch():
    run = {
        "losses": [4.0, 2.0, 3.0, 1.0],
        "dev_curve": [{"epoch": 1, "update": 2, "dev": {"f1": 10.0}}, {"epoch": 2, "update": 4, "dev": {"f1": 30.0}}],
        "best_epoch": 2,
    }  # fmt: skip
    fig = plot_finetune_curves({"span_sbo": [run]}, metric="f1", smooth=2)
    left, right = fig.axes
    assert list(left.lines[0].get_ydata()) == [4.0, 3.0, 2.5, 2.0]
    assert list(right.lines[0].get_ydata()) == [10.0, 30.0]
    assert _points(right, "*") == [(4.0, 30.0)]
    plt.close(fig)
    fig = plot_finetune_curves({"span": [run]}, metric="f1", marks={"2 epochs": 3})
    for ax in fig.axes:
        (mark,) = [ln for ln in ax.lines if ln.get_label() == "2 epochs"]
        assert list(mark.get_xdata()) == [3, 3]
    plt.close(fig)
    with pytest.raises(ValueError, match="smooth must be at least 1"):
        plot_finetune_curves({"span": [run]}, metric="f1", smooth=0)
    with pytest.raises(ValueError, match="no runs"):
        plot_finetune_curves({"span": []}, metric="f1")


def test_leakage_bars_stack_to_100_and_print_the_share_and_counts():
    fig = plot_leakage(
        {"dev": {"leaked": 67, "clean": 471}, "test": {"leaked": 62, "clean": 470}}, title="QA"
    )
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([100 * 471 / 538, 100 * 470 / 532, 100 * 67 / 538, 6200 / 532])
    assert [p.get_y() + p.get_height() for p in ax.patches[2:]] == pytest.approx([100, 100])
    assert [t.get_text() for t in ax.texts] == ["12.5%\n(67 of 538)", "11.7%\n(62 of 532)"]
    plt.close(fig)
    with pytest.raises(ValueError, match="needs 'leaked' and 'clean'"):
        plot_leakage({"dev": {"leaked": 1}}, title="QA")
    with pytest.raises(ValueError, match="has no items"):
        plot_leakage({"dev": {"leaked": 0, "clean": 0}}, title="QA")


def test_a_summarys_comparisons_become_the_figures_rows(tmp_path):
    import json

    from spanbert_lab.tools.study.ablations.read import (
        paper_differences,
        run_curves,
        table_differences,
    )

    summary = {"tasks": {"qa-v2.0": {
        "comparisons": [{"a": "span_sbo", "b": "span", "diff": 1.0, "low": -1.0, "high": 3.0}],
        "threshold_0": {"comparisons": [{"a": "span_sbo", "b": "span", "diff": 2.0, "low": 0.5, "high": 3.5}]},
    }}}  # fmt: skip
    pairs = [("span_sbo", "span"), ("span", "span+nsp")]
    rows = table_differences(summary, pairs, {"v2 dev": ("qa-v2.0", "comparisons"),
                                              "v2 at 0": ("qa-v2.0", "threshold_0"), "coref": ("coref", "comparisons")})  # fmt: skip
    assert rows["v2 dev"] == {"span_sbo − span": (1.0, -1.0, 3.0), "span − span+nsp": None}
    assert rows["v2 at 0"]["span_sbo − span"] == (2.0, 0.5, 3.5)
    assert rows["coref"] == {"span_sbo − span": None, "span − span+nsp": None}, "not run yet"
    paper = paper_differences(pairs, squad_column="v2 dev", coref_column="coref")
    assert paper == {"v2 dev": {"span_sbo − span": 0.1, "span − span+nsp": 1.3},
                     "coref": {"span_sbo − span": 2.7, "span − span+nsp": -0.1}}  # fmt: skip
    with pytest.raises(ValueError, match="block 'dev'"):
        table_differences(summary, pairs, {"x": ("qa-v2.0", "dev")})
    run = tmp_path / "run"
    (run / "seed0").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="not a finished run"):
        run_curves(run, 0)
    (run / "done.json").write_text("{}")
    curve = [{"epoch": 1, "update": 2, "train_loss": 3.0, "dev": {"f1": 5.0}}]
    (run / "result.json").write_text(
        json.dumps({"runs": [{"dev_curve": curve, "best_epoch": 1, "stopped_early": False}]})
    )
    (run / "seed0" / "history.json").write_text(json.dumps([{"kind": "train", "step": 1, "loss": 4.0},
                                                            {"kind": "train", "step": 2, "loss": 3.0}]))  # fmt: skip
    got = run_curves(run, 0)
    assert got == {
        "losses": [4.0, 3.0],
        "dev_curve": curve,
        "best_epoch": 1,
        "stopped_early": False,
    }


def test_span_filling_draws_a_dot_per_seed_and_a_bar_at_the_mean():
    filling = {
        "subword": {"seed0": {"single tokens": 0.7, "spans": 0.4}, "seed1": {"single tokens": 0.5, "spans": 0.2}},
        "span": {"seed0": {"single tokens": 0.45, "spans": 0.35}},
    }  # fmt: skip
    fig = plot_span_filling(filling, ["subword", "span"])
    spans = fig.axes[1]
    assert spans.get_title() == "masked spans"
    assert [list(c.get_offsets()[:, 1]) for c in spans.collections] == [[0.4, 0.2], [0.35]]
    assert [list(line.get_ydata()) for line in spans.lines] == [
        pytest.approx([0.3, 0.3]), pytest.approx([0.35, 0.35])
    ]  # fmt: skip
    plt.close(fig)
    with pytest.raises(ValueError, match="no encoder scored"):
        plot_span_filling(filling, ["entity"])
    with pytest.raises(ValueError, match="no score for"):
        plot_span_filling({"span": {"seed0": {"spans": 0.3}}}, ["span"])


def test_the_bridge_pairs_each_encoders_filling_with_its_own_seeds_test_mean():
    from spanbert_lab.tools.study.ablations.read import bridge_points, seed_means

    runs = [(0, 0, 50.0), (0, 1, 54.0), (1, 0, 40.0), (1, 1, 44.0)]
    summary = {
        "tasks": {"qa": {"arms": {"span": {
            "epochs": [{"pretrain_seed": p, "finetune_seed": f} for p, f, _ in runs],
            "test": {"mean": 47.0, "values": [v for _, _, v in runs]},
        }}}},
        "span_filling": {"span": {"seed0": {"spans": 0.3, "single tokens": 0.5},
                                  "seed1": {"spans": 0.2, "single tokens": 0.4}}},
    }  # fmt: skip
    assert seed_means(summary, "qa", "span") == {0: 52.0, 1: 42.0}
    points = bridge_points(summary, "qa")
    assert points == [
        {"arm": "span", "seed": 0, "filling": 0.3, "test": 52.0},
        {"arm": "span", "seed": 1, "filling": 0.2, "test": 42.0},
    ]
    assert [p["filling"] for p in bridge_points(summary, "qa", masks="single tokens")] == [0.5, 0.4]
    del summary["span_filling"]["span"]["seed1"]  # an encoder not scored yet is left out
    assert [p["seed"] for p in bridge_points(summary, "qa")] == [0]
    with pytest.raises(KeyError):
        bridge_points(summary, "coref")
    fig = plot_bridge(points, xlabel="span filling", ylabel="QA F1")
    assert [list(c.get_offsets()[0]) for c in fig.axes[0].collections] == [[0.3, 52.0], [0.2, 42.0]]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["span"]
    plt.close(fig)
    with pytest.raises(ValueError, match="no points"):
        plot_bridge([], xlabel="x", ylabel="y")


def test_rate_selection_draws_every_rate_and_rings_the_pick():
    arms = {"span": {"dev_by_lr": {"0.001": 50.0, "0.002": 60.0, "0.004": 55.0}, "selected_lr": 0.002},
            "subword": {"dev_by_lr": {"0.004": 30.0, "0.002": 20.0}, "selected_lr": 0.004}}  # fmt: skip
    fig = plot_rate_selection(arms, metric="f1")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    curves = [line for line in ax.lines if line.get_linestyle() == "-"]
    assert [list(c.get_xdata()) for c in curves] == [[0.001, 0.002, 0.004], [0.002, 0.004]]
    assert [list(c.get_ydata()) for c in curves] == [[50.0, 60.0, 55.0], [20.0, 30.0]]
    rings = [line for line in ax.lines if line.get_linestyle() == "None"]
    assert [(r.get_xdata()[0], r.get_ydata()[0]) for r in rings] == [(0.002, 60.0), (0.004, 30.0)]
    plt.close(fig)
    with pytest.raises(ValueError, match="no dev scores"):
        plot_rate_selection({"span": {"dev_by_lr": {}, "selected_lr": 0.001}}, metric="f1")
    assert plt.get_fignums() == [], "a refused figure leaves no open figure behind"
