"""Exercises of notebook 01b (the BERT encoder).

1. ``bert_embeddings`` — token + position + segment embeddings, then LayerNorm.
2. ``bert_layer`` — one whole encoder layer: multi-head self-attention, residual + LayerNorm,
   feed-forward, residual + LayerNorm (post-LN, as in BERT), checked against the course trunk's
   ``BertLayer`` (:mod:`spanbert_lab.model.trunk`) with the same weights, in float64.

The learner's function receives the module's *parts*, never the module: an object with the same
attribute paths (``emb.word_embeddings``, ``layer.attention.self.query``…) whose leaves are the
``nn.Embedding`` / ``nn.Linear`` / ``nn.LayerNorm`` layers, and whose composite modules
(``emb``, ``layer``, ``layer.attention``, ``layer.intermediate``…) refuse to run. An answer that
just calls the module it is asked to rebuild is therefore rejected; only a computation from the
weights passes. The checker calls the answer with data — the input tensors and the weights as a
``{name: tensor}`` dict — and :func:`parts` builds the parts where the answer runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import BertConfig

from spanbert_lab.course.exercises.core import CheckFailed, Exercise, expect_tensor_close
from spanbert_lab.model.trunk import BertEmbeddings, BertLayer, key_mask

_NS = {"torch": torch, "math": math, "F": F}
LAYER_NORM_EPS = 1e-12  # BertConfig's default, as in the trunk


def _config(hidden: int = 12, heads: int = 3, intermediate: int = 37) -> BertConfig:
    return BertConfig(
        vocab_size=29,
        hidden_size=hidden,
        num_hidden_layers=1,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        max_position_embeddings=16,
        type_vocab_size=2,
        layer_norm_eps=LAYER_NORM_EPS,
    )


def _randomised(module: nn.Module, seed: int) -> nn.Module:
    """``module`` in float64 eval mode with every parameter redrawn (LayerNorm gains ≠ 1)."""
    g = torch.Generator().manual_seed(seed)
    module = module.double().eval()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.5)
    return module


class Parts(nn.Module):
    """A module's parts under the module's attribute names; calling it is refused."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self._path = path

    def forward(self, *_args: Any, **_kwargs: Any) -> Any:
        raise CheckFailed(
            f"`{self._path}(...)` runs the very module you are asked to rebuild; compute it "
            "from its parts (the nn.Linear, nn.Embedding and nn.LayerNorm layers inside)"
        )


def _leaf(name: str, weight: torch.Tensor, bias: torch.Tensor | None) -> nn.Module:
    if name.endswith("embeddings"):
        return nn.Embedding.from_pretrained(weight, freeze=False)
    if name == "LayerNorm":
        norm = nn.LayerNorm(weight.shape[0], eps=LAYER_NORM_EPS, dtype=weight.dtype)
        norm.load_state_dict({"weight": weight, "bias": bias})
        return norm
    linear = nn.Linear(weight.shape[1], weight.shape[0], dtype=weight.dtype)
    linear.load_state_dict({"weight": weight, "bias": bias})
    return linear


def parts(state: Mapping[str, Any], root: str) -> Parts:
    """The parts of a module from its weights (``{"attention.self.query.weight": …}``), plus
    ``"num_attention_heads"`` (an int) for a layer. ``root`` names the module in messages."""
    top = Parts(root)
    for name in sorted(k.removesuffix(".weight") for k in state if k.endswith(".weight")):
        *path, leaf = name.split(".")
        node = top
        for i, step in enumerate(path):
            if not hasattr(node, step):
                node.add_module(step, Parts(".".join([root, *path[: i + 1]])))
            node = getattr(node, step)
        node.add_module(leaf, _leaf(leaf, state[f"{name}.weight"], state.get(f"{name}.bias")))
    if "num_attention_heads" in state:
        top.attention.self.num_attention_heads = int(state["num_attention_heads"])
    return top


def _weights(module: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in module.named_parameters()}


# --- 1. embeddings ---------------------------------------------------------------------------------


