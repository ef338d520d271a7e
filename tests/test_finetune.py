"""Fine-tuning: model loading, the loop's determinism, QA/NER/classification end to end, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from test_qa_helpers import make_tokenizer, qa_examples, save_tiny_bert

from spanbert_lab import finetune as ft
from spanbert_lab.cli import finetune as cli
from spanbert_lab.finetune import FinetuneConfig, finetune, resolve_model_path
from spanbert_lab.finetune.seeds import aggregate
from spanbert_lab.tasks import get_task

NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models run fastest on one thread (and do not fight the other test processes)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A tiny random BERT encoder + tokenizer saved as a checkpoint directory."""
    return save_tiny_bert(tmp_path_factory.mktemp("ckpt"))


def ner_examples() -> list[dict]:
    rows = [
        (["Zoë", "was", "in", "São", "Paulo"], [1, 0, 0, 3, 4]),
        (["the", "king", "Dvořák", "built", "the", "tower"], [0, 0, 1, 0, 0, 0]),
        (["Kraków", "is", "a", "city"], [3, 0, 0, 0]),
        (["Ōsaka", "and", "Москва"], [3, 0, 3]),
    ]
    return [{"id": str(i), "tokens": t, "ner_tags": g} for i, (t, g) in enumerate(rows)]


def test_unknown_model_gives_a_clear_error(tmp_path, capsys) -> None:
    with pytest.raises(FileNotFoundError, match=r"config\.json.*--allow-download"):
        resolve_model_path(tmp_path / "nope")
    assert resolve_model_path("org/some-model", allow_download=True) == "org/some-model"
    assert cli.main(["qa", "--model", str(tmp_path / "nope")]) == 2
    assert "no model at" in capsys.readouterr().err


def test_config_validation_names_the_field() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        FinetuneConfig(batch_size=0)
    with pytest.raises(ValueError, match="version"):
        FinetuneConfig(version="3")  # type: ignore[arg-type]


def test_qa_run_is_a_function_of_its_seed_and_leaves_global_rng_alone(checkpoint) -> None:
    train, dev = qa_examples(12, 0), qa_examples(6, 1)
    config = FinetuneConfig(max_steps=6, batch_size=4, max_length=64, doc_stride=24, seed=3,
                            warmup_ratio=0.5)  # fmt: skip
    before = torch.random.get_rng_state()
    a = finetune("qa", checkpoint, config=config, train=train, dev=dev, progress=False)
    assert torch.equal(before, torch.random.get_rng_state()), "global torch RNG was advanced"
    b = finetune("qa", checkpoint, config=config, train=train, dev=dev, progress=False)
    c = finetune("qa", checkpoint, config=FinetuneConfig(**{**config.__dict__, "seed": 4}),
                 train=train, dev=dev, progress=False)  # fmt: skip
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]
    assert a.metrics == b.metrics and a.predictions == b.predictions
    assert [h["loss"] for h in a.history] != [h["loss"] for h in c.history], "seed has no effect"
    assert set(a.metrics) == {"exact_match", "f1", "exact_match@tokens", "f1@tokens"}
    assert 0 <= a.metrics["exact_match"] <= a.metrics["f1"] <= 100
    assert set(a.predictions) == {e["id"] for e in dev}
    assert any(k.startswith("qa_outputs") for k in a.new_keys)
    # warm-up then linear decay, as in schedule.lr_at_step
    lrs = [h["lr"] for h in a.history]
    assert lrs[0] < max(lrs) and lrs[-1] < max(lrs)


def test_qa_training_fits_a_small_set(checkpoint) -> None:
    """Tiny-overfit check: on 8 examples the loss falls and train EM becomes high."""
    train = qa_examples(8, 5)
    config = FinetuneConfig(max_steps=100, batch_size=8, max_length=96, learning_rate=3e-3,
                            warmup_ratio=0.05, seed=0)  # fmt: skip
    result = finetune("qa", checkpoint, config=config, train=train, dev=train, progress=False)
    first, last = result.history[0]["loss"], result.history[-1]["loss"]
    assert last < 0.2 * first, f"loss only fell from {first:.3f} to {last:.3f}"
    assert result.metrics["exact_match"] >= 75.0, result.metrics


