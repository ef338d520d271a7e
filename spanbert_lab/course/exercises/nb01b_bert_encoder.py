"""Exercises of notebook 01b (the BERT encoder).

1. ``bert_embeddings`` — token + position + segment embeddings, then LayerNorm.
2. ``bert_layer`` — one whole encoder layer: multi-head self-attention, residual + LayerNorm,
   feed-forward, residual + LayerNorm (post-LN, as in BERT), checked against transformers'
   ``BertLayer`` with the same weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from transformers import BertConfig
from transformers.models.bert.modeling_bert import BertEmbeddings, BertLayer

from spanbert_lab.course.exercises.core import CheckFailed, Exercise, expect_tensor_close

_NS = {"torch": torch, "math": math, "F": F}


def _config(hidden: int = 12, heads: int = 3, intermediate: int = 37) -> BertConfig:
    return BertConfig(
        vocab_size=29,
        hidden_size=hidden,
        num_hidden_layers=1,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        max_position_embeddings=16,
        type_vocab_size=2,
        attn_implementation="eager",
    )


def _randomised(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    """``module`` in float64 eval mode with every parameter redrawn (LayerNorm gains ≠ 1)."""
    g = torch.Generator().manual_seed(seed)
    module = module.double().eval()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.5)
    return module


def _call(fn: Callable[..., object], *args: object) -> object:
    try:
        return fn(*args)
    except (RuntimeError, IndexError) as err:
        raise CheckFailed(
            f"your function raised {type(err).__name__}: {str(err).splitlines()[0]}"
        ) from None


# --- 1. embeddings ---------------------------------------------------------------------------------


def _check_embeddings(fn: Callable[..., object]) -> None:
    for seed, (b, t) in [(0, (2, 7)), (1, (3, 5))]:
        torch.manual_seed(seed)  # BertEmbeddings draws its initial weights from the global RNG
        emb = _randomised(BertEmbeddings(_config()), seed)
        g = torch.Generator().manual_seed(100 + seed)
        input_ids = torch.randint(0, 29, (b, t), generator=g)
        token_type_ids = (torch.arange(t) >= t // 2).long().expand(b, t).clone()
        want = emb(input_ids=input_ids, token_type_ids=token_type_ids)
        got = _call(fn, input_ids, token_type_ids, emb)
        expect_tensor_close(f"the embeddings of a ({b}, {t}) batch", got, want, atol=1e-9)


bert_embeddings = Exercise(
    key="01b.1",
    title="BERT's input embeddings",
    answer_name="bert_embeddings",
    checker=_check_embeddings,
    hints=(
        "Three tables: `emb.word_embeddings`, `emb.position_embeddings`, "
        "`emb.token_type_embeddings` — each is an `nn.Embedding` you can call on ids.",
        "Positions are 0, 1, …, T-1 for every sequence: `torch.arange(T)`.",
        "Add the three, then apply `emb.LayerNorm` (dropout is off in eval mode).",
    ),
    solution_code="""
def bert_embeddings(input_ids, token_type_ids, emb):
    positions = torch.arange(input_ids.shape[1])  # (T,), broadcast over the batch
    x = (
        emb.word_embeddings(input_ids)
        + emb.token_type_embeddings(token_type_ids)
        + emb.position_embeddings(positions)
    )  # (B, T, C)
    return emb.LayerNorm(x)
