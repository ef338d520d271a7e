"""Our attention against PyTorch's fused kernel and transformers' BERT, in float64."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close
from transformers import BertConfig, BertModel

from spanbert_lab.model.attention import scaled_dot_product_attention
from spanbert_lab.model.trunk import SpanBertModel

F = torch.nn.functional
DT = torch.float64


def qkv(batch=(3,), t_q=5, t_k=7, d_k=4, d_v=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(*batch, t_q, d_k, generator=g, dtype=DT),
        torch.randn(*batch, t_k, d_k, generator=g, dtype=DT),
        torch.randn(*batch, t_k, d_v, generator=g, dtype=DT),
    )


def test_matches_torch_without_mask():
    q, k, v = qkv(batch=(2, 3))
    out, weights = scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 3, 5, 6) and weights.shape == (2, 3, 5, 7)
    assert_close(out, F.scaled_dot_product_attention(q, k, v), atol=1e-9, rtol=0)
    assert_close(weights.sum(-1), torch.ones(2, 3, 5, dtype=DT), atol=1e-12, rtol=0)


@pytest.mark.parametrize("mask_shape", [(3, 5, 7), (3, 1, 7), (1, 5, 7), (7,)])
def test_matches_torch_with_broadcast_masks(mask_shape):
    q, k, v = qkv()
    g = torch.Generator().manual_seed(1)
    mask = torch.rand(mask_shape, generator=g) > 0.4
    mask[..., 0] = True  # every row keeps a key (fully masked rows are tested below)
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-9, rtol=0)
    assert torch.all(weights.masked_select(~mask.expand_as(weights)) == 0)


def test_fully_masked_row_is_zero_not_nan_and_matches_torch():
    q, k, v = qkv()
    mask = torch.ones(3, 5, 7, dtype=torch.bool)
    mask[0, 2] = False
    mask[2] = False
    q.requires_grad_(True)
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    assert not torch.isnan(out).any()
    assert torch.all(out[0, 2] == 0) and torch.all(weights[2] == 0)
    assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-9, rtol=0)
    out.sum().backward()
    assert torch.isfinite(q.grad).all(), "a fully masked row must not produce NaN gradients"


def test_output_is_weights_times_values_with_dropout_and_generator_repeats():
    q, k, v = qkv()
    a = scaled_dot_product_attention(
        q, k, v, dropout_p=0.5, generator=torch.Generator().manual_seed(3)
    )
    b = scaled_dot_product_attention(
        q, k, v, dropout_p=0.5, generator=torch.Generator().manual_seed(3)
    )
    c = scaled_dot_product_attention(
        q, k, v, dropout_p=0.5, generator=torch.Generator().manual_seed(4)
    )
    assert_close(a[0], b[0], atol=0, rtol=0)
    assert not torch.equal(a[0], c[0])
    assert_close(a[0], a[1] @ v, atol=1e-12, rtol=0)
    dropped = (a[1] == 0).double().mean().item()
    assert 0.35 < dropped < 0.65, f"dropout 0.5 dropped a share of {dropped:.2f} of the weights"


@pytest.mark.parametrize(
    ("shapes", "message"),
    [
        (((5, 4), (7, 3), (7, 6)), "d_k"),
        (((5, 4), (7, 4), (6, 6)), "T_k"),
        (((4,), (7, 4), (7, 6)), "at least 2"),
    ],
)
def test_bad_shapes_are_named(shapes, message):
    tensors = [torch.zeros(s) for s in shapes]
    with pytest.raises(ValueError, match=message):
        scaled_dot_product_attention(*tensors)


def test_non_boolean_mask_and_bad_dropout_are_rejected():
    q, k, v = qkv()
    with pytest.raises(TypeError, match="boolean"):
        scaled_dot_product_attention(q, k, v, torch.ones(7))
    with pytest.raises(ValueError, match="dropout_p"):
        scaled_dot_product_attention(q, k, v, dropout_p=1.0)


def tiny_bert(seed: int = 0) -> BertModel:
    # HF-tester style sizes: all mutually distinct.
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        attn_implementation="eager",
    )
    return BertModel(config).to(DT).eval()


def padded_batch():
    g = torch.Generator().manual_seed(5)
    input_ids = torch.randint(5, 99, (3, 7), generator=g)
    attention_mask = torch.ones(3, 7, dtype=torch.long)
    attention_mask[0, 4:] = 0
    attention_mask[2, 6:] = 0
    return input_ids, attention_mask


def test_trunk_self_attention_matches_bert_self_attention_with_padding():
    bert = tiny_bert()
    ours = SpanBertModel(bert.config).to(DT).eval()
    ours.load_state_dict(bert.state_dict(), strict=False)  # (no pooler in ours)
    input_ids, attention_mask = padded_batch()
    captured = {}
    layer = bert.encoder.layer[0]
    layer.attention.self.register_forward_hook(
        lambda m, a, out: captured.update(ctx=out[0], w=out[1])
    )
    layer.attention.register_forward_pre_hook(lambda m, a: captured.update(x=a[0]))
    bert(input_ids, attention_mask=attention_mask, output_attentions=True)

    mask = attention_mask.bool()[:, None, None, :]
    attention = ours.encoder.layer[0].attention.self
    written_out, weights = attention(captured["x"], mask, output_attentions=True)
    fused, none = attention(captured["x"], mask)  # SDPA: same numbers, no weights
    assert none is None
    assert_close(written_out, captured["ctx"], atol=1e-9, rtol=0)
    assert_close(fused, captured["ctx"], atol=1e-9, rtol=0)
    assert_close(weights, captured["w"], atol=1e-9, rtol=0)
