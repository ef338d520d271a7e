"""Reading a pretraining run's metrics.jsonl across stops and resumes."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pytest

from spanbert_lab.course.plots.pretraining import plot_history
from spanbert_lab.pretrain.metrics_log import history_from_log, log_seconds, read_metrics_log


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _row(step, elapsed, **extra):
    return {"step": step, "mlm_loss": 5.0 - step / 1000, "elapsed_s": elapsed, **extra}


def test_a_resumed_run_counts_every_sitting_and_each_step_once(tmp_path):
    # sitting 1 logs steps 500..1500, stops after 1500 but before its checkpoint;
    # sitting 2 resumes from the checkpoint at 1000, repeats 1500, goes on to 2000
    path = _write(
        tmp_path / "metrics.jsonl",
        [
            _row(500, 80.0),
            _row(1000, 160.0),
            _row(1500, 240.0, dev_mlm_accuracy=0.1),
            _row(1500, 85.0, dev_mlm_accuracy=0.2),
            _row(2000, 170.0),
        ],
    )
    assert log_seconds(path) == pytest.approx(240.0 + 170.0)
    rows = read_metrics_log(path)
    assert [r["step"] for r in rows] == [500, 1000, 1500, 2000]
    assert rows[2]["dev_mlm_accuracy"] == 0.2  # the repeat (the run that went on) wins


def test_history_from_log_feeds_plot_history(tmp_path):
    rows = [_row(500, 80.0, sbo_loss=6.0, dev_mlm_accuracy=0.3, dev_sbo_accuracy=0.2)]
    history = history_from_log(rows)
    assert history["eval"] == [{"step": 500, "mlm_accuracy": 0.3, "sbo_accuracy": 0.2}]
    assert history["train"][0]["sbo_loss"] == 6.0 and history["train"][0]["nsp_loss"] is None
    fig = plot_history({"a": history}, smooth=1)
    assert fig.axes[1].get_lines()  # the accuracy panel drew the evaluations
    plt.close(fig)


def test_a_broken_log_names_the_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps(_row(500, 1.0)) + "\n{not json\n")
    with pytest.raises(ValueError, match=r"metrics.jsonl:2: not a JSON record"):
        read_metrics_log(path)
    path.write_text(json.dumps({"step": 1}) + "\n")
    with pytest.raises(ValueError, match="needs 'step' and 'elapsed_s'"):
        log_seconds(path)


def test_header_records_are_kept_apart_from_the_metrics(tmp_path):
    from spanbert_lab.pretrain.metrics_log import append_header, read_log_headers

    path = tmp_path / "metrics.jsonl"
    append_header(path, {"masking": {"geometric_p": 0.5}})
    with path.open("a") as out:
        out.write(json.dumps({"step": 10, "loss": 3.0, "elapsed_s": 5.0}) + "\n")
    append_header(path, {"masking": {"geometric_p": 0.5}})  # a resumed sitting
    with path.open("a") as out:
        out.write(json.dumps({"step": 20, "loss": 2.0, "elapsed_s": 4.0}) + "\n")
    assert [r["step"] for r in read_metrics_log(path)] == [10, 20]
    assert log_seconds(path) == pytest.approx(9.0)
    assert [h["masking"]["geometric_p"] for h in read_log_headers(path)] == [0.5, 0.5]
    assert history_from_log(read_metrics_log(path))["train"][0]["step"] == 10
