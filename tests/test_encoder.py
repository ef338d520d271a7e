"""The trace of the course trunk (spanbert_lab.model.trace) against transformers' BertModel, and its masks."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close
from transformers import BertConfig, BertModel

from spanbert_lab.model.trace import allowed_keys, encoder_trace, input_dependency
from spanbert_lab.model.trunk import SpanBertModel


def _model(dtype=torch.float64) -> BertModel:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=3,
        num_attention_heads=4,
        intermediate_size=37,
        attn_implementation="eager",
    )
    model = BertModel(config, add_pooling_layer=False).to(dtype).eval()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():  # LayerNorm gains and biases away from their 1 / 0 initial values
        for name, p in model.named_parameters():
            if "LayerNorm" in name:
                p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=dtype))
    return model


def _ours(model: BertModel) -> SpanBertModel:
    """The course trunk holding ``model``'s weights."""
    ours = SpanBertModel(model.config).to(model.dtype).eval()
    ours.load_state_dict(model.state_dict())
    return ours


def test_trace_output_equals_bert_model_with_padding_and_segments():
    model = _model()
    g = torch.Generator().manual_seed(2)
    ids = torch.randint(5, 99, (3, 9), generator=g)
    keep = torch.ones(3, 9, dtype=torch.long)
    keep[1, 6:] = 0
    keep[2, 3:] = 0
    segments = (torch.arange(9) >= 4).long().expand(3, 9)
    trace = encoder_trace(_ours(model), ids, keep, segments)
    with torch.no_grad():
        want = model(ids, attention_mask=keep, token_type_ids=segments).last_hidden_state
    real = keep.bool()
    assert_close(trace.output[real], want[real], atol=1e-10, rtol=0)
    assert len(trace.stages) == 1 + 4 * 3 and len(trace.attentions) == 3
    assert trace.attentions[0].shape == (3, 4, 9, 9)
    assert torch.all(trace.attentions[0][1, :, :, 6:] == 0), "padded keys got attention"


def test_trace_matches_bert_layer_by_layer():
    model = _model()
    ids = torch.randint(5, 99, (2, 7), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        hidden = model(ids, output_hidden_states=True).hidden_states  # embeddings + each layer
    trace = encoder_trace(_ours(model), ids)
    layer_outputs = [trace.stages[0][1]] + [trace.stages[4 * i + 4][1] for i in range(3)]
    for i, (got, want) in enumerate(zip(layer_outputs, hidden, strict=True)):
        assert_close(got, want, atol=1e-10, rtol=0, msg=f"stage after layer {i - 1} differs")


def test_causal_mask_cuts_every_dependency_on_the_future():
    model = _model(torch.float32)
    ids = torch.randint(5, 99, (1, 8), generator=torch.Generator().manual_seed(4))
    causal = input_dependency(_ours(model), ids, causal=True)
    bidirectional = input_dependency(_ours(model), ids, causal=False)
    assert torch.all(causal.triu(1) == 0), "an output depends on a later input under a causal mask"
    lower = torch.ones(8, 8, dtype=torch.bool).tril()
    assert torch.all(causal[lower] > 0), "an output ignores an earlier input"
    assert torch.all(bidirectional > 0), "bidirectional outputs must depend on every input"


def test_allowed_keys_shapes_and_validation():
    keep = torch.tensor([[1, 1, 0]])
    assert allowed_keys(keep).tolist() == [[[[True, True, False]] * 3]]
    assert allowed_keys(keep, causal=True)[0, 0].tolist() == [
        [True, False, False],
        [True, True, False],
        [True, True, False],
    ]
    with pytest.raises(ValueError, match="keep must be"):
        allowed_keys(torch.ones(3))
    with pytest.raises(ValueError, match="input_ids must be"):
        encoder_trace(_model(), torch.ones(4, dtype=torch.long))


def test_trace_refuses_a_model_that_is_not_the_trunk_or_is_training():
    ids = torch.ones(1, 4, dtype=torch.long)
    with pytest.raises(TypeError, match="SpanBertModel"):
        encoder_trace(_model(), ids)
    with pytest.raises(ValueError, match=r"model\.eval"):
        encoder_trace(_ours(_model()).train(), ids)
