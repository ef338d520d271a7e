"""The BERT encoder of notebook 01b, as the module that pretraining and fine-tuning run.

Devlin et al. 2019, §3 (BERT); Vaswani et al. 2017, §3 (the layer). SpanBERT keeps BERT's encoder
unchanged (Joshi et al. 2020, §3), so this is BERT's post-LN encoder::

    x = LayerNorm(word + position + segment embeddings)
    per layer:  a = LayerNorm(x + Attention(x));  x = LayerNorm(a + W2 GeLU(W1 a))

Parameter names are transformers' BERT names (``embeddings.word_embeddings``,
``encoder.layer.0.attention.self.query`` …), so a checkpoint saved from a model built on this trunk
opens in ``BertModel``, ``BertForQuestionAnswering`` and ``AutoModel``, and a transformers BERT
checkpoint loads into it. ``tests/test_trunk.py`` holds both equal on the same weights.

What makes it fast on the course's sizes (``benchmarks/bench_pretrain.py``):

- one fused Q/K/V projection (the three weight matrices concatenated, one matmul instead of three);
- PyTorch's ``scaled_dot_product_attention`` (SDPA), with the padding mask built once per batch
  and left out when a batch has no padding;
- ``output_attentions=True`` switches to the course's own written-out attention
  (:func:`spanbert_lab.model.attention.scaled_dot_product_attention`), which returns the weights.

Shape legend: B = batch, T = tokens, C = hidden size, H = heads, D = C / H, I = intermediate size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import BertConfig
from transformers.activations import ACT2FN
from transformers.models.bert.modeling_bert import BertPreTrainedModel
from transformers.utils import ModelOutput

from spanbert_lab.model.attention import scaled_dot_product_attention

__all__ = ["BertLayer", "Dropout", "SpanBertModel", "TrunkOutput", "dropout_mask", "key_mask"]


def key_mask(attention_mask: torch.Tensor | None) -> torch.Tensor | None:
    """The attention mask every layer uses, built once per batch.

    Args:
        attention_mask: (B, T) with 1 = real token, 0 = padding, or ``None``.

    Returns:
        ``None`` when nothing is padded (SDPA then runs unmasked), else (B, 1, 1, T) bool with
        True = this key may be attended to; it broadcasts over heads and queries.
    """
    if attention_mask is None:
        return None
    if attention_mask.dim() != 2:
        raise ValueError(f"attention_mask must be (B, T), got shape {tuple(attention_mask.shape)}")
    keep = attention_mask.bool()
    if bool(keep.all()):
        return None
    return keep[:, None, None, :]


def dropout_mask(
    shape: torch.Size | tuple[int, ...],
    p: float,
    *,
    device: torch.device | str = "cpu",
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, float]:
    """Which entries dropout zeroes, from 16 random bits each; and the scale for the kept ones.

    ``nn.Dropout`` draws one Bernoulli per entry (``bernoulli_``, about a tenth of a training step
    on a CPU); here 64-bit random words are cut into four 16-bit integers, and an entry is dropped
    when its integer falls below ``k = round(p · 65536)``. The drop probability is then exactly
    ``k / 65536`` (0.100006 for p = 0.1) and the scale ``65536 / (65536 − k)`` keeps the expected
    value of every entry unchanged.

    Returns:
        ``(drop, scale)``: a bool tensor of ``shape`` (True = set to 0) and the float by which
        the kept entries grow.
    """
    k = round(p * 65536)
    n = math.prod(shape)
    words = torch.empty((n + 3) // 4, dtype=torch.int64, device=device)
    words.random_(-(2**63), 2**63 - 1, generator=generator)  # every bit uniform
    drop = words.view(torch.int16)[:n].view(shape) < k - 32768
    return drop, 65536 / (65536 - k)


class _ApplyDropMask(torch.autograd.Function):
    """``x · m`` where ``m`` is 0 at the dropped entries and ``scale`` elsewhere.

    ``m`` is built once, as floats, and kept for the backward pass (``grad · m``): two passes over
    the tensor instead of the four or five of a masked fill and a scaling each way.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, drop: torch.Tensor, scale: float) -> torch.Tensor:  # noqa: ANN001
        m = torch.where(drop, 0.0, scale).to(x.dtype)
        ctx.save_for_backward(m)
        return x * m

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:  # noqa: ANN001
        (m,) = ctx.saved_tensors
        return grad * m, None, None


