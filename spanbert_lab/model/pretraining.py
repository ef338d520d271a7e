"""The SpanBERT pretraining model: the course's BERT trunk with MLM and SBO heads.

Paper: Joshi et al., "SpanBERT", TACL 2020, §3.2 (span boundary objective) and §4.2
(``docs/spanbert-reference.md#sbo``). The trunk is :class:`~spanbert_lab.model.trunk.SpanBertModel`
(notebook 01b's encoder, with transformers' BERT parameter names) named ``bert`` — so
real BERT / SpanBERT encoder weights load into it, and its checkpoints open directly in
``BertModel``, ``BertForQuestionAnswering``, ``BertForTokenClassification``,
``BertForSequenceClassification`` and ``BertForMaskedLM`` (with the trained MLM head). The heads are
the course's own (:mod:`spanbert_lab.model.heads`), the loss is ``mean MLM CE + w × mean SBO CE (+ NSP
CE)`` (:mod:`spanbert_lab.model.losses`), and vocabulary logits are computed at the targets only.

State-dict keys (``save_pretrained`` writes safetensors; tied copies are not stored)::

    bert.embeddings.* / bert.encoder.*          the encoder, as BertModel (no pooler: SpanBERT has none)
    bert.pooler.dense.*                         only with use_nsp=True (NSP ablation)
    cls.predictions.transform.dense.*           MLM head, named exactly as BertForMaskedLM's
    cls.predictions.transform.LayerNorm.*
    cls.predictions.bias                        (decoder.weight = word embeddings; BertForMaskedLM
                                                ties its decoder.bias to this key)
    cls.span_boundary.position_embeddings.weight   SBO head (K, P); ignored by every BERT class
    cls.span_boundary.layer1.{dense,LayerNorm}.*   2h + P → h
    cls.span_boundary.layer2.{dense,LayerNorm}.*   h → h
    cls.span_boundary.bias                      (decoder.weight = word embeddings)
    cls.seq_relationship.*                      only with use_nsp=True, named as BertForPreTraining's

``config.model_type`` stays ``"bert"`` so that ``AutoConfig`` / ``AutoModelFor*`` / ``pipeline``
resolve a saved directory to the BERT classes; ``config.architectures`` records
``SpanBertForPreTraining``. Loading into ``BertForSequenceClassification`` (or ``BertModel`` with
its default pooler) creates a *new, random* pooler — SpanBERT was pretrained without one.

Shape legend: B = batch, T = sequence length, M = SBO slots per example, h = hidden size,
V = vocabulary size, N = number of gathered targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from huggingface_hub.dataclasses import strict
from torch import nn
from transformers import BertConfig
from transformers import initialization as init
from transformers.models.bert.modeling_bert import BertPreTrainedModel
from transformers.utils import ModelOutput

from spanbert_lab.model.heads import MaskedLMHead, SpanBoundaryHead, resize_bias_
from spanbert_lab.model.losses import gather_mlm_targets, gather_sbo_targets, mean_cross_entropy
from spanbert_lab.model.trunk import SpanBertModel

__all__ = ["PRESETS", "SpanBertConfig", "SpanBertForPreTraining", "SpanBertForPreTrainingOutput"]

#: Named model sizes (BERT-tiny/mini/small follow Turc et al. 2019; "base" is BERT-base).
#: The vocabulary comes from the tokenizer. "tiny" is the course default.
PRESETS: dict[str, dict[str, int]] = {
    "tiny": dict(
        hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512,
        max_position_embeddings=256,
    ),
    "mini": dict(
        hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024,
        max_position_embeddings=256,
    ),
    "small": dict(
        hidden_size=512, num_hidden_layers=4, num_attention_heads=8, intermediate_size=2048,
        max_position_embeddings=512,
    ),
    "base": dict(
        hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
        max_position_embeddings=512,
    ),
}  # fmt: skip


@strict
class SpanBertConfig(BertConfig):
    """``BertConfig`` plus the span boundary objective's settings.

    Attributes (besides every ``BertConfig`` field):
        sbo_position_embedding_size: P, width of the SBO relative-position embedding (paper: 200).
        sbo_max_targets: K, targets per span that get an SBO prediction = rows of the position
            table (published command: 15).
        sbo_loss_weight: w in ``loss = MLM + w × SBO`` (paper: 1.0); 0 skips the SBO head.
        use_nsp: add BERT's pooler and next-sentence head (for the two-segment + NSP ablation).

    ``model_type`` is ``"bert"`` on purpose (see the module docstring).

    Raises:
        ValueError: naming the field, for a non-positive size, a negative weight, or a hidden size
            that the number of heads does not divide.
    """

    sbo_position_embedding_size: int = 200
    sbo_max_targets: int = 15
    sbo_loss_weight: float | int = 1.0
    use_nsp: bool = False

    def __post_init__(self, **kwargs: Any) -> None:
        for name in (
            "sbo_position_embedding_size",
            "sbo_max_targets",
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"SpanBertConfig.{name} must be a positive int, got {value!r}")
        if not self.sbo_loss_weight >= 0:  # also rejects NaN
            raise ValueError(
                f"SpanBertConfig.sbo_loss_weight must be >= 0, got {self.sbo_loss_weight!r}"
            )
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"SpanBertConfig.hidden_size={self.hidden_size} is not a multiple of "
                f"num_attention_heads={self.num_attention_heads}"
            )
        super().__post_init__(**kwargs)

    @classmethod
    def preset(cls, name: str, *, vocab_size: int, **overrides: Any) -> SpanBertConfig:
        """A named size from :data:`PRESETS` (``"tiny"`` is the course default).

        Args:
            name: ``"tiny"``, ``"mini"``, ``"small"`` or ``"base"``.
            vocab_size: the tokenizer's vocabulary size, ``len(tokenizer)``.
            **overrides: any other config field (e.g. ``pad_token_id=…``, ``use_nsp=True``).

        Raises:
            ValueError: unknown preset, or a field that fails the config's checks.
        """
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
        return cls(**{**PRESETS[name], "vocab_size": vocab_size, **overrides})


@dataclass
class SpanBertForPreTrainingOutput(ModelOutput):
    """What :meth:`SpanBertForPreTraining.forward` returns (always this dataclass).

    Attributes:
        loss: scalar, ``mlm_loss + sbo_loss_weight × sbo_loss + nsp_loss`` over the terms whose
            labels were given; ``None`` when no labels were given.
        mlm_loss: scalar mean MLM cross-entropy over ``labels != -100`` (0 if there are none).
        sbo_loss: scalar mean SBO cross-entropy over ``sbo_labels != -100`` (0 if there are
            none); ``None`` without SBO inputs or with ``sbo_loss_weight == 0``.
        nsp_loss: scalar NSP cross-entropy (only with ``use_nsp`` and ``next_sentence_label``).
        mlm_logits: (N_mlm, V) logits at the MLM targets in row-major ``(batch, position)`` order,
            i.e. at ``labels.ne(-100).nonzero()``; ``None`` without ``labels``.
        sbo_logits: (N_sbo, V) logits at the SBO targets in row-major ``(batch, slot)`` order
            (every slot when ``sbo_labels`` is None); ``None`` without SBO inputs.
        nsp_logits: (B, 2) next-sentence logits (only with ``use_nsp``).
        last_hidden_state: (B, T, h) the encoder's final layer.
        attentions: per layer (B, heads, T, T), only with ``output_attentions=True``.
    """

    loss: torch.Tensor | None = None
    mlm_loss: torch.Tensor | None = None
    sbo_loss: torch.Tensor | None = None
    nsp_loss: torch.Tensor | None = None
    mlm_logits: torch.Tensor | None = None
    sbo_logits: torch.Tensor | None = None
    nsp_logits: torch.Tensor | None = None
    last_hidden_state: torch.Tensor | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class SpanBertHeads(nn.Module):
    """Container for the heads, so that their keys live under ``cls.`` as in ``BertForMaskedLM``."""

    def __init__(self, config: SpanBertConfig) -> None:
        super().__init__()
        act, eps = config.hidden_act, config.layer_norm_eps
        self.predictions = MaskedLMHead(config.hidden_size, config.vocab_size, act, eps)
        self.span_boundary = SpanBoundaryHead(
            config.hidden_size,
            config.vocab_size,
            config.sbo_position_embedding_size,
            config.sbo_max_targets,
            act,
            eps,
        )
        self.seq_relationship = nn.Linear(config.hidden_size, 2) if config.use_nsp else None


class SpanBertForPreTraining(BertPreTrainedModel):
    """SpanBERT's pretraining model: ``bert`` (a ``BertModel``) + MLM head + SBO head (+ NSP).

    Both decoders share the word-embedding matrix (``_tied_weights_keys``); each head has its own
    vocabulary bias. The trunk is the course's own encoder (:class:`~spanbert_lab.model.trunk.SpanBertModel`,
    SDPA attention; ``output_attentions=True`` runs the written-out attention and returns the weights).
    ``from_pretrained`` also opens a plain BERT / SpanBERT encoder directory (e.g.
    ``SpanBERT/spanbert-base-cased``); the heads are then newly initialised and transformers'
    load report lists them as missing.
    """

    config_class = SpanBertConfig  # explicit: string annotations (PEP 563) are not resolved
    _tied_weights_keys: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
        "cls.span_boundary.decoder.weight": "bert.embeddings.word_embeddings.weight",
    }

    def __init__(self, config: SpanBertConfig) -> None:
        super().__init__(config)
        self.bert = SpanBertModel(config, add_pooling_layer=config.use_nsp)
        self.cls = SpanBertHeads(config)
        self.post_init()

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        """BERT's initialisation (normal(0, initializer_range), LayerNorm 1/0), head biases zero."""
        super()._init_weights(module)
        if isinstance(module, (MaskedLMHead, SpanBoundaryHead)):
            init.zeros_(module.bias)

    def get_output_embeddings(self) -> nn.Linear:
        """The MLM decoder (tied to the word embeddings), as ``BertForMaskedLM``."""
        return self.cls.predictions.decoder

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        self.cls.predictions.decoder = new_embeddings

    def resize_token_embeddings(self, *args: Any, **kwargs: Any) -> nn.Embedding:
        """As ``PreTrainedModel.resize_token_embeddings``, and resize both heads' own biases."""
        embeddings = super().resize_token_embeddings(*args, **kwargs)
        for head in (self.cls.predictions, self.cls.span_boundary):
            resize_bias_(head, embeddings.num_embeddings)
        return embeddings

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        sbo_left: torch.Tensor | None = None,
        sbo_right: torch.Tensor | None = None,
        sbo_positions: torch.Tensor | None = None,
        sbo_labels: torch.Tensor | None = None,
        next_sentence_label: torch.Tensor | None = None,
        output_attentions: bool = False,
    ) -> SpanBertForPreTrainingOutput:
        """Encode, gather the targets, score them, and add up the losses.

        Args:
            input_ids: (B, T) long, the masked input.
            attention_mask: (B, T) long, 1 = real token (default: all ones).
            token_type_ids: (B, T) long segment ids (default: all zeros).
            labels: (B, T) long, original id at MLM targets, -100 elsewhere.
            sbo_left, sbo_right: (B, M) long, token index of each target's span boundaries.
            sbo_positions: (B, M) long, relative position ``0 .. sbo_max_targets-1``.
            sbo_labels: (B, M) long target ids, -100 = padding slot.
            next_sentence_label: (B,) long, 0 = B follows A (needs ``use_nsp``).
            output_attentions: also return every layer's attention probabilities.

        Returns:
            A :class:`SpanBertForPreTrainingOutput`.

        Raises:
            ValueError: incomplete SBO inputs, NSP labels without an NSP head, or indices out
                of range (see :func:`spanbert_lab.model.losses.gather_sbo_targets`).
        """
        sbo_given = [x is not None for x in (sbo_left, sbo_right, sbo_positions)]
        if any(sbo_given) and not all(sbo_given):
            raise ValueError("pass sbo_left, sbo_right and sbo_positions together (or none)")
        if sbo_labels is not None and not all(sbo_given):
            raise ValueError("sbo_labels needs sbo_left, sbo_right and sbo_positions")
        if next_sentence_label is not None and not self.config.use_nsp:
            raise ValueError("next_sentence_label given but the config has use_nsp=False")

        encoded = self.bert(
            input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            output_attentions=output_attentions,
        )
        hidden = encoded.last_hidden_state  # (B, T, h)
        out = SpanBertForPreTrainingOutput(
            last_hidden_state=hidden,
            attentions=encoded.attentions if output_attentions else None,
        )
        losses: list[torch.Tensor] = []

        if labels is not None:  # masked LM: gather the targets first, then score them
            at_targets, targets, _ = gather_mlm_targets(hidden, labels)  # (N, h), (N,)
            out.mlm_logits = self.cls.predictions(at_targets)  # (N, V)
            out.mlm_loss = mean_cross_entropy(out.mlm_logits, targets)
            losses.append(out.mlm_loss)

        weight = float(self.config.sbo_loss_weight)
        if all(sbo_given) and weight > 0:  # span boundary objective
            gathered = gather_sbo_targets(
                hidden,
                sbo_left,
                sbo_right,
                sbo_positions,
                sbo_labels,
                max_targets=self.config.sbo_max_targets,
            )
            out.sbo_logits = self.cls.span_boundary(
                gathered.left, gathered.right, gathered.positions
            )  # (N, V)
            if gathered.labels is not None:
                out.sbo_loss = mean_cross_entropy(out.sbo_logits, gathered.labels)
                losses.append(weight * out.sbo_loss)

        if self.cls.seq_relationship is not None:  # NSP ablation: pooled [CLS] → 2 classes
            out.nsp_logits = self.cls.seq_relationship(encoded.pooler_output)  # (B, 2)
            if next_sentence_label is not None:
                out.nsp_loss = nn.functional.cross_entropy(
                    out.nsp_logits, next_sentence_label.view(-1)
                )
                losses.append(out.nsp_loss)

        if losses:
            out.loss = torch.stack(losses).sum()
        return out
