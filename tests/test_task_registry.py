"""Fine-tuning tasks are specs in a registry: a new task is one unit of code, and ``finetune()``
runs it without knowing its name."""

from __future__ import annotations

import inspect
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from test_qa_helpers import make_tokenizer
from transformers import BertConfig, BertModel

from spanbert_lab import finetune as ft
from spanbert_lab.finetune import FinetuneConfig, finetune
from spanbert_lab.tasks import TaskSpec, get_task, register_task, task_names, unregister_task
from spanbert_lab.tasks.base import columns_to_rows

WORDS = ["the", "city", "was", "built", "river", "town", "tower", "a", "in", "is"]


# --- the toy task: one unit, nothing else in the library changes -----------------------------
# "Is the sentence longer than 5 words?" (label 1) — a sequence classification.


def _long_encode(examples: Any, tokenizer: Any, _config: FinetuneConfig, max_length: int):
    rows = list(examples)
    enc = tokenizer([r["text"] for r in rows], truncation=True, max_length=max_length)
    enc["labels"] = [int(len(r["text"].split()) > 5) for r in rows]
    keys = ["input_ids", "token_type_ids", "attention_mask", "labels"]
    return columns_to_rows(enc, keys), rows


def _long_read(output: Any, b: int, _n: int) -> Any:
    return output.logits[b].cpu().numpy()


def _long_score(_examples: Any, meta: Any, outputs: Any, _config: Any, _labels: Any):
    gold = [int(len(r["text"].split()) > 5) for r in meta]
    predicted = [int(np.argmax(o)) for o in outputs]
    accuracy = 100 * sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    return {"metrics": {"accuracy": accuracy}, "predictions": predicted}


def _long_load(split: str, _version: str) -> list[dict[str, str]]:
    rng = random.Random(0 if split == "train" else 1)
    return [{"text": " ".join(rng.choice(WORDS) for _ in range(rng.choice([2, 3, 8, 9])))}
            for _ in range(48)]  # fmt: skip


LONG_SENTENCES = TaskSpec(
    name="long_sentence",
    model_class="BertForSequenceClassification",
    default_max_length=32,
    load=_long_load,
    encode=_long_encode,
    read=_long_read,
    score=_long_score,
)

# ---------------------------------------------------------------------------------------------


@pytest.fixture
def toy_task():
    register_task(LONG_SENTENCES)
    try:
        yield LONG_SENTENCES
    finally:
        unregister_task(LONG_SENTENCES.name)


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


def test_a_registered_toy_task_fine_tunes_through_finetune(toy_task, checkpoint):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        config = FinetuneConfig(max_steps=30, batch_size=8, learning_rate=3e-3, seed=0)
        result = finetune(toy_task.name, checkpoint, config=config, labels=["short", "long"],
                          progress=False)  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    assert type(result.trained_model).__name__ == "SpanBertForSequenceClassification"  # the trunk
    assert [r["step"] for r in result.history] == list(range(1, 31)), "steps count from 1"
    assert {r["epoch"] for r in result.history} == {0, 1, 2, 3, 4}, "48 rows / 8 = 6 per epoch"
    losses = [r["loss"] for r in result.history]
    assert all(math.isfinite(x) for x in losses)
    assert np.mean(losses[-5:]) < np.mean(losses[:5]), f"no learning: {losses}"
    dev = _long_load("dev", "1.1")
    gold = [int(len(r["text"].split()) > 5) for r in dev]
    hits = sum(g == p for g, p in zip(gold, result.predictions, strict=True))
    assert result.metrics == {"accuracy": 100 * hits / len(dev)}
    assert result.train_rows == 48


def test_the_registry_lists_finds_and_refuses():
    assert task_names()[:4] == ("classify", "coref", "ner", "qa")
    assert get_task("qa").model_class == "BertForQuestionAnswering"
    assert get_task("ner").default_max_length == 128 and get_task("qa").default_max_length == 384
    with pytest.raises(ValueError, match=r"unknown task 'nope'; choose one of \('classify'"):
        get_task("nope")
    clash = TaskSpec(**{**vars(LONG_SENTENCES), "name": "qa"})
    with pytest.raises(ValueError, match="already registered"):
        register_task(clash)
    assert get_task("qa") is not clash


def test_unregistered_task_is_gone(toy_task):
    assert toy_task.name in task_names()
    unregister_task(toy_task.name)
    assert toy_task.name not in task_names()
    with pytest.raises(ValueError, match="unknown task"):
        finetune(toy_task.name, "anything")


def test_finetune_knows_no_task_by_name():
    source = inspect.getsource(ft)
    for name in ("qa", "ner", "classify"):
        assert f'task == "{name}"' not in source and f"task == '{name}'" not in source
    assert "hasattr(" not in inspect.getsource(ft.predict), "predict must not inspect outputs"
    assert "eval" not in inspect.signature(ft.finetune).parameters
