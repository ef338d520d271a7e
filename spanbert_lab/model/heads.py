"""The two SpanBERT prediction heads: BERT's masked-LM head and the span boundary objective head.

Paper: Joshi et al., "SpanBERT", TACL 2020, §3.2 and §4.2 (``docs/spanbert-reference.md#sbo``). Both
heads read the encoder's final layer and predict a token through an output matrix that *is* the
input word embedding matrix (tied), each with its own vocabulary bias.

- :class:`MaskedLMHead` — BERT's head: ``dense h→h, GeLU, LayerNorm``, tied decoder + bias. Its
  parameter names match ``transformers.BertForMaskedLM``'s ``cls.predictions.*`` exactly, so a
  SpanBERT checkpoint opens in ``BertForMaskedLM`` with the trained head.
- :class:`SpanBoundaryHead` — the SBO head. For a target token ``x_i`` inside a span ``(s, e)``::

      h0  = [x_{s-1}; x_{e+1}; p_{i-s}]      (2h + P, P = relative-position size, 200 in the paper)
      h1  = LayerNorm(GeLU(W1 h0))           (h)
      y_i = LayerNorm(GeLU(W2 h1))           (h)
      logits = y_i E^T + b_sbo               (V, E = word embeddings, tied)

  The positions are 0-based offsets from the first token of the span (the paper's ``p_{i-s+1}``
  with 1-based indexing), ``0 .. max_targets-1``.

Both heads take *already gathered* vectors — one row per target — so vocabulary logits are never
computed at positions without a target (see :mod:`spanbert_lab.model.losses` for the gathering).

Shape legend: N = number of targets (rows), h = hidden size, P = relative-position embedding
size, V = vocabulary size, K = max targets per span (rows of the position table).
"""

from __future__ import annotations

import torch
from torch import nn
from transformers.activations import ACT2FN

__all__ = ["DenseActLayerNorm", "MaskedLMHead", "SpanBoundaryHead", "resize_bias_"]


def resize_bias_(head: nn.Module, vocab_size: int) -> None:
    """Give ``head.bias`` ``vocab_size`` entries: keep the old ones, new ones start at 0."""
    old = head.bias
    new = torch.zeros(vocab_size, dtype=old.dtype, device=old.device)
    keep = min(vocab_size, old.numel())
    new[:keep] = old.detach()[:keep]
    head.bias = nn.Parameter(new)


class DenseActLayerNorm(nn.Module):
    """``LayerNorm(act(W x + b))``: the building block of both heads (no dropout, as the paper).

    Attribute names (``dense``, ``LayerNorm``) follow ``transformers``' ``BertPredictionHeadTransform``
    so that the MLM head's weights load into ``BertForMaskedLM``.
    """

    def __init__(self, in_features: int, out_features: int, act: str, eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(in_features, out_features)
        self.act = ACT2FN[act]
        self.LayerNorm = nn.LayerNorm(out_features, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_features) → (N, out_features)."""
        return self.LayerNorm(self.act(self.dense(x)))


class MaskedLMHead(nn.Module):
    """BERT's masked-LM head: transform h→h, then the tied decoder with the head's own bias.

    ``decoder.weight`` is tied to the word embeddings by the owning model (``_tied_weights_keys``);
    the decoder has no bias of its own — :attr:`bias` is added explicitly (``BertForMaskedLM``
    ties its ``decoder.bias`` to the same saved key ``cls.predictions.bias``). The saved keys are ``cls.predictions.transform.dense.*``,
    ``cls.predictions.transform.LayerNorm.*`` and ``cls.predictions.bias``, as in
    ``BertForMaskedLM``.
    """

    def __init__(self, hidden_size: int, vocab_size: int, act: str, eps: float) -> None:
        super().__init__()
        self.transform = DenseActLayerNorm(hidden_size, hidden_size, act, eps)
        # weight tied to the word embeddings by the owning model; the bias is kept apart (below)
        self.decoder = nn.Linear(hidden_size, vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(vocab_size))  # the MLM head's own vocabulary bias

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """Vocabulary logits for gathered hidden states: (N, h) → (N, V)."""
        return self.decoder(self.transform(hidden)) + self.bias


class SpanBoundaryHead(nn.Module):
    """The span boundary objective head (paper §3.2, ``docs/spanbert-reference.md#sbo``).

    Args:
        hidden_size: h, the encoder width.
        vocab_size: V.
        position_size: P, width of the relative-position embedding (200 in the paper).
        max_targets: K, rows of the relative-position table (15 in the published command).
        act: activation name (``"gelu"``).
        eps: LayerNorm epsilon (1e-12, TF style, as BERT).

    Parameters (under the model's ``cls.span_boundary.`` prefix): ``position_embeddings.weight``
    (K, P), ``layer1.dense`` (2h + P → h), ``layer1.LayerNorm``, ``layer2.dense`` (h → h),
    ``layer2.LayerNorm``, ``bias`` (V); ``decoder.weight`` is tied to the word embeddings.
    """

    def __init__(
        self,
        hidden_size: int,
        vocab_size: int,
        position_size: int,
        max_targets: int,
        act: str,
        eps: float,
    ) -> None:
        super().__init__()
        self.max_targets = max_targets
        self.position_embeddings = nn.Embedding(max_targets, position_size)
        self.layer1 = DenseActLayerNorm(2 * hidden_size + position_size, hidden_size, act, eps)
        self.layer2 = DenseActLayerNorm(hidden_size, hidden_size, act, eps)
        # weight tied to the word embeddings by the owning model; the bias is kept apart (below)
        self.decoder = nn.Linear(hidden_size, vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(vocab_size))  # SBO's own bias, not the MLM head's

    def represent(
        self, left: torch.Tensor, right: torch.Tensor, positions: torch.Tensor
    ) -> torch.Tensor:
        """The SBO output vectors ``y_i`` before the decoder.

        Args:
            left: (N, h) hidden state of the left boundary token ``x_{s-1}``, one row per target.
            right: (N, h) hidden state of the right boundary token ``x_{e+1}``.
            positions: (N,) long, relative position ``i - s`` of the target inside its span.

        Returns:
            (N, h) float tensor.
        """
        h0 = torch.cat([left, right, self.position_embeddings(positions)], dim=-1)  # (N, 2h + P)
        return self.layer2(self.layer1(h0))  # (N, h)

    def forward(
        self, left: torch.Tensor, right: torch.Tensor, positions: torch.Tensor
    ) -> torch.Tensor:
        """Vocabulary logits (N, V) for each target; arguments as in :meth:`represent`."""
        return self.decoder(self.represent(left, right, positions)) + self.bias
