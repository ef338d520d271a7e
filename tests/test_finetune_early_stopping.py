"""Fine-tuning that converges: dev after every epoch, patience, the best epoch's weights restored,
the dev curve stored; and ``patience=None`` unchanged, bit for bit, from before it existed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from test_qa_helpers import qa_examples, save_tiny_bert

from spanbert_lab.cli import finetune as cli
from spanbert_lab.finetune import FinetuneConfig, finetune
from spanbert_lab.finetune import loop as ft_loop

GOLDEN = Path(__file__).parent / "golden" / "finetune_no_patience.json"


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """The tiny random BERT the golden run was recorded with (seed 0, 2 layers of 32)."""
    return save_tiny_bert(tmp_path_factory.mktemp("ckpt"))


BASE = FinetuneConfig(epochs=3, batch_size=4, max_length=64, doc_stride=24, seed=1,
                      learning_rate=2e-3)  # fmt: skip


def test_without_patience_a_run_is_bit_identical_to_the_recorded_one(checkpoint) -> None:
    """Recorded at the commit before early stopping existed (``tests/golden``)."""
    golden = json.loads(GOLDEN.read_text())
    result = finetune("qa", checkpoint, config=BASE, train=qa_examples(10, 11),
                      dev=qa_examples(5, 12), test=qa_examples(5, 13), progress=False)  # fmt: skip
    losses = [h["loss"] for h in result.history]
    assert losses == golden["losses"], "the losses of a patience=None run changed"
    assert result.metrics == golden["metrics"] and result.test["metrics"] == golden["test"]
    assert result.early_stopping is None


class ScriptedDev:
    """Stands in for the dev evaluation: returns the scripted scores epoch after epoch, and at
    each epoch scores the current model on test for real (what the restored weights must give)."""

    def __init__(self, monkeypatch, dev: list[dict], scores: list[float]) -> None:
        self.scores, self.test_reports, self.weights = list(scores), [], []
        real = ft_loop._evaluator

        def fake(spec, model, tokenizer, examples, config, labels):
            run = real(spec, model, tokenizer, examples, config, labels)
            if examples is not dev:
                return run

            def scripted(net):
                self.weights.append(next(net.parameters()).detach().clone())
                self.test_reports.append(self.score_test(net))
                report = run(net)
                return {**report, "metrics": {**report["metrics"], "f1": self.scores.pop(0)}}

            return scripted

        self.real = real
        monkeypatch.setattr(ft_loop, "_evaluator", fake)

    def bind_test(self, spec, model, tokenizer, test, config) -> None:
        self.score_test = self.real(spec, model, tokenizer, test, config, None)


def _scripted_run(checkpoint, monkeypatch, scores, **overrides):
    train, dev, test = qa_examples(10, 11), qa_examples(5, 12), qa_examples(5, 13)
    script = ScriptedDev(monkeypatch, dev, scores)
    real_load = ft_loop.load_task_model

    def load(*args, **kwargs):
        net, tokenizer, new = real_load(*args, **kwargs)
        script.bind_test(ft_loop.get_task("qa"), net, tokenizer, test, config)
        return net, tokenizer, new

    monkeypatch.setattr(ft_loop, "load_task_model", load)
    config = FinetuneConfig(**{**BASE.__dict__, "epochs": 8, "patience": 2, **overrides})
    result = finetune("qa", checkpoint, config=config, train=train, dev=dev, test=test,
                      progress=False)  # fmt: skip
    return result, script


def test_patience_stops_when_dev_stops_improving_and_restores_the_best_epoch(
    checkpoint, monkeypatch, tmp_path
) -> None:
    result, script = _scripted_run(checkpoint, monkeypatch, [10.0, 30.0, 25.0, 29.0, 50.0])
    record = result.early_stopping
    assert record["best_epoch"] == 2 and record["stopped_early"] is True
    assert [p["epoch"] for p in record["dev_curve"]] == [1, 2, 3, 4], "stops 2 epochs after 2"
    assert [p["dev"]["f1"] for p in record["dev_curve"]] == [10.0, 30.0, 25.0, 29.0]
    per_epoch = len(result.history) // 4
    updates = [p["update"] for p in record["dev_curve"]]
    assert updates == [per_epoch * e for e in (1, 2, 3, 4)], updates
    assert {h["epoch"] for h in result.history} == {0, 1, 2, 3}, "training ran exactly 4 epochs"
    assert all(p["train_loss"] > 0 for p in record["dev_curve"])
    # the weights are the best epoch's, and test was scored with them
    assert torch.equal(next(result.trained_model.parameters()), script.weights[1])
    assert not torch.equal(script.weights[1], script.weights[3]), "training moved the weights"
    assert result.test["metrics"] == script.test_reports[1]["metrics"]
    assert result.metrics["f1"] == 30.0, "the reported dev metrics are the best epoch's"
    # the schedule runs over the maximum (8 epochs): the rate had not reached 0 at the stop
    assert result.history[-1]["lr"] > 0
    saved = json.loads((result.save(tmp_path / "run") / "eval_results.json").read_text())
    assert saved["best_epoch"] == 2 and len(saved["dev_curve"]) == 4 and saved["stopped_early"]


def test_gains_below_min_delta_are_not_improvements_and_max_epochs_ends_a_run(
    checkpoint, monkeypatch
) -> None:
    result, _ = _scripted_run(
        checkpoint, monkeypatch, [10.0, 10.05, 10.09, 20.0], epochs=4, min_delta=0.1, patience=3
    )
    record = result.early_stopping
    assert record["best_epoch"] == 4 and record["stopped_early"] is False
    result, _ = _scripted_run(checkpoint, monkeypatch, [10.0, 10.05, 10.09], min_delta=0.1)
    assert result.early_stopping["best_epoch"] == 1 and result.early_stopping["stopped_early"]
    # patience runs out exactly at the last epoch: the run reached its maximum, not stopped early
    result, _ = _scripted_run(checkpoint, monkeypatch, [10.0, 20.0, 15.0, 14.0], epochs=4)
    record = result.early_stopping
    assert record["best_epoch"] == 2 and len(record["dev_curve"]) == 4
    assert record["stopped_early"] is False


def test_the_cli_takes_patience_and_stores_the_curve(checkpoint, tmp_path, monkeypatch) -> None:
    import datasets

    splits = {"train": qa_examples(6, 7), "dev": qa_examples(4, 8), "test": qa_examples(4, 9)}
    monkeypatch.setattr(cli, "load_course_split",
                        lambda task, split, version="1.1": datasets.Dataset.from_list(splits[split]))  # fmt: skip
    results = tmp_path / "res.json"
    argv = ["qa", "--model", str(checkpoint), "--epochs", "3", "--patience", "1",
            "--min-delta", "0.5", "--batch-size", "4", "--max-length", "64", "--test-split",
            "test", "--results", str(results), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    run = json.loads(results.read_text())["runs"][0]
    assert 1 <= len(run["dev_curve"]) <= 3 and run["monitor"] == "f1"
    assert run["best_epoch"] in {p["epoch"] for p in run["dev_curve"]}
    assert set(run["dev_curve"][0]) == {"epoch", "update", "train_loss", "dev"}
    assert "test_metrics" in run


def test_patience_is_validated_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="patience"):
        FinetuneConfig(patience=0)
    with pytest.raises(ValueError, match="min_delta"):
        FinetuneConfig(min_delta=-1.0)


def test_qa_v2_stores_null_scores_and_scores_test_at_the_dev_threshold(checkpoint, tmp_path):
    from spanbert_lab.tasks.qa.features import squad_json
    from spanbert_lab.tasks.qa.metric import score_at_threshold

    dev, test = qa_examples(6, 2), qa_examples(6, 4)
    for ex in dev[:2] + test[:3]:
        ex["answers"] = {"text": [], "answer_start": []}
    config = FinetuneConfig(**{**BASE.__dict__, "version": "2.0", "epochs": 2, "patience": 1,
                               "monitor": "best_f1"})  # fmt: skip
    result = finetune("qa", checkpoint, config=config, train=qa_examples(8, 3), dev=dev,
                      test=test, progress=False)  # fmt: skip
    metrics = result.test["metrics"]
    assert {"f1", "exact", "f1@dev_threshold", "exact@dev_threshold"} <= set(metrics)
    assert result.early_stopping["monitor"] == "best_f1"
    out = result.save(tmp_path / "run")
    for folder, examples in ((out, dev), (out / "test", test)):
        stored = json.loads((folder / "null_scores.json").read_text())
        assert set(stored) == {e["id"] for e in examples}
        assert all(set(v) == {"answer", "na_score"} for v in stored.values())
    stored = json.loads((out / "test" / "null_scores.json").read_text())
    at_zero, _ = score_at_threshold(squad_json(test), stored, 0.0)
    assert at_zero["f1"] == pytest.approx(metrics["f1"]), "threshold 0 recomputed from the files"
    at_dev, _ = score_at_threshold(squad_json(test), stored, metrics["dev_null_threshold"])
    assert at_dev["f1"] == pytest.approx(metrics["f1@dev_threshold"])
    columns = json.loads((out / "test" / "example_scores.json").read_text())["columns"]
    assert columns == ["f1", "exact", "f1@dev_threshold", "exact@dev_threshold"]