def test_squad2_evaluation_reports_fixed_and_best_thresholds(checkpoint, tmp_path) -> None:
    dev = qa_examples(6, 2)
    for ex in dev[:2]:
        ex["answers"] = {"text": [], "answer_start": []}
    config = FinetuneConfig(max_steps=2, batch_size=4, max_length=64, version="2.0")
    result = finetune("qa", checkpoint, config=config, train=qa_examples(4, 3), dev=dev,
                      progress=False)  # fmt: skip
    for key in ("exact", "f1", "HasAns_exact", "NoAns_exact", "best_f1", "best_f1_thresh"):
        assert key in result.metrics, key
    assert result.metrics["null_threshold"] == 0.0
    assert set(result.na_probs) == {e["id"] for e in dev}
    out = result.save(tmp_path / "run")
    preds = json.loads((out / "predictions.json").read_text())
    assert isinstance(preds, dict) and all(isinstance(v, str) for v in preds.values())
    assert set(json.loads((out / "na_probs.json").read_text())) == set(preds)
    assert json.loads((out / "eval_results.json").read_text())["metrics"] == result.metrics


def test_ner_end_to_end_learns_the_tags(checkpoint) -> None:
    data = ner_examples()
    config = FinetuneConfig(max_steps=80, batch_size=4, learning_rate=3e-3, seed=1)
    result = finetune("ner", checkpoint, config=config, train=data, dev=data, labels=NER_LABELS,
                      progress=False)  # fmt: skip
    assert result.metrics["f1"] >= 80.0, result.metrics
    assert len(result.predictions) == len(data)
    assert all(len(p) == len(d["tokens"]) for p, d in zip(result.predictions, data, strict=True))


def test_classification_end_to_end(checkpoint) -> None:
    texts = [("the city was built", 0), ("the river town", 1), ("Москва is a city", 0),
             ("a river in Kraków", 1), ("the tower city", 0), ("river river", 1)]  # fmt: skip
    data = [{"id": str(i), "text": t, "label": y} for i, (t, y) in enumerate(texts)]
    config = FinetuneConfig(max_steps=60, batch_size=6, learning_rate=3e-3)
    result = finetune("classify", checkpoint, config=config, train=data, dev=data,
                      labels=["city", "river"], progress=False)  # fmt: skip
    assert set(result.metrics) == {"accuracy", "macro_f1"}
    assert result.metrics["accuracy"] == 100.0, result.metrics
    with pytest.raises(ValueError, match="label names"):
        finetune("classify", checkpoint, config=config, train=data, dev=data, progress=False)


def test_course_checkpoint_format_opens_in_the_task_classes(tmp_path) -> None:
    from spanbert_lab.model import TASK_MODELS, SpanBertModel
    from spanbert_lab.model.pretraining import SpanBertConfig, SpanBertForPreTraining

    tokenizer = make_tokenizer()
    config = SpanBertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
                            num_attention_heads=4, intermediate_size=37,
                            max_position_embeddings=64, pad_token_id=0)  # fmt: skip
    SpanBertForPreTraining(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    for task in ft.task_names():
        labels = None if task == "qa" else ["a", "b"]
        model, tok, new = ft.load_task_model(tmp_path, task, labels=labels)
        assert type(model) is TASK_MODELS[get_task(task).model_class]
        assert type(model.bert) is SpanBertModel, "fine-tuning must run the course trunk"
        assert not any(k.startswith("bert.encoder") for k in new), new  # the trunk is loaded
        assert tok.is_fast


def test_aggregate_mean_and_sample_std() -> None:
    out = aggregate([{"f1": 1.0}, {"f1": 2.0}, {"f1": 6.0}])["f1"]
    assert out == {"mean": 3.0, "std": pytest.approx(2.6457513), "min": 1.0, "max": 6.0}


def test_cli_runs_seeds_and_writes_results(checkpoint, tmp_path, monkeypatch, capsys) -> None:
    import datasets

    splits = {"train": qa_examples(6, 7), "dev": qa_examples(4, 8)}
    monkeypatch.setattr(cli, "load_course_split",
                        lambda task, split, version="1.1": datasets.Dataset.from_list(splits[split]))  # fmt: skip
    results = tmp_path / "res.json"
    argv = ["qa", "--model", str(checkpoint), "--seeds", "0", "1", "--max-steps", "2",
            "--max-length", "64", "--results", str(results), "--output", str(tmp_path / "out"),
            "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    record = json.loads(results.read_text())
    assert record["command"].startswith("python -m spanbert_lab.finetune qa --model ")
    assert [r["seed"] for r in record["runs"]] == [0, 1]
    assert set(record["summary"]) == {"exact_match", "f1", "exact_match@tokens", "f1@tokens"}
    assert (tmp_path / "out" / "seed1" / "predictions.json").is_file()
    assert "exact_match:" in capsys.readouterr().out
