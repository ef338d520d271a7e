"""Coreference with gold mentions: pick each mention's antecedent from span representations.

The paper fine-tunes SpanBERT for coreference in the model of Lee et al. (2018) (Joshi et al. 2020,
§4.2), where a span is represented by its **boundary tokens** — the encoder's output at its first
and its last WordPiece — and a learned embedding of its width, and every pair of a mention and an
earlier mention is scored by a feed-forward network; a dummy antecedent ε ("no antecedent",
a new entity starts here) has the fixed score 0. This is that antecedent scorer in miniature,
given the gold mentions (no mention detection, no pruning, no higher-order refinement):

    g_i    = [h_start(i); h_end(i); φ_width(i)]                         the span's representation
    s(i,j) = FFNN([g_i; g_j; g_i ∘ g_j; φ_dist(i − j)])  for j < i       a candidate antecedent
    s(i,ε) = 0
    P(y_i = y) = softmax over {ε, 0 … i−1}

``φ_dist`` embeds how many mentions apart the pair is, in Lee et al.'s buckets (1, 2, 3, 4, 5–7,
8–15, 16+). The loss is Lee et al.'s **marginal log-likelihood over all gold antecedents**: for
mention i, −log Σ_{j ∈ GOLD(i)} P(y_i = j), GOLD(i) = every earlier mention of i's entity, or {ε}
when there is none; averaged over the batch's mentions.

Sizes come from the config when set (``coref_width_size`` … below), else the defaults. The class is
a transformers ``BertPreTrainedModel`` with the trunk as ``bert``, so any course or BERT checkpoint
loads into it (the scorer is new) and a fine-tuned one saves and reloads.

Shape legend: B = batch, T = tokens, C = hidden size, M = mentions per document (padded),
S = 2C + width size.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import BertConfig
from transformers.models.bert.modeling_bert import BertPreTrainedModel
from transformers.utils import ModelOutput

from spanbert_lab.model.trunk import SpanBertModel

__all__ = ["CoreferenceOutput", "SpanBertForCoreference", "distance_buckets"]

DEFAULTS = {
    "coref_width_size": 20,  # φ_width dimensions
    "coref_max_width": 30,  # widths (WordPieces) at or above this share the last embedding
    "coref_distance_size": 20,  # φ_dist dimensions
    "coref_ffnn_size": 150,  # hidden units of the pair scorer (Lee et al.: 150)
}
_BUCKET_EDGES = (1, 2, 3, 4, 5, 8, 16)  # bucket k holds distances in [edge_k, edge_{k+1})


def distance_buckets(distance: torch.Tensor) -> torch.Tensor:
    """Lee et al.'s distance buckets: 1, 2, 3, 4, 5–7, 8–15, 16+ → 0 … 6 (0 and less → 0)."""
    edges = torch.tensor(_BUCKET_EDGES, device=distance.device)
    return (torch.bucketize(distance.clamp(min=1), edges, right=True) - 1).clamp(min=0)


@dataclass
class CoreferenceOutput(ModelOutput):
    """``antecedent_scores`` (B, M, M + 1): column 0 is ε (score 0), column j + 1 is mention j;
    impossible antecedents (j ≥ i, padding) hold the dtype's lowest value. ``loss`` when
    ``labels`` were given."""

    loss: torch.Tensor | None = None
    antecedent_scores: torch.Tensor | None = None


