"""Checkpoints: SpanBertForPreTraining ↔ transformers' BERT classes, with no encoder weight lost.

A saved SpanBERT directory must open in BertModel, BertForQuestionAnswering,
BertForTokenClassification, BertForSequenceClassification and BertForMaskedLM (with the trained
MLM head), and SpanBertForPreTraining must open a plain BERT encoder directory.
"""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file
from test_modeling import make_batch, randomize_, tiny_model
from torch.testing import assert_close
from transformers import (
    AutoConfig,
    BertConfig,
    BertForMaskedLM,
    BertForPreTraining,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
)
from transformers.utils import logging as hf_logging

from spanbert_lab.model.pretraining import SpanBertForPreTraining

SBO_KEYS = {
    "cls.span_boundary.bias",
    "cls.span_boundary.position_embeddings.weight",
    *(f"cls.span_boundary.layer{i}.{m}.{p}" for i in (1, 2) for m in ("dense", "LayerNorm") for p in ("weight", "bias")),
}  # fmt: skip
MLM_KEYS = {
    "cls.predictions.bias",
    *(f"cls.predictions.transform.{m}.{p}" for m in ("dense", "LayerNorm") for p in ("weight", "bias")),
}  # fmt: skip


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one torch thread is faster, and far faster on a busy shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def quiet_transformers():
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # load reports are checked through output_loading_info
    yield
    hf_logging.set_verbosity(level)


@pytest.fixture(scope="module")
def trained():
    """A model whose heads hold non-default values (as after training)."""
    model = tiny_model()
    randomize_(model.cls, seed=5)
    return model


@pytest.fixture(scope="module")
def saved(trained, tmp_path_factory):
    path = tmp_path_factory.mktemp("spanbert")
    trained.save_pretrained(path)
    return path


def encoder_state(model) -> dict[str, torch.Tensor]:
    return {k: v for k, v in model.bert.state_dict().items() if not k.startswith("pooler")}


def assert_encoder_equal(model, reference):
    got, want = encoder_state(model), encoder_state(reference)
    assert got.keys() == want.keys()
    for key in want:
        assert torch.equal(got[key], want[key]), f"encoder weight {key} changed on loading"


def test_saved_file_holds_encoder_and_heads_without_tied_copies(saved):
    keys = set(load_file(saved / "model.safetensors"))
    assert keys >= SBO_KEYS | MLM_KEYS
    assert not any(k.endswith("decoder.weight") or k.endswith("decoder.bias") for k in keys)
    assert not any(k.startswith("bert.pooler") for k in keys)
    config = json.loads((saved / "config.json").read_text())
    assert config["model_type"] == "bert" and config["architectures"] == ["SpanBertForPreTraining"]
    assert type(AutoConfig.from_pretrained(saved)).__name__ == "BertConfig"