def _check_embeddings(fn: Callable[..., object], seed: int) -> None:
    for case, (b, t) in enumerate([(2, 7), (3, 5)]):
        case_seed = 1000 * seed + case
        emb = _randomised(BertEmbeddings(_config()), case_seed)
        g = torch.Generator().manual_seed(100 + case_seed)
        input_ids = torch.randint(0, 29, (b, t), generator=g)
        token_type_ids = (torch.arange(t) >= t // 2).long().expand(b, t).clone()
        with torch.no_grad():
            want = emb(input_ids=input_ids, token_type_ids=token_type_ids)
        got = _call(fn, input_ids, token_type_ids, _weights(emb))
        expect_tensor_close(f"the embeddings of a ({b}, {t}) batch", got, want, atol=1e-9)


def _call(fn: Callable[..., object], *args: object) -> object:
    try:
        with torch.no_grad():
            return fn(*args)
    except (RuntimeError, IndexError, AttributeError, TypeError) as err:
        raise CheckFailed(
            f"your function raised {type(err).__name__}: {str(err).splitlines()[0]}"
        ) from None


def _embeddings_adapter(answer: Callable[..., Any]) -> Callable[..., Any]:
    """answer(input_ids, token_type_ids, emb) → a function of (input_ids, token_type_ids, weights)."""

    def run(input_ids: torch.Tensor, token_type_ids: torch.Tensor, weights: dict) -> Any:
        return answer(input_ids, token_type_ids, parts(weights, "emb"))

    return run


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
        # the module being rebuilt, called
        "def bert_embeddings(input_ids, token_type_ids, emb):\n"
        "    return emb(input_ids=input_ids, token_type_ids=token_type_ids)",
    ),
    namespace=_NS,
    adapter=_embeddings_adapter,
)


# --- 2. one encoder layer ------------------------------------------------------------------------


# (B, T, hidden, heads, intermediate): head sizes 4, 5 and 6, so that no fixed scale passes
_LAYER_CASES = [(2, 6, 12, 3, 37), (3, 5, 10, 2, 16), (2, 4, 12, 2, 20)]


def _check_layer(fn: Callable[..., object], seed: int) -> None:
    for case, (b, t, hidden, heads, inter) in enumerate(_LAYER_CASES):
        case_seed = 1000 * seed + case
        layer = _randomised(BertLayer(_config(hidden, heads, inter)), case_seed)
        g = torch.Generator().manual_seed(200 + case_seed)
        x = torch.randn(b, t, hidden, generator=g, dtype=torch.float64)
        keep = torch.ones(b, t, dtype=torch.long)
        keep[1, t - 2 :] = 0  # the second sequence ends in two padding tokens
        with torch.no_grad():
            want, _ = layer(x, key_mask(keep))
        weights = {**_weights(layer), "num_attention_heads": heads}
        got = _call(fn, x, keep, weights)
        where = f"for x of shape {(b, t, hidden)} with {heads} heads of size {hidden // heads}"
        if isinstance(got, torch.Tensor) and got.shape == want.shape:
            real = keep.bool()
            if not torch.allclose(got[real], want[real], atol=1e-8):
                raise CheckFailed(
                    f"the layer output {where} is wrong at real tokens (largest error "
                    f"{(got[real] - want[real]).abs().max().item():.3g}); check the scale of "
                    "the scores and the order: sublayer → add the residual → LayerNorm, twice"
                )
        expect_tensor_close(f"the layer output {where}", got, want, atol=1e-8)


def _layer_adapter(answer: Callable[..., Any]) -> Callable[..., Any]:
    """answer(x, keep, layer) → a function of (x, keep, weights)."""

    def run(x: torch.Tensor, keep: torch.Tensor, weights: dict) -> Any:
        return answer(x, keep, parts(weights, "layer"))

    return run


# Each wrong layer differs from the notebook's solution in one place (old → new).
_LAYER_MUTATIONS = (
    # pre-LN (GPT-2 style): LayerNorm before each sublayer instead of after the residual
    (
        "a = out.LayerNorm(x + out.dense(context))  # residual, then LayerNorm (post-LN)",
        "a = x + out.dense(context)",
    ),
    # no residual around the feed-forward block
    (
        "return layer.output.LayerNorm(a + ffn)  # residual, then LayerNorm",
        "return layer.output.LayerNorm(ffn)",
    ),
    # ReLU instead of GeLU
    ("F.gelu(layer.intermediate.dense(a))", "F.relu(layer.intermediate.dense(a))"),
    # padding keys not masked
    (
        "    scores = scores.masked_fill(~keep.bool()[:, None, None, :], torch.finfo(x.dtype).min)\n",
        "",
    ),
    # a hard-coded scale: right for heads of size 4 only
    ("/ D**0.5", "/ 2.0"),
)


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
    wrong_solutions=(
        # the module being rebuilt, called
        "def bert_layer(x, keep, layer):\n    return layer(x, keep.bool()[:, None, None, :])[0]",
        # its attention sub-layer called whole
        "def bert_layer(x, keep, layer):\n"
        "    a, _ = layer.attention(x, keep.bool()[:, None, None, :])\n"
        "    ffn = layer.output.dense(F.gelu(layer.intermediate.dense(a)))\n"
        "    return layer.output.LayerNorm(a + ffn)",
    ),
    mutations=_LAYER_MUTATIONS,
    namespace=_NS,
    adapter=_layer_adapter,
)
