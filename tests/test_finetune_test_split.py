"""``--test-split``: every fine-tuned model is also scored on the test split, with per-example
scores (what the study's paired bootstrap resamples)."""

from __future__ import annotations

import json

import pytest

from spanbert_lab.cli.finetune import main
from spanbert_lab.data import load_classification, load_qa


def test_test_split_writes_test_metrics_and_example_scores(tmp_path):
    out, results = tmp_path / "out", tmp_path / "results.json"
    status = main(["classify", "--model", "spanbert-tiny", "--max-train", "32", "--max-eval", "16",
                   "--max-steps", "2", "--batch-size", "16", "--threads", "1", "--no-progress",
                   "--test-split", "test", "--output", str(out), "--results", str(results)])  # fmt: skip
    assert status == 0
    run = json.loads(results.read_text())["runs"][0]
    assert set(run["test_metrics"]) == {"accuracy", "macro_f1"}
    test_scores = json.loads((out / "seed0" / "test" / "example_scores.json").read_text())
    dev_scores = json.loads((out / "seed0" / "example_scores.json").read_text())
    assert len(test_scores["ids"]) == len(load_classification("test")), "test is never cut"
    assert len(dev_scores["ids"]) == 16
    accuracy = 100 * sum(r[0] for r in test_scores["scores"]) / len(test_scores["scores"])
    assert accuracy == pytest.approx(run["test_metrics"]["accuracy"])


def test_qa_reports_both_span_units_from_the_same_logits(tmp_path):
    results = tmp_path / "results.json"
    status = main(["qa", "--model", "spanbert-tiny", "--max-train", "16", "--max-eval", "24",
                   "--max-steps", "2", "--batch-size", "8", "--max-length", "128", "--threads",
                   "1", "--no-progress", "--results", str(results)])  # fmt: skip
    assert status == 0
    metrics = json.loads(results.read_text())["runs"][0]["metrics"]
    assert {"exact_match", "f1", "exact_match@tokens", "f1@tokens"} <= set(metrics)
    assert len(load_qa("dev")) > 24


def test_test_split_with_own_data_is_refused(tmp_path, capsys):
    data = tmp_path / "train.tsv"
    data.write_text("a b c\tx\nd e f\ty\n")
    status = main(["classify", "--model", "spanbert-tiny", "--data", str(data),
                   "--test-split", "test"])  # fmt: skip
    assert status == 2
    assert "--test-split" in capsys.readouterr().err