def test_round_trip_restores_everything_tied(trained, saved):
    loaded, info = SpanBertForPreTraining.from_pretrained(saved, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    want = trained.state_dict()
    for key, value in loaded.state_dict().items():
        assert torch.equal(value, want[key]), f"{key} differs after the round trip"
    emb = loaded.bert.embeddings.word_embeddings.weight
    assert loaded.cls.predictions.decoder.weight.data_ptr() == emb.data_ptr()
    assert loaded.cls.span_boundary.decoder.weight.data_ptr() == emb.data_ptr()
    assert loaded.config.sbo_max_targets == trained.config.sbo_max_targets
    batch = make_batch()
    assert_close(loaded.eval()(**batch).loss, trained(**batch).loss, atol=0, rtol=0)


@pytest.mark.parametrize(
    ("cls", "new_keys"),
    [
        (BertForQuestionAnswering, {"qa_outputs.weight", "qa_outputs.bias"}),
        (BertForTokenClassification, {"classifier.weight", "classifier.bias"}),
        (BertForSequenceClassification, {"classifier.weight", "classifier.bias", "bert.pooler.dense.weight", "bert.pooler.dense.bias"}),
    ],
)  # fmt: skip
def test_opens_in_fine_tuning_classes_with_encoder_intact(trained, saved, cls, new_keys):
    model, info = cls.from_pretrained(saved, output_loading_info=True)
    assert set(info["missing_keys"]) == new_keys, f"newly initialised: {info['missing_keys']}"
    assert set(info["unexpected_keys"]) == SBO_KEYS | MLM_KEYS
    assert_encoder_equal(model, trained)


def test_opens_in_bert_model_without_pooler(trained, saved):
    model, info = BertModel.from_pretrained(
        saved, add_pooling_layer=False, output_loading_info=True
    )
    assert not info["missing_keys"], info["missing_keys"]
    assert_encoder_equal(type("Wrap", (), {"bert": model})(), trained)
    hidden = model.eval()(make_batch()["input_ids"]).last_hidden_state
    assert_close(hidden, trained(make_batch()["input_ids"]).last_hidden_state, atol=0, rtol=0)


def test_opens_in_bert_for_masked_lm_with_the_trained_head(trained, saved):
    model, info = BertForMaskedLM.from_pretrained(saved, output_loading_info=True)
    assert not info["missing_keys"], f"MLM head not loaded: {info['missing_keys']}"
    assert set(info["unexpected_keys"]) == SBO_KEYS
    assert_encoder_equal(model, trained)
    head = model.cls.predictions
    assert torch.equal(head.bias, trained.cls.predictions.bias)
    assert torch.equal(head.transform.dense.weight, trained.cls.predictions.transform.dense.weight)
    assert head.decoder.weight.data_ptr() == model.bert.embeddings.word_embeddings.weight.data_ptr()
    batch = make_batch()
    keep = batch["labels"] != -100
    logits = model.eval()(batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    ours = trained(**batch).mlm_logits
    assert_close(logits[keep], ours, atol=1e-5, rtol=1e-5)


def test_nsp_variant_opens_in_bert_for_pretraining(tmp_path):
    model = tiny_model(use_nsp=True)
    randomize_(model.cls, seed=6)
    model.save_pretrained(tmp_path)
    loaded, info = BertForPreTraining.from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"], info["missing_keys"]
    assert set(info["unexpected_keys"]) == SBO_KEYS
    assert torch.equal(loaded.cls.seq_relationship.weight, model.cls.seq_relationship.weight)
    assert torch.equal(loaded.bert.pooler.dense.weight, model.bert.pooler.dense.weight)


@pytest.mark.parametrize("source_cls", [BertModel, BertForMaskedLM])
def test_opens_a_plain_bert_directory_and_initialises_the_heads(tmp_path, source_cls):
    torch.manual_seed(7)
    spanbert = tiny_model().config.to_dict()
    config = BertConfig(
        **{k: v for k, v in spanbert.items() if not k.startswith(("sbo_", "use_nsp"))}
    )
    source = (
        source_cls(config)
        if source_cls is BertForMaskedLM
        else source_cls(config, add_pooling_layer=False)
    )
    source.save_pretrained(tmp_path)
    model, info = SpanBertForPreTraining.from_pretrained(tmp_path, output_loading_info=True)
    expected_missing = SBO_KEYS | (MLM_KEYS if source_cls is BertModel else set())
    assert set(info["missing_keys"]) == expected_missing, info["missing_keys"]
    reference = source if source_cls is BertForMaskedLM else type("Wrap", (), {"bert": source})()
    assert_encoder_equal(model, reference)
    emb = model.bert.embeddings.word_embeddings.weight
    assert model.cls.span_boundary.decoder.weight.data_ptr() == emb.data_ptr()
    for head in (model.cls.predictions, model.cls.span_boundary):
        assert head.bias.device.type == "cpu", "a head bias was left uninitialised (meta)"
    assert torch.all(model.cls.span_boundary.bias == 0), "new SBO bias should start at zero"
    batch = make_batch()
    assert torch.isfinite(model(**batch).loss)
    assert model.config.sbo_position_embedding_size == 200  # the defaults fill the SBO settings