class SpanBertForCoreference(BertPreTrainedModel):
    """The trunk and an antecedent scorer over boundary-token span representations."""

    config_class = BertConfig

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        size = {k: int(getattr(config, k, v)) for k, v in DEFAULTS.items()}
        self.max_width = size["coref_max_width"]
        self.bert = SpanBertModel(config, add_pooling_layer=False)
        self.width_embeddings = nn.Embedding(self.max_width, size["coref_width_size"])
        self.distance_embeddings = nn.Embedding(len(_BUCKET_EDGES), size["coref_distance_size"])
        span = 2 * config.hidden_size + size["coref_width_size"]
        dropout = getattr(config, "classifier_dropout", None)
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.pair_scorer = nn.Sequential(
            nn.Linear(3 * span + size["coref_distance_size"], size["coref_ffnn_size"]),
            nn.ReLU(),
            nn.Dropout(self.dropout.p),
            nn.Linear(size["coref_ffnn_size"], 1),
        )
        self.post_init()

    def span_representations(
        self, hidden: torch.Tensor, starts: torch.Tensor, ends: torch.Tensor
    ) -> torch.Tensor:
        """(B, M, S): [h_start; h_end; φ_width] for token indices ``starts``/``ends`` (B, M),
        both inclusive."""
        index = torch.arange(hidden.shape[0], device=hidden.device)[:, None]
        width = (ends - starts).clamp(0, self.max_width - 1)
        return torch.cat(
            [hidden[index, starts], hidden[index, ends], self.width_embeddings(width)], -1
        )

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        mention_starts: torch.Tensor | None = None,
        mention_ends: torch.Tensor | None = None,
        mention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> CoreferenceOutput:
        """Args: (B, T) ids, mask and segments; (B, M) long first and last WordPiece of each
        mention, ``mention_mask`` (1 = a mention, 0 = padding; real mentions first, in text
        order) and ``labels``, each mention's entity as any integer shared by the mentions of
        one entity (-100 = padding).

        M may be padded beyond the longest document's mentions; it is cut to that.
        """
        if mention_starts is None or mention_ends is None:
            raise ValueError("coreference needs mention_starts and mention_ends")
        if mention_mask is None:
            mention_mask = torch.ones_like(mention_starts)
        m = max(int(mention_mask.sum(-1).max()), 1)
        starts, ends, keep = mention_starts[:, :m], mention_ends[:, :m], mention_mask[:, :m].bool()
        hidden = self.bert(input_ids, attention_mask, token_type_ids).last_hidden_state
        g = self.dropout(self.span_representations(hidden, starts, ends))  # (B, M, S)
        scores = self._pair_scores(g)  # (B, M, M): anaphor i, candidate j
        index = torch.arange(m, device=g.device)
        valid = (index[None, :] < index[:, None])[None] & keep[:, None, :] & keep[:, :, None]
        scores = scores.masked_fill(~valid, torch.finfo(scores.dtype).min)
        scores = torch.cat([scores.new_zeros((*scores.shape[:2], 1)), scores], -1)
        loss = None
        if labels is not None:
            loss = _marginal_loss(scores, labels[:, :m], valid, keep)
        return CoreferenceOutput(loss=loss, antecedent_scores=scores)

    def _pair_scores(self, g: torch.Tensor) -> torch.Tensor:
        """(B, M, M) s(i, j) for every pair (the mask is applied by the caller)."""
        b, m, s = g.shape
        gi = g[:, :, None, :].expand(b, m, m, s)
        gj = g[:, None, :, :].expand(b, m, m, s)
        index = torch.arange(m, device=g.device)
        dist = self.distance_embeddings(distance_buckets(index[:, None] - index[None, :]))
        pair = torch.cat([gi, gj, gi * gj, dist[None].expand(b, m, m, -1)], -1)
        return self.pair_scorer(pair).squeeze(-1)


def _marginal_loss(
    scores: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor, keep: torch.Tensor
) -> torch.Tensor:
    """Mean over real mentions of −log P(some gold antecedent); ε is gold when none is."""
    same = (labels[:, :, None] == labels[:, None, :]) & valid  # (B, M, M)
    gold = torch.cat([~same.any(-1, keepdim=True), same], -1)  # (B, M, M + 1)
    low = torch.finfo(scores.dtype).min
    log_gold = scores.masked_fill(~gold, low).logsumexp(-1)
    nll = scores.logsumexp(-1) - log_gold  # (B, M)
    real = keep & (labels != -100)
    return (nll * real).sum() / real.sum().clamp(min=1)
