"""The fine-tuning models: the course's trunk with BERT's standard task heads.

The paper fine-tunes with BERT's own heads (Joshi et al. 2020, §4.1; the SBO is pretraining only):
two linear start/end scorers for extractive QA, a per-token classifier for NER, and a classifier on
the pooled ``[CLS]`` vector for sentence classification. Each class here is that head on
:class:`~spanbert_lab.model.trunk.SpanBertModel`, with the parameter names of transformers' matching
class (``bert.*``, ``qa_outputs.*``, ``classifier.*``), so a saved fine-tuned model opens in
``BertForQuestionAnswering`` (…) and any BERT checkpoint loads into these. The outputs are
transformers' own output dataclasses, so code written for ``BertFor*`` reads them unchanged.

Shape legend: B = batch, T = tokens, C = hidden size, K = number of labels.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import BertConfig
from transformers.modeling_outputs import (
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from transformers.models.bert.modeling_bert import BertPreTrainedModel

from spanbert_lab.model.coref import SpanBertForCoreference
from spanbert_lab.model.trunk import SpanBertModel

__all__ = [
    "TASK_MODELS",
    "SpanBertForQuestionAnswering",
    "SpanBertForSequenceClassification",
    "SpanBertForTokenClassification",
]


class SpanBertForQuestionAnswering(BertPreTrainedModel):
    """Extractive QA: a start and an end score per token (``qa_outputs``: C → 2).

    The loss is the mean of the start and end cross-entropies over the tokens of each window; a
    gold position outside the window is ignored (as in ``BertForQuestionAnswering``).
    """

    config_class = BertConfig

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = SpanBertModel(config, add_pooling_layer=False)
        self.qa_outputs = nn.Linear(config.hidden_size, 2)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
    ) -> QuestionAnsweringModelOutput:
        """Args: (B, T) ids, mask and segments; (B,) gold start and end token indices.

        Returns ``start_logits`` and ``end_logits`` (B, T), and ``loss`` when positions are given.
        """
        hidden = self.bert(input_ids, attention_mask, token_type_ids).last_hidden_state
        start, end = self.qa_outputs(hidden).unbind(-1)  # (B, T, 2) → two (B, T)
        loss = None
        if start_positions is not None and end_positions is not None:
            outside = start.shape[1]  # a position outside the window is ignored
            loss_fn = nn.CrossEntropyLoss(ignore_index=outside)
            starts = start_positions.view(-1).clamp(0, outside)
            ends = end_positions.view(-1).clamp(0, outside)
            loss = (loss_fn(start, starts) + loss_fn(end, ends)) / 2
        return QuestionAnsweringModelOutput(
            loss=loss, start_logits=start.contiguous(), end_logits=end.contiguous()
        )


class SpanBertForTokenClassification(BertPreTrainedModel):
    """Token classification (NER): dropout, then ``classifier`` (C → K) at every token."""

    config_class = BertConfig

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = SpanBertModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(_classifier_dropout(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> TokenClassifierOutput:
        """Args: (B, T) ids, mask, segments and ``labels`` (-100 = not scored).

        Returns ``logits`` (B, T, K), and ``loss`` (mean cross-entropy) when labels are given.
        """
        hidden = self.bert(input_ids, attention_mask, token_type_ids).last_hidden_state
        logits = self.classifier(self.dropout(hidden))  # (B, T, K)
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits.view(-1, self.num_labels), labels.view(-1))
        return TokenClassifierOutput(loss=loss, logits=logits)


class SpanBertForSequenceClassification(BertPreTrainedModel):
    """Sentence classification: ``tanh`` pooler on ``[CLS]``, dropout, ``classifier`` (C → K).

    SpanBERT was pretrained without a pooler, so for a SpanBERT checkpoint the pooler is new.
    """

    config_class = BertConfig

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        if config.num_labels < 2:
            raise ValueError(
                f"num_labels={config.num_labels}: classification needs at least 2 classes "
                "(regression is not supported)"
            )
        self.num_labels = config.num_labels
        self.bert = SpanBertModel(config, add_pooling_layer=True)
        self.dropout = nn.Dropout(_classifier_dropout(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> SequenceClassifierOutput:
        """Args: (B, T) ids, mask and segments; (B,) class ``labels``.

        Returns ``logits`` (B, K), and ``loss`` (mean cross-entropy) when labels are given.
        """
        pooled = self.bert(input_ids, attention_mask, token_type_ids).pooler_output  # (B, C)
        logits = self.classifier(self.dropout(pooled))  # (B, K)
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits, labels.view(-1))
        return SequenceClassifierOutput(loss=loss, logits=logits)


def _classifier_dropout(config: BertConfig) -> float:
    value = getattr(config, "classifier_dropout", None)
    return config.hidden_dropout_prob if value is None else value


#: The task models by the name of the transformers class whose checkpoints they share.
TASK_MODELS: dict[str, type[BertPreTrainedModel]] = {
    "BertForQuestionAnswering": SpanBertForQuestionAnswering,
    "BertForTokenClassification": SpanBertForTokenClassification,
    "BertForSequenceClassification": SpanBertForSequenceClassification,
    # no transformers class: the course's own (spanbert_lab.model.coref), the coreference task's
    "SpanBertForCoreference": SpanBertForCoreference,
}