""",
    wrong_solutions=(
        # no LayerNorm
        "def bert_embeddings(input_ids, token_type_ids, emb):\n"
        "    positions = torch.arange(input_ids.shape[1])\n"
        "    return (emb.word_embeddings(input_ids) + emb.position_embeddings(positions)\n"
        "            + emb.token_type_embeddings(token_type_ids))",
        # positions forgotten: attention alone cannot tell word order
        "def bert_embeddings(input_ids, token_type_ids, emb):\n"
        "    return emb.LayerNorm(emb.word_embeddings(input_ids)\n"
        "                         + emb.token_type_embeddings(token_type_ids))",
        # segments forgotten
        "def bert_embeddings(input_ids, token_type_ids, emb):\n"
        "    positions = torch.arange(input_ids.shape[1])\n"
        "    return emb.LayerNorm(emb.word_embeddings(input_ids) + emb.position_embeddings(positions))",
    ),
    namespace=_NS,
)


# --- 2. one encoder layer ------------------------------------------------------------------------


def additive_mask(keep: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """transformers' form of a key-padding mask: (B, T) 1/0 → (B, 1, 1, T), 0 or a huge negative."""
    return (1.0 - keep[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def _check_layer(fn: Callable[..., object]) -> None:
    for seed, (b, t, hidden, heads, inter) in [(0, (2, 6, 12, 3, 37)), (1, (3, 5, 8, 2, 16))]:
        torch.manual_seed(seed)  # BertLayer draws its initial weights from the global RNG
        layer = _randomised(BertLayer(_config(hidden, heads, inter)), seed)
        g = torch.Generator().manual_seed(200 + seed)
        x = torch.randn(b, t, hidden, generator=g, dtype=torch.float64)
        keep = torch.ones(b, t, dtype=torch.long)
        keep[1, t - 2 :] = 0  # the second sequence ends in two padding tokens
        with torch.no_grad():
            want = layer(x, attention_mask=additive_mask(keep, x.dtype))
            got = _call(fn, x, keep, layer)
        where = f"for x of shape {(b, t, hidden)} with {heads} heads"
        if isinstance(got, torch.Tensor) and got.shape == want.shape:
            real = keep.bool()
            if not torch.allclose(got[real], want[real], atol=1e-8):
                raise CheckFailed(
                    f"the layer output {where} is wrong at real tokens (largest error "
                    f"{(got[real] - want[real]).abs().max().item():.3g}); check the order: "
                    "sublayer → add the residual → LayerNorm, twice"
                )
        expect_tensor_close(f"the layer output {where}", got, want, atol=1e-8)


_LAYER_SOLUTION = """
def bert_layer(x, keep, layer):
    B, T, C = x.shape
    sa = layer.attention.self
    H = sa.num_attention_heads
    D = C // H

    def heads(t):  # (B, T, C) -> (B, H, T, D)
        return t.view(B, T, H, D).transpose(1, 2)

    q, k, v = heads(sa.query(x)), heads(sa.key(x)), heads(sa.value(x))
    scores = q @ k.transpose(-2, -1) / math.sqrt(D)  # (B, H, T, T)
    scores = scores.masked_fill(~keep.bool()[:, None, None, :], torch.finfo(x.dtype).min)
    context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)  # heads concatenated
    out = layer.attention.output
    a = out.LayerNorm(x + out.dense(context))  # residual, then LayerNorm (post-LN)
    ffn = layer.output.dense(F.gelu(layer.intermediate.dense(a)))  # C -> 4C -> C
    return layer.output.LayerNorm(a + ffn)  # residual, then LayerNorm
"""

_LAYER_MUTATIONS = (
    # pre-LN (GPT-2 style): LayerNorm before each sublayer instead of after the residual
    (
        "    a = out.LayerNorm(x + out.dense(context))  # residual, then LayerNorm (post-LN)",
        "    a = x + out.dense(context)",
    ),
    # no residual around the feed-forward block
    (
        "    return layer.output.LayerNorm(a + ffn)  # residual, then LayerNorm",
        "    return layer.output.LayerNorm(ffn)",
    ),
    # ReLU instead of GeLU
    (
        "F.gelu(layer.intermediate.dense(a))",
        "F.relu(layer.intermediate.dense(a))",
    ),
    # padding keys not masked
    (
        "    scores = scores.masked_fill(~keep.bool()[:, None, None, :], torch.finfo(x.dtype).min)\n",
        "",
    ),
)


def _mutate(old: str, new: str) -> str:
    if _LAYER_SOLUTION.count(old) != 1:
        raise ValueError(f"wrong-layer substitution does not match exactly once: {old!r}")
    return _LAYER_SOLUTION.replace(old, new)


bert_layer = Exercise(
    key="01b.2",
    title="a whole BERT encoder layer",
    answer_name="bert_layer",
    checker=_check_layer,
    hints=(
        "The weights live in `layer.attention.self.query/key/value`, "
        "`layer.attention.output.dense/LayerNorm`, `layer.intermediate.dense` and "
        "`layer.output.dense/LayerNorm`; `layer.attention.self.num_attention_heads` is H.",
        "Attention exactly as in notebook 01: split heads to (B, H, T, D), scaled scores, mask the "
        "padded keys, softmax, weighted sum, merge heads back to (B, T, C), output projection.",
        "BERT is post-LN: `LayerNorm(x + sublayer(x))` — first for attention, then for the "
        "feed-forward block `dense → GeLU → dense`.",
    ),
    solution_code=_LAYER_SOLUTION,
    wrong_solutions=tuple(_mutate(old, new) for old, new in _LAYER_MUTATIONS),
    namespace=_NS,
)
