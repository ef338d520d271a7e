"""Relation extraction is a registered fine-tuning task: the registry lists it, ``finetune`` and the
``finetune`` command line run it, and the application study of notebook 06 goes through them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from test_qa_helpers import make_tokenizer
from transformers import BertConfig, BertForSequenceClassification, BertModel

from spanbert_lab.applications import relations as relation_app
from spanbert_lab.applications import studies
from spanbert_lab.cli.finetune import main as finetune_main
from spanbert_lab.finetune import FinetuneConfig, FinetuneResult, finetune
from spanbert_lab.finetune.models import load_task_model
from spanbert_lab.runtime import quiet_transformers
from spanbert_lab.tasks import get_task, task_names
from spanbert_lab.tasks.relations import (
    LABELS,
    MARKERS,
    SPLIT_SIZES,
    RelationExample,
    first_per_class,
    load,
    relation_scores,
    score,
)

LABEL_MAPS = {
    "num_labels": len(LABELS),
    "id2label": dict(enumerate(LABELS)),
    "label2id": {name: i for i, name in enumerate(LABELS)},
}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ckpt")
    tokenizer = make_tokenizer()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
                            num_attention_heads=4, intermediate_size=37,
                            max_position_embeddings=64, pad_token_id=tokenizer.pad_token_id)  # fmt: skip
        BertModel(config, add_pooling_layer=False).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_the_registry_lists_relation_extraction():
    assert "relations" in task_names()
    spec = get_task("relations")
    assert spec.model_class == "BertForSequenceClassification"
    assert spec.default_max_length == 96
    assert spec.added_tokens == MARKERS and len(MARKERS) == 8
    assert spec.label_names(None) == list(LABELS), "the classes are the task's, not the data's"
    # the course splits are the study's: the same sizes, the same seed
    assert {k: studies.RE_SETTINGS[k] for k in ("n_docs", "train_per_class", "test_per_class")} == {
        k: SPLIT_SIZES[k] for k in ("n_docs", "train_per_class", "test_per_class")
    }
    train, test, dev = studies.relation_data(with_dev=True)
    assert [load(s, "1.1") for s in ("train", "test", "dev")] == [train, test, dev]
    assert (len(train), len(test), len(dev)) == (775, 580, 331)
    with pytest.raises(ValueError, match="splits"):
        load("validation", "1.1")


def test_the_scorer_reports_relation_scores_on_the_registry_scale():
    ex = RelationExample("a b", (0, 1, "PER"), (2, 3, "LOC"), "birthplace")
    meta = [ex, ex, RelationExample("a b", (0, 1, "PER"), (2, 3, "ORG"), "employer")]
    logits = np.zeros((3, len(LABELS)))
    for row, name in enumerate(["birthplace", "no_relation", "employer"]):
        logits[row, LABELS.index(name)] = 1.0
    report = score(None, meta, list(logits), FinetuneConfig(), LABELS)
    want = relation_scores([m.relation for m in meta], ["birthplace", "no_relation", "employer"])
    assert report["predictions"] == ["birthplace", "no_relation", "employer"]
    assert math.isclose(report["metrics"]["macro_f1"], 100 * want["macro_f1"])
    assert math.isclose(report["metrics"]["f1_birthplace"], 100 * 2 / 3)  # P 1, R 1/2
    assert report["example_scores"]["scores"] == [[1.0], [0.0], [1.0]]


@pytest.mark.parametrize("random_init", [False, True])
def test_the_task_model_starts_as_transformers_would(checkpoint, random_init):
    """The markers get new embedding rows; head, pooler, rows (and for ``random_init`` every
    weight) are drawn as ``BertForSequenceClassification`` + ``resize_token_embeddings`` draw
    them from the same seed, so only dropout's bits differ from transformers' model."""
    net, tokenizer, new_keys = load_task_model(
        checkpoint, "relations", labels=LABELS, seed=3, random_init=random_init
    )
    reference_tokenizer = make_tokenizer()
    reference_tokenizer.add_special_tokens({"additional_special_tokens": list(MARKERS)})
    with torch.random.fork_rng(devices=[]), quiet_transformers():
        torch.manual_seed(3)
        if random_init:
            ref = BertForSequenceClassification(
                BertConfig.from_pretrained(checkpoint, **LABEL_MAPS)
            )
        else:
            ref = BertForSequenceClassification.from_pretrained(checkpoint, **LABEL_MAPS)
        ref.resize_token_embeddings(len(reference_tokenizer))
    n_words = len(make_tokenizer())
    assert len(tokenizer) == len(reference_tokenizer) == n_words + len(MARKERS)
    assert tokenizer.convert_tokens_to_ids(list(MARKERS)) == list(range(n_words, n_words + 8))
    assert tokenizer.tokenize("[SUBJ-PER] in [OBJ-LOC]") == ["[SUBJ-PER]", "in", "[OBJ-LOC]"]
    ours, theirs = net.state_dict(), ref.state_dict()
    assert set(ours) == set(theirs)
    differ = [k for k in ours if not torch.equal(ours[k], theirs[k])]
    assert not differ, f"initialised differently from transformers: {differ}"
    if random_init:
        assert new_keys == sorted(ours)
    else:
        assert new_keys == sorted(k for k in ours if k.startswith(("classifier", "bert.pooler")))


def test_finetune_runs_relations_and_the_model_classifies_a_sentence(checkpoint, one_thread):
    train, test = load("train", "1.1")[:48], load("test", "1.1")[:24]
    config = FinetuneConfig(max_steps=4, batch_size=8, learning_rate=1e-3, seed=0)
    result = finetune("relations", checkpoint, config=config, train=train, dev=test, progress=False)
    assert type(result.trained_model).__name__ == "SpanBertForSequenceClassification"
    assert list(result.trained_model.config.id2label.values()) == list(LABELS)
    assert len(result.history) == 4 and len(result.predictions) == len(test)
    assert set(result.predictions) <= set(LABELS)
    want = relation_scores([ex.relation for ex in test], result.predictions)
    assert math.isclose(result.metrics["macro_f1"], 100 * want["macro_f1"])
    probs = relation_app.classify_relation(result.trained_model, result.tokenizer, test[0])
    assert set(probs) == set(LABELS) and math.isclose(sum(probs.values()), 1.0, rel_tol=1e-5)
    assert list(probs.values()) == sorted(probs.values(), reverse=True)


def test_the_finetune_command_line_runs_relations(checkpoint, tmp_path, capsys, one_thread):
    results = tmp_path / "relations.json"
    argv = ["relations", "--model", str(checkpoint), "--max-train", "40", "--max-eval", "20",
            "--max-steps", "3", "--batch-size", "8", "--seeds", "0", "--no-progress",
            "--results", str(results), "--output", str(tmp_path / "runs")]  # fmt: skip
    code = finetune_main(argv)
    assert code == 0
    out = capsys.readouterr().out
    assert (
        "relations: 40 training, 20 evaluation examples; 13 labels: no_relation birthplace" in out
    )
    record = json.loads(results.read_text())
    assert record["task"] == "relations" and record["labels"] == list(LABELS)
    metrics = record["runs"][0]["metrics"]
    assert {"macro_f1", "micro_p", "micro_r", "micro_f1"} <= set(metrics)
    assert all(0 <= v <= 100 for v in metrics.values())
    predictions = json.loads((tmp_path / "runs" / "seed0" / "predictions.json").read_text())
    assert len(predictions) == 20 and set(predictions) <= set(LABELS)


def test_the_relation_study_goes_through_finetune(monkeypatch):
    """Every run of the study is one ``finetune("relations", …)`` call: ``random-tiny`` is the
    ``bert-tiny`` architecture drawn afresh (``random_init``); the scores come back on 0–1."""
    calls = []

    def fake_finetune(task, model, *, config, train, dev, random_init, **_kwargs):
        calls.append((task, model, config, len(train), len(dev), random_init))
        assert get_task(task).name == "relations"
        f1 = 80.0 + config.seed + (5 if random_init else 0)
        metrics = {"macro_f1": f1, "micro_p": 70.0, "micro_r": 60.0, "micro_f1": 64.0,
                   "f1_birthplace": 50.0}  # fmt: skip
        return FinetuneResult(task, model, config, metrics, [], [], seconds=1.23)

    monkeypatch.setattr(relation_app, "finetune", fake_finetune)
    settings = {**studies.RE_SETTINGS, "train_subset_per_class": 5, "max_steps": 7}
    result = studies.relation_study(["random-tiny", "spanbert-tiny"], [0, 1, 2], settings)
    assert [(c[0], c[1], c[5]) for c in calls] == [("relations", "bert-tiny", True)] * 3 + [
        ("relations", "spanbert-tiny", False)
    ] * 3
    assert all(c[3] == 65 and c[4] == 580 for c in calls), "5 per label; the whole test set"
    assert [c[2].seed for c in calls] == [0, 1, 2, 0, 1, 2]
    assert {(c[2].learning_rate, c[2].epochs, c[2].batch_size, c[2].max_steps) for c in calls} == {
        (5e-4, 8, 16, 7)
    }
    run = result["runs"]["random-tiny"][1]
    assert run == {"seed": 1, "seconds": 1.2, "macro_f1": 0.86, "micro_p": 0.7, "micro_r": 0.6,
                   "micro_f1": 0.64, "per_class_f1": {"birthplace": 0.5}}  # fmt: skip
    assert result["differences"]["spanbert-tiny - random-tiny"][0] == pytest.approx(-0.05)


def test_random_few_label_draws_give_each_seed_its_own_paired_training_set(monkeypatch):
    """``train_subset_draw="random"``: seed s trains every encoder on draw s (paired across
    encoders, different across seeds), the test set unchanged, and the record lists the draws."""
    seen: dict[tuple[str, int], tuple[str, ...]] = {}

    def fake_finetune(task, model, *, config, train, dev, random_init, **_kwargs):
        seen[(model + ("-random" if random_init else ""), config.seed)] = tuple(
            ex.text for ex in train
        )
        assert len(dev) == 580
        metrics = {"macro_f1": 80.0, "micro_p": 70.0, "micro_r": 60.0, "micro_f1": 64.0}
        return FinetuneResult(task, model, config, metrics, [], [], seconds=1.0)

    monkeypatch.setattr(relation_app, "finetune", fake_finetune)
    settings = {**studies.RE_SETTINGS, "train_subset_per_class": 5, "train_subset_draw": "random"}
    result = studies.relation_study(["random-tiny", "spanbert-tiny"], [0, 1, 2], settings)
    for seed in (0, 1, 2):
        assert seen[("bert-tiny-random", seed)] == seen[("spanbert-tiny", seed)], "paired"
        assert len(seen[("spanbert-tiny", seed)]) == 65
    assert len({seen[("spanbert-tiny", s)] for s in (0, 1, 2)}) == 3, "a draw per seed"
    full, _ = studies.relation_data()
    draws = result["train_subsets"]
    assert tuple(full[i].text for i in draws["1"]) == seen[("spanbert-tiny", 1)]
    first = tuple(ex.text for ex in first_per_class(full, 5))
    assert seen[("spanbert-tiny", 0)] != first
    with pytest.raises(ValueError, match="needs train_subset_per_class"):
        studies.relation_study(
            ["random-tiny"], [0], {**studies.RE_SETTINGS, "train_subset_draw": "random"}
        )
    with pytest.raises(ValueError, match="choose 'first' or 'random'"):
        studies.relation_study(["random-tiny"], [0], {**settings, "train_subset_draw": "last"})
