"""Scaled dot-product attention, written out (Vaswani et al. 2017, §3.2; BERT's encoder layers).

Shapes legend: ``B`` batch, ``H`` heads, ``T`` tokens (``T_q`` queries, ``T_k`` keys),
``C`` hidden size, ``D`` head size (``C = H * D``).

Masks follow PyTorch's boolean convention: ``True`` = this query may attend to this key. A query
whose every key is masked gets all-zero weights and a zero output (never NaN), as PyTorch's own
``scaled_dot_product_attention`` does. Everything here is checked in the test-suite against
``torch.nn.functional.scaled_dot_product_attention`` and against transformers' ``BertModel``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attention_mask: Tensor | None = None,
    *,
    dropout_p: float = 0.0,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """softmax(Q Kᵀ / √d_k) V, returning the output and the attention weights.

    Args:
        query: ``(..., T_q, d_k)``.
        key: ``(..., T_k, d_k)``.
        value: ``(..., T_k, d_v)``.
        attention_mask: boolean, ``True`` = may attend, broadcastable to ``(..., T_q, T_k)``.
        dropout_p: probability of dropping an attention weight (weights are rescaled by
            ``1 / (1 - dropout_p)``); 0 disables dropout.
        generator: the ``torch.Generator`` used for the dropout draw (only used when
            ``dropout_p > 0``).

    Returns:
        ``output`` of shape ``(..., T_q, d_v)`` and ``weights`` of shape ``(..., T_q, T_k)``:
        the weights actually applied to ``value`` (after dropout), so ``output == weights @ value``.

    Raises:
        ValueError: incompatible shapes or a ``dropout_p`` outside ``[0, 1)``.
        TypeError: a mask that is not boolean.
    """
    _check_shapes(query, key, value)
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p}")

    scores = query @ key.transpose(-2, -1) / math.sqrt(query.size(-1))  # (..., T_q, T_k)
    if attention_mask is not None:
        if attention_mask.dtype != torch.bool:
            raise TypeError(
                f"attention_mask must be boolean (True = may attend), got {attention_mask.dtype}; "
                "convert a 0/1 padding mask with `mask.bool()`"
            )
        # The most negative finite number, not -inf: a fully masked row then stays finite
        # (uniform) through softmax and its gradient, and is zeroed just below.
        scores = scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
    weights = torch.softmax(scores, dim=-1)
    if attention_mask is not None:
        has_key = attention_mask.any(dim=-1, keepdim=True)  # (..., T_q, 1) after broadcasting
        weights = weights * has_key
    if dropout_p > 0.0:
        keep = torch.rand(weights.shape, generator=generator, device=weights.device) >= dropout_p
        weights = weights * keep / (1.0 - dropout_p)
    return weights @ value, weights


def _check_shapes(query: Tensor, key: Tensor, value: Tensor) -> None:
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise ValueError("query, key and value need at least 2 dimensions (..., tokens, features)")
    if query.size(-1) != key.size(-1):
        raise ValueError(
            f"query and key must share their last dimension d_k: {query.size(-1)} != {key.size(-1)}"
        )
    if key.size(-2) != value.size(-2):
        raise ValueError(
            f"key and value must have the same number of tokens T_k: {key.size(-2)} != {value.size(-2)}"
        )


def padding_mask(attention_mask: Tensor) -> Tensor:
    """Turn a ``(B, T)`` 0/1 padding mask (1 = real token) into a ``(B, 1, 1, T)`` boolean mask.

    The result broadcasts over heads and queries: every query may attend to every real key.
    """
    if attention_mask.dim() != 2:
        raise ValueError(
            f"expected a (batch, tokens) padding mask, got shape {tuple(attention_mask.shape)}"
        )
    return attention_mask.bool()[:, None, None, :]


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention with BERT's parameter layout.

    ``query``, ``key``, ``value`` and ``output`` are ``C → C`` linear maps (BERT names them
    ``attention.self.{query,key,value}`` and ``attention.output.dense``). The ``C`` channels are
    split into ``H`` heads of ``D = C / H`` channels; each head attends in its own subspace.

    Args:
        hidden_size: ``C``.
        num_heads: ``H``; must divide ``hidden_size``.
        dropout_p: attention-weight dropout used in training mode.
    """

    def __init__(self, hidden_size: int, num_heads: int, *, dropout_p: float = 0.0) -> None:
        super().__init__()
        if hidden_size <= 0 or num_heads <= 0:
            raise ValueError(
                f"hidden_size and num_heads must be positive, got {hidden_size}, {num_heads}"
            )
        if hidden_size % num_heads:
            raise ValueError(f"hidden_size {hidden_size} is not divisible by num_heads {num_heads}")
        if not 0.0 <= dropout_p < 1.0:
            raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p}")
        self.num_heads = num_heads
        self.head_size = hidden_size // num_heads
        self.dropout_p = dropout_p
        self.query = nn.Linear(hidden_size, hidden_size)
        self.key = nn.Linear(hidden_size, hidden_size)
        self.value = nn.Linear(hidden_size, hidden_size)
        self.output = nn.Linear(hidden_size, hidden_size)

    def forward(
        self,
        hidden_states: Tensor,
        attention_mask: Tensor | None = None,
        *,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Attend from every token to every (unmasked) token.

        Args:
            hidden_states: ``(B, T, C)``.
            attention_mask: ``(B, T)`` padding mask with 1 = real token, or a boolean mask
                broadcastable to ``(B, H, T, T)`` (True = may attend).
            generator: for attention dropout in training mode.

        Returns:
            ``(B, T, C)`` outputs (after the output projection) and ``(B, H, T, T)`` weights.
        """
        B, T, C = hidden_states.shape

        def split_heads(x: Tensor) -> Tensor:
            return x.view(B, T, self.num_heads, self.head_size).transpose(1, 2)  # (B, H, T, D)

        q = split_heads(self.query(hidden_states))
        k = split_heads(self.key(hidden_states))
        v = split_heads(self.value(hidden_states))
        mask = attention_mask
        if mask is not None and mask.dim() == 2:
            mask = padding_mask(mask)  # (B, 1, 1, T)
        p = self.dropout_p if self.training else 0.0
        context, weights = scaled_dot_product_attention(
            q, k, v, mask, dropout_p=p, generator=generator
        )
        context = context.transpose(1, 2).reshape(B, T, C)  # (B, H, T, D) -> (B, T, C)
        return self.output(context), weights

    @classmethod
    def from_bert(cls, bert_attention: nn.Module) -> MultiHeadSelfAttention:
        """Build one from a transformers ``BertAttention`` module, copying its four projections."""
        self_attn, out = bert_attention.self, bert_attention.output
        hidden = self_attn.query.in_features
        module = cls(hidden, self_attn.num_attention_heads, dropout_p=self_attn.dropout.p)
        module.to(dtype=self_attn.query.weight.dtype, device=self_attn.query.weight.device)
        with torch.no_grad():
            for mine, theirs in [
                (module.query, self_attn.query),
                (module.key, self_attn.key),
                (module.value, self_attn.value),
                (module.output, out.dense),
            ]:
                mine.weight.copy_(theirs.weight)
                mine.bias.copy_(theirs.bias)
        return module


class BertAttentionBlock(nn.Module):
    """Drop-in replacement for transformers' ``BertAttention`` built on our attention.

    BERT's attention sub-layer is ``LayerNorm(x + Dropout(MultiHeadSelfAttention(x)))``; this
    module computes exactly that with :class:`MultiHeadSelfAttention`, so that it can be swapped
    into a ``BertModel`` (see :func:`use_our_attention`).
    """

    def __init__(self, bert_attention: nn.Module) -> None:
        super().__init__()
        self.attention = MultiHeadSelfAttention.from_bert(bert_attention)
        self.dropout = bert_attention.output.dropout
        self.LayerNorm = bert_attention.output.LayerNorm
        self.train(bert_attention.training)  # keep the replaced module's train/eval mode

    def forward(
        self,
        hidden_states: Tensor,
        attention_mask: Tensor | None = None,
        *_args: object,
        **_kwargs: object,
    ) -> tuple[Tensor, Tensor]:
        """``BertAttention``'s call: the extra positional and keyword arguments transformers
        passes (cache, head mask, …) do not apply to this encoder-only, cache-free module."""
        mask = _as_boolean_mask(attention_mask)
        context, weights = self.attention(hidden_states, mask)
        return self.LayerNorm(hidden_states + self.dropout(context)), weights


def _as_boolean_mask(mask: Tensor | None) -> Tensor | None:
    """transformers passes an additive float mask (0 = keep, very negative = masked) or a bool."""
    if mask is None or mask.dtype == torch.bool:
        return mask
    return mask > torch.finfo(mask.dtype).min / 2


def use_our_attention(bert_model: nn.Module) -> nn.Module:
    """Replace every ``BertAttention`` of a transformers ``BertModel`` with :class:`BertAttentionBlock`.

    The weights are copied, so the model computes the same hidden states — which is how the
    course checks its attention against the real thing. Modifies and returns ``bert_model``.
    """
    encoder = getattr(bert_model, "encoder", None) or bert_model.bert.encoder
    for layer in encoder.layer:
        layer.attention = BertAttentionBlock(layer.attention)
    return bert_model
