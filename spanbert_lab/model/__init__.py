"""The model core: the course's BERT trunk, SpanBERT's heads and losses, and the task models.

Read in paper order: :mod:`~spanbert_lab.model.attention` (attention written out, notebook 01) →
:mod:`~spanbert_lab.model.trunk` (the encoder of notebook 01b, the module that trains) →
:mod:`~spanbert_lab.model.heads` and :mod:`~spanbert_lab.model.losses` (MLM and the span boundary
objective, notebook 03) → :mod:`~spanbert_lab.model.pretraining` (the pretraining model and its
config) → :mod:`~spanbert_lab.model.finetuning` (BERT's task heads on the trunk).
:mod:`~spanbert_lab.model.trace` keeps every intermediate of a forward pass for the layer explorer;
:mod:`~spanbert_lab.model.hub` opens the released checkpoints (an online opt-in). Nothing here reads
course data.
"""

from spanbert_lab.model.finetuning import (
    TASK_MODELS,
    SpanBertForQuestionAnswering,
    SpanBertForSequenceClassification,
    SpanBertForTokenClassification,
)
from spanbert_lab.model.pretraining import PRESETS, SpanBertConfig, SpanBertForPreTraining
from spanbert_lab.model.trunk import SpanBertModel

__all__ = [
    "PRESETS",
    "TASK_MODELS",
    "SpanBertConfig",
    "SpanBertForPreTraining",
    "SpanBertForQuestionAnswering",
    "SpanBertForSequenceClassification",
    "SpanBertForTokenClassification",
    "SpanBertModel",
]
