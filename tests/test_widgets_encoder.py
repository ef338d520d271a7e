"""Drive every control of the layer explorer (notebook 01b) across its range."""

from __future__ import annotations

import pytest
import torch
from transformers import BertConfig
from widget_driver import sweep

from spanbert_lab.course.widgets.encoder import LayerExplorer, token_trace
from spanbert_lab.model.trunk import SpanBertModel

SENTENCES = ["The cat sat on the mat .", "Maria won the match in Paris .", "Aldov was a city ."]


@pytest.fixture()
def model(tiny_tokenizer):
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tiny_tokenizer.vocab_size,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=24,
    )
    return SpanBertModel(config).eval()


def test_every_control_changes_the_view(model, tiny_tokenizer):
    explorer = LayerExplorer(model, tiny_tokenizer, SENTENCES)
    seen = sweep(explorer)
    for name, summaries in seen.items():
        assert len(summaries) >= 2, f"moving {name!r} never changed the view"
    assert explorer.figure is not None


def test_sentence_change_updates_the_token_choices(model, tiny_tokenizer):
    explorer = LayerExplorer(model, tiny_tokenizer, SENTENCES)
    explorer.controls["sentence"].value = SENTENCES[2]
    tokens, _, _ = token_trace(model, tiny_tokenizer, SENTENCES[2], 1)
    assert len(explorer.controls["token"].options) == len(tokens)
    assert repr(tokens[1]) in explorer.summary()


def test_causal_mask_changes_what_a_token_becomes(model, tiny_tokenizer):
    """The first token sees only itself under a causal mask, so its trace differs from BERT's."""
    _, _, both = token_trace(model, tiny_tokenizer, SENTENCES[0], 1)
    _, _, causal = token_trace(model, tiny_tokenizer, SENTENCES[0], 1, causal=True)
    assert torch.equal(both[0], causal[0])  # embeddings: no attention yet
    assert not torch.allclose(both[-1], causal[-1])


def test_state_belongs_to_the_explorer_and_png_saves(model, tiny_tokenizer, tmp_path):
    first = LayerExplorer(model, tiny_tokenizer, SENTENCES)
    second = LayerExplorer(model, tiny_tokenizer, SENTENCES[1:])
    before = first.summary()
    second.controls["mask"].value = "causal"
    assert first.summary() == before
    assert first.save_png(tmp_path / "view.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="outside"):
        token_trace(model, tiny_tokenizer, SENTENCES[0], 99)
