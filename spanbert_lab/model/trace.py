"""One encoder forward pass, every intermediate kept: the layer explorer's view of the trunk.

Notebook 01b builds the encoder step by step; :class:`~spanbert_lab.model.trunk.SpanBertModel` is
that encoder as the module that trains. :func:`encoder_trace` runs the trunk's own sub-modules one
by one and keeps every intermediate vector, so a token can be followed through the sublayers:
embeddings → (attention → + residual, LayerNorm → feed-forward → + residual, LayerNorm) per layer.
BERT is *post-LN*: LayerNorm comes after each residual sum. The attention inside is the course's
written-out one (:mod:`spanbert_lab.model.attention`), which returns its weights.

Shape legend: B = batch, T = sequence length, C = hidden size, H = heads.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from spanbert_lab.model.trunk import SpanBertModel

__all__ = ["EncoderTrace", "allowed_keys", "encoder_trace", "input_dependency"]


def allowed_keys(keep: torch.Tensor, *, causal: bool = False) -> torch.Tensor:
    """Which keys each query may attend to: (B, 1, T, T) bool from a (B, T) 1/0 padding mask.

    Bidirectional (BERT): every real key. Causal (GPT-style): real keys at or before the query.
    """
    if keep.dim() != 2:
        raise ValueError(f"keep must be (B, T), got shape {tuple(keep.shape)}")
    t = keep.shape[1]
    allowed = keep.bool()[:, None, None, :].expand(-1, 1, t, t)  # (B, 1, T_q, T_k)
    if causal:
        allowed = allowed & torch.ones(t, t, dtype=torch.bool, device=keep.device).tril()
    return allowed


@dataclass
class EncoderTrace:
    """Every intermediate of one encoder forward pass.

    Attributes:
        stages: ``(name, (B, T, C) tensor)`` in computation order; the last is the output.
        attentions: per layer, the attention weights (B, H, T, T).
    """

    stages: list[tuple[str, torch.Tensor]]
    attentions: list[torch.Tensor]

    @property
    def output(self) -> torch.Tensor:
        """The final hidden states, (B, T, C)."""
        return self.stages[-1][1]


def _layer(
    x: torch.Tensor, allowed: torch.Tensor, layer: torch.nn.Module, prefix: str
) -> tuple[list[tuple[str, torch.Tensor]], torch.Tensor]:
    """One trunk layer (:class:`~spanbert_lab.model.trunk.BertLayer`), sub-module by sub-module."""
    context, weights = layer.attention.self(x, allowed, output_attentions=True)
    out = layer.attention.output
    attended = out.dense(context)
    a = out.LayerNorm(x + attended)  # residual, then LayerNorm (post-LN)
    ffn = layer.output.dense(layer.intermediate(a))  # C -> I -> C
    y = layer.output.LayerNorm(a + ffn)
    stages = [
        (f"{prefix}attention output", attended),
        (f"{prefix}+ residual, LayerNorm", a),
        (f"{prefix}feed-forward output", ffn),
        (f"{prefix}+ residual, LayerNorm", y),
    ]
    return stages, weights


@torch.no_grad()
def encoder_trace(
    model: SpanBertModel,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    token_type_ids: torch.Tensor | None = None,
    *,
    causal: bool = False,
    inputs_embeds: torch.Tensor | None = None,
) -> EncoderTrace:
    """Run ``model``'s encoder with its own weights, keeping every intermediate (eval mode).

    Args:
        model: the trunk, a :class:`~spanbert_lab.model.trunk.SpanBertModel` (in eval mode: the
            trace is the inference computation, without dropout).
        input_ids: (B, T) long.
        attention_mask: (B, T), 1 = real token (default: all 1).
        token_type_ids: (B, T) segment ids (default: all 0).
        causal: mask every key after the query (what a left-to-right language model does).
        inputs_embeds: (B, T, C) word embeddings to use instead of looking up ``input_ids``.

    Returns:
        An :class:`EncoderTrace`; with ``causal=False`` its output equals
        ``model(...).last_hidden_state``.
    """
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    if ids.dim() != 2:
        raise ValueError(f"input_ids must be (B, T), got shape {tuple(ids.shape)}")
    keep = torch.ones_like(ids) if attention_mask is None else torch.as_tensor(attention_mask)
    segments = torch.zeros_like(ids) if token_type_ids is None else token_type_ids
    if not isinstance(model, SpanBertModel):
        raise TypeError(
            f"encoder_trace needs the course trunk (SpanBertModel), got {type(model).__name__}; "
            "open a checkpoint with SpanBertModel.from_pretrained(path)"
        )
    if model.training:
        raise ValueError("encoder_trace traces the eval-mode computation: call model.eval() first")
    x = model.embeddings(ids, segments, inputs_embeds)
    stages: list[tuple[str, torch.Tensor]] = [("embeddings (token + position + segment, LN)", x)]
    attentions = []
    allowed = allowed_keys(keep, causal=causal)
    for i, layer in enumerate(model.encoder.layer):
        layer_stages, weights = _layer(x, allowed, layer, f"layer {i}: ")
        stages.extend(layer_stages)
        attentions.append(weights)
        x = layer_stages[-1][1]
    return EncoderTrace(stages, attentions)


def input_dependency(
    model: SpanBertModel, input_ids: torch.Tensor, *, causal: bool, eps: float = 1e-2
) -> torch.Tensor:
    """How much output position i moves when the input embedding at position j is nudged.

    Returns a (T, T) float tensor, entry (i, j) = ‖Δ output_i‖ / ‖Δ input_j‖ for a small fixed
    perturbation of position j's word embedding (one sequence, ``input_ids`` of shape (1, T)).
    Zero exactly where output i cannot see input j.
    """
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    if ids.dim() != 2 or ids.shape[0] != 1:
        raise ValueError(f"input_ids must be (1, T), got shape {tuple(ids.shape)}")
    with torch.no_grad():
        words = model.embeddings.word_embeddings(ids)  # (1, T, C)
    base = encoder_trace(model, ids, causal=causal, inputs_embeds=words).output[0]
    t, c = words.shape[1], words.shape[2]
    # a fixed zero-mean direction (a constant shift would be removed by the embeddings' LayerNorm)
    direction = torch.cos(torch.arange(c, dtype=words.dtype))
    direction = (direction - direction.mean()) / (direction - direction.mean()).norm()
    out = torch.zeros(t, t, dtype=words.dtype)
    for j in range(t):
        nudged = words.clone()
        nudged[0, j] += eps * direction
        moved = encoder_trace(model, ids, causal=causal, inputs_embeds=nudged).output[0]
        out[:, j] = (moved - base).norm(dim=-1) / eps
    return out
