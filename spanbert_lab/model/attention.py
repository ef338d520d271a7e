"""Scaled dot-product attention, written out (Vaswani et al. 2017, §3.2; BERT's encoder layers).

Shapes legend: ``B`` batch, ``H`` heads, ``T`` tokens (``T_q`` queries, ``T_k`` keys),
``D`` head size.

Masks follow PyTorch's boolean convention: ``True`` = this query may attend to this key. A query
whose every key is masked gets all-zero weights and a zero output (never NaN), as PyTorch's own
``scaled_dot_product_attention`` does. Everything here is checked in the test-suite against
``torch.nn.functional.scaled_dot_product_attention`` and against transformers' ``BertModel``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


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
