"""The released-checkpoint helper: exact hub ids, the missing-MLM-head warning, and no network.

Offline (always, here) the stand-in is the course's spanbert-tiny encoder saved without its heads,
exactly the shape of the released SpanBERT files.
"""

from __future__ import annotations

import socket
import warnings

import pytest

from spanbert_lab.model import hub
from spanbert_lab.runtime import data_dir


@pytest.fixture()
def no_network(monkeypatch):
    """Any attempt to open a socket or download a hub file fails the test loudly."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError(f"network touched: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", refuse)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return calls


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    return hub.save_encoder_only(data_dir() / "checkpoints" / "spanbert-tiny",
                                 tmp_path_factory.mktemp("hub") / "spanbert-standin")  # fmt: skip


def test_hub_ids_and_tokenizers_are_exact():
    assert hub.HUB_IDS == {"base": "SpanBERT/spanbert-base-cased",
                           "large": "SpanBERT/spanbert-large-cased"}  # fmt: skip
    assert hub.TOKENIZER_IDS["SpanBERT/spanbert-large-cased"] == "bert-large-cased"
    assert hub.TOKENIZER_IDS["SpanBERT/spanbert-base-cased"] == "bert-base-cased"


@pytest.mark.parametrize("name", ["base", "large", "SpanBERT/spanbert-base-cased"])
def test_hub_id_without_opt_in_never_touches_the_hub(name, no_network, monkeypatch):
    import transformers

    def fail(*args, **kwargs):
        raise AssertionError("transformers was asked to load a hub id without the opt-in")

    monkeypatch.setattr(transformers.AutoModelForMaskedLM, "from_pretrained", fail)
    with pytest.raises(hub.HubOptInRequired, match="allow_download=True"):
        hub.load_spanbert(name)
    assert no_network == []


def test_standin_without_mlm_head_warns(standin, no_network):
    with pytest.warns(hub.MissingMLMHeadWarning, match="no MLM head"):
        _model, tokenizer, report = hub.load_spanbert(standin)
    assert report.mlm_head_missing
    assert "cls.predictions.transform.dense.weight" in report.missing_keys
    assert hub.missing_head_keys(report) and tokenizer is not None
    assert no_network == []


def test_checkpoint_with_its_head_does_not_warn(no_network):
    with warnings.catch_warnings():
        warnings.simplefilter("error", hub.MissingMLMHeadWarning)
        _, _tok, report = hub.load_spanbert(data_dir() / "checkpoints" / "spanbert-tiny")
    assert not report.mlm_head_missing and report.missing_keys == ()


def test_span_task_class_does_not_warn_and_fill_mask_needs_a_mask(standin, no_network):
    with warnings.catch_warnings():
        warnings.simplefilter("error", hub.MissingMLMHeadWarning)
        _model, _tok, report = hub.load_spanbert(standin, task="qa")
    assert any(k.startswith("qa_outputs") for k in report.missing_keys)
    mlm, tok, _ = hub.load_spanbert(data_dir() / "checkpoints" / "spanbert-tiny")
    assert len(hub.fill_mask(mlm, tok, "She was born in [MASK] .", k=3)) == 3
    with pytest.raises(ValueError, match="MASK"):
        hub.fill_mask(mlm, tok, "no mask here")


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"config\.json"):
        hub.load_spanbert(tmp_path / "nothing-here")
    with pytest.raises(ValueError, match="unknown task"):
        hub.load_spanbert(tmp_path, task="translation")  # type: ignore[arg-type]