class Dropout(nn.Dropout):
    """``nn.Dropout`` with cheaper random bits (:func:`dropout_mask`); same ``p``, same API.

    Draws from torch's default generator, as ``nn.Dropout`` does, so a run seeded with
    ``torch.manual_seed`` repeats exactly.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        drop, scale = dropout_mask(x.shape, self.p, device=x.device)
        return _ApplyDropMask.apply(x, drop, scale)


class BertEmbeddings(nn.Module):
    """Word + position + segment embeddings, then LayerNorm and dropout: (B, T) ids → (B, T, C)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        c = config.hidden_size
        self.word_embeddings = nn.Embedding(config.vocab_size, c, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, c)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, c)
        self.LayerNorm = nn.LayerNorm(c, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(
        self,
        input_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
    ) -> torch.Tensor:
        words = self.word_embeddings(input_ids) if inputs_embeds is None else inputs_embeds
        t = words.shape[1]
        positions = self.position_embeddings.weight[:t]  # (T, C), broadcast over the batch
        if token_type_ids is None:
            segments = self.token_type_embeddings.weight[0]  # segment 0 everywhere: (C,)
        else:
            segments = self.token_type_embeddings(token_type_ids)  # (B, T, C)
        return self.dropout(self.LayerNorm(words + segments + positions))


class BertSelfAttention(nn.Module):
    """Multi-head self-attention: Q, K, V projections (one fused matmul), then attention per head."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        c = config.hidden_size
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = c // config.num_attention_heads
        self.query = nn.Linear(c, c)
        self.key = nn.Linear(c, c)
        self.value = nn.Linear(c, c)
        self.dropout_p = config.attention_probs_dropout_prob

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, T, C) → context (B, T, C) and, with ``output_attentions``, weights (B, H, T, T)."""
        b, t, c = x.shape
        h, d = self.num_attention_heads, self.attention_head_size
        weight = torch.cat([self.query.weight, self.key.weight, self.value.weight])  # (3C, C)
        bias = torch.cat([self.query.bias, self.key.bias, self.value.bias])  # (3C,)
        qkv = (
            F.linear(x, weight, bias).view(b, t, 3, h, d).permute(2, 0, 3, 1, 4)
        )  # (3, B, H, T, D)
        q, k, v = qkv.unbind(0)
        p = self.dropout_p if self.training else 0.0
        weights = None
        if output_attentions:  # the course's own attention: slower, but it returns the weights
            context, weights = scaled_dot_product_attention(q, k, v, mask, dropout_p=p)
        elif (
            p > 0.0
        ):  # SDPA would fall back to its math path and bernoulli_; same maths, cheaper bits
            context = _attend_with_dropout(q, k, v, mask, p)
        else:
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return context.transpose(1, 2).reshape(b, t, c), weights  # heads side by side again


def _attend_with_dropout(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None, p: float
) -> torch.Tensor:
    """softmax(Q Kᵀ / √D) with dropout on the weights, then · V: (B, H, T, D) → (B, H, T, D)."""
    scores = q @ k.transpose(-2, -1) * (q.shape[-1] ** -0.5)  # (B, H, T, T)
    if mask is not None:
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    weights = scores.softmax(-1)
    drop, scale = dropout_mask(weights.shape, p, device=weights.device)
    return _ApplyDropMask.apply(weights, drop, scale) @ v


class BertSelfOutput(nn.Module):
    """The attention's output projection, dropout, residual sum and LayerNorm (post-LN)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, context: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(residual + self.dropout(self.dense(context)))


class BertAttention(nn.Module):
    """The attention sub-layer: ``LayerNorm(x + Dropout(W_o · MultiHead(x)))``."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        context, weights = self.self(x, mask, output_attentions)
        return self.output(context, x), weights


class BertIntermediate(nn.Module):
    """The feed-forward network's first half: (B, T, C) → GeLU(W1 x) (B, T, I)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = ACT2FN[config.hidden_act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.intermediate_act_fn(self.dense(x))


class BertOutput(nn.Module):
    """The feed-forward network's second half, dropout, residual sum and LayerNorm: I → C."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(residual + self.dropout(self.dense(x)))


class BertLayer(nn.Module):
    """One encoder layer: attention sub-layer, then feed-forward sub-layer, each post-LN."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, T, C) → (B, T, C), and the attention weights when asked for."""
        a, weights = self.attention(x, mask, output_attentions)
        return self.output(self.intermediate(a), a), weights


class BertEncoder(nn.Module):
    """The stack of layers (``encoder.layer.0`` … as in transformers)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))


class BertPooler(nn.Module):
    """BERT's pooler, ``tanh(W · h_[CLS])``: only for next-sentence prediction and classifiers."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.activation(self.dense(hidden[:, 0]))  # (B, T, C) → (B, C)


@dataclass
class TrunkOutput(ModelOutput):
    """What :class:`SpanBertModel` returns (always this dataclass).

    Attributes:
        last_hidden_state: (B, T, C) the final layer.
        pooler_output: (B, C) ``tanh(W h_[CLS])``, only when the trunk has a pooler.
        hidden_states: with ``output_hidden_states``, the embeddings and every layer's output
            (L + 1 tensors of (B, T, C)), as transformers orders them.
        attentions: with ``output_attentions``, every layer's weights (B, H, T, T).
    """

    last_hidden_state: torch.Tensor | None = None
    pooler_output: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class SpanBertModel(BertPreTrainedModel):
    """The encoder (embeddings + layers, and a pooler only if asked for): the course's ``BertModel``.

    It loads any BERT checkpoint (``SpanBertModel.from_pretrained(dir)``), and what it saves opens
    in ``transformers.BertModel``. SpanBERT was pretrained without a pooler, so there is none by
    default.
    """

    config_class = BertConfig

    def __init__(self, config: BertConfig, add_pooling_layer: bool = False) -> None:
        super().__init__(config)
        _check_config(config)
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.word_embeddings = value

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> TrunkOutput:
        """Encode a batch.

        Args:
            input_ids: (B, T) long token ids (or pass ``inputs_embeds`` (B, T, C) instead).
            attention_mask: (B, T), 1 = real token, 0 = padding (default: all real).
            token_type_ids: (B, T) segment ids (default: all 0).
            output_attentions: also return each layer's attention weights (runs the course's
                written-out attention instead of SDPA).
            output_hidden_states: also return the embeddings and each layer's output.

        Raises:
            ValueError: ids outside the vocabulary, a sequence longer than the position table,
                or shapes that do not match.
        """
        self._check_inputs(input_ids, attention_mask, token_type_ids, inputs_embeds)
        mask = key_mask(attention_mask)  # once per batch, shared by every layer
        x = self.embeddings(input_ids, token_type_ids, inputs_embeds)  # (B, T, C)
        hidden: list[torch.Tensor] = [x]
        weights: list[torch.Tensor] = []
        for layer in self.encoder.layer:
            x, w = layer(x, mask, output_attentions)
            hidden.append(x)
            if w is not None:
                weights.append(w)
        return TrunkOutput(
            last_hidden_state=x,
            pooler_output=self.pooler(x) if self.pooler is not None else None,
            hidden_states=tuple(hidden) if output_hidden_states else None,
            attentions=tuple(weights) if output_attentions else None,
        )

    def _check_inputs(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        token_type_ids: torch.Tensor | None,
        inputs_embeds: torch.Tensor | None,
    ) -> tuple[int, int]:
        """Clear errors for inputs that would otherwise fail deep inside torch."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids and inputs_embeds")
        if input_ids is not None:
            if input_ids.dim() != 2:
                raise ValueError(f"input_ids must be (B, T), got shape {tuple(input_ids.shape)}")
            if input_ids.numel() and (
                int(input_ids.min()) < 0 or int(input_ids.max()) >= self.config.vocab_size
            ):
                raise ValueError(
                    f"input_ids hold ids outside the vocabulary [0, {self.config.vocab_size}): "
                    f"min {int(input_ids.min())}, max {int(input_ids.max())} (a tokenizer that "
                    "does not belong to this checkpoint?)"
                )
            shape = (input_ids.shape[0], input_ids.shape[1])
        else:
            shape = (inputs_embeds.shape[0], inputs_embeds.shape[1])
        if shape[1] > self.config.max_position_embeddings:
            raise ValueError(
                f"sequence of {shape[1]} tokens is longer than the model's "
                f"{self.config.max_position_embeddings} positions (max_position_embeddings)"
            )
        for name, tensor in (
            ("attention_mask", attention_mask),
            ("token_type_ids", token_type_ids),
        ):
            if tensor is not None and tuple(tensor.shape) != shape:
                raise ValueError(f"{name} has shape {tuple(tensor.shape)}, input is {shape}")
        return shape


def _check_config(config: BertConfig) -> None:
    """The trunk implements BERT's absolute positions and bidirectional attention only."""
    kind = getattr(config, "position_embedding_type", "absolute")
    if kind != "absolute":
        raise ValueError(f"position_embedding_type={kind!r} is not supported (only 'absolute')")
    if getattr(config, "is_decoder", False):
        raise ValueError("is_decoder=True is not supported: the trunk is a bidirectional encoder")
    if config.hidden_size % config.num_attention_heads:
        raise ValueError(
            f"hidden_size={config.hidden_size} is not a multiple of "
            f"num_attention_heads={config.num_attention_heads}"
        )
