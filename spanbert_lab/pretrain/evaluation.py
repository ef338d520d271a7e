"""Held-out evaluation of a pretraining model: MLM and SBO loss and accuracy, overall and by span.

:func:`evaluate_pretraining` is what the training loop calls: token-weighted mean cross-entropy and top-1
accuracy of the masked-LM head over every MLM target, of the SBO head over every SBO target (and
NSP loss / accuracy in the two-segment ablation), on fixed masks — the collator is used at epoch 0,
so every call on the same blocks sees the same masks and the numbers are comparable across steps
and across models.

:func:`span_accuracy` breaks accuracy down the way the paper's analysis does: by the target's
relative position inside its span (0 = first masked token) and by the span's length in tokens.
A *span* here is a maximal run of consecutive MLM targets (masking merges touching spans, so runs
are exactly the merged spans).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from spanbert_lab.contracts import (
    IGNORE_INDEX,
    CollateFn,
    PretrainExample,
    SpanBatch,
    TokenizerLike,
)

__all__ = [
    "SpanAccuracy",
    "SpanFill",
    "evaluate_pretraining",
    "fill_spans",
    "mlm_target_spans",
    "span_accuracy",
]


@contextlib.contextmanager
def _fixed_masks(collator: CollateFn) -> Iterator[None]:
    """Use the collator's epoch-0 masks for the duration, then put its epoch back."""
    previous = getattr(collator, "epoch", None)
    if hasattr(collator, "set_epoch"):
        collator.set_epoch(0)
    try:
        yield
    finally:
        if previous is not None:
            collator.set_epoch(previous)


def _batches(
    model: nn.Module,
    examples: Sequence[PretrainExample],
    collator: CollateFn,
    batch_size: int,
    device: torch.device | str | None,
) -> Iterator[tuple[SpanBatch, Any]]:
    """(batch on CPU, model output) for consecutive batches, in eval mode without gradients."""
    if device is None:
        device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), _fixed_masks(collator):
            for i in range(0, len(examples), batch_size):
                batch = collator(list(examples[i : i + batch_size]))
                out = model(**{k: v.to(device) for k, v in batch.items()})
                yield batch, out
    finally:
        model.train(was_training)


def evaluate_pretraining(
    model: nn.Module,
    examples: Sequence[PretrainExample],
    collator: CollateFn,
    *,
    batch_size: int = 32,
    device: torch.device | str | None = None,
) -> dict[str, float | int | None]:
    """Loss and accuracy of every head on ``examples``, with the collator's epoch-0 masks.

    Args:
        model: returns ``mlm_logits`` / ``sbo_logits`` / ``nsp_logits`` at the targets
            (:class:`~spanbert_lab.model.pretraining.SpanBertForPreTraining`).
        examples: collator examples (``BlockSet.examples()``).
        collator: e.g. a :class:`~spanbert_lab.masking.collate.MaskingCollator`; its epoch is restored.
        batch_size: examples per forward pass (does not change the result beyond float noise).
        device: default: where the model's parameters are.

    Returns:
        ``mlm_loss``, ``mlm_accuracy``, ``mlm_targets``, ``sbo_loss``, ``sbo_accuracy``,
        ``sbo_targets``, ``nsp_loss``, ``nsp_accuracy`` — means over all targets (not over
        batches); a head without targets gives ``None`` for its loss and accuracy.
    """
    sums = {name: [0.0, 0, 0] for name in ("mlm", "sbo", "nsp")}  # loss sum, correct, count
    for batch, out in _batches(model, examples, collator, batch_size, device):
        pairs = {
            "mlm": (out.mlm_logits, batch.get("labels")),
            "sbo": (out.sbo_logits, batch.get("sbo_labels")),
            "nsp": (out.nsp_logits, batch.get("next_sentence_label")),
        }
        for name, (logits, labels) in pairs.items():
            if logits is None or labels is None:
                continue
            targets = labels[labels != IGNORE_INDEX].to(logits.device)  # (N,) row-major order
            if targets.numel() == 0:
                continue
            logits = logits.float()
            loss = nn.functional.cross_entropy(logits, targets, reduction="sum")
            sums[name][0] += float(loss)
            sums[name][1] += int((logits.argmax(-1) == targets).sum())
            sums[name][2] += targets.numel()
    metrics: dict[str, float | int | None] = {}
    for name, (loss_sum, correct, count) in sums.items():
        metrics[f"{name}_loss"] = loss_sum / count if count else None
        metrics[f"{name}_accuracy"] = correct / count if count else None
        metrics[f"{name}_targets"] = count
    return metrics


def mlm_target_spans(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Relative position and span length of every MLM target, in row-major target order.

    Args:
        labels: (B, T) long, ``-100`` outside the targets.

    Returns:
        ``(position, length)``, both (N,) long, N = number of targets: ``position`` counts from 0
        at the first token of the target's run of consecutive targets, ``length`` is the run's
        length in tokens.
    """
    target = (labels != IGNORE_INDEX).to(torch.long)  # (B, T)
    B, T = target.shape
    # position: running count that resets at every non-target token
    pos = torch.zeros_like(target)
    run = torch.zeros(B, dtype=torch.long)
    for t in range(T):
        run = (run + 1) * target[:, t]
        pos[:, t] = run - 1
    # length: the position of the run's last token + 1, spread back over the run
    length = torch.zeros_like(target)
    nxt = torch.zeros(B, dtype=torch.long)
    for t in range(T - 1, -1, -1):
        is_end = target[:, t] * (1 - (target[:, t + 1] if t + 1 < T else torch.zeros_like(nxt)))
        nxt = torch.where(is_end.bool(), pos[:, t] + 1, nxt)
        length[:, t] = nxt * target[:, t]
    selected = target.bool()
    return pos[selected], length[selected]


@dataclass
class SpanAccuracy:
    """Correct / total counts of one head, by relative position and by span length.

    Index ``k`` of ``by_position`` is relative position ``k``; the last index collects
    ``≥ len - 1``. Index ``k`` of ``by_length`` is span length ``k + 1``; the last collects longer.
    """

    correct_by_position: torch.Tensor
    total_by_position: torch.Tensor
    correct_by_length: torch.Tensor
    total_by_length: torch.Tensor

    @property
    def by_position(self) -> torch.Tensor:
        """(P,) float accuracy per relative position (NaN where there is no target)."""
        return self.correct_by_position / self.total_by_position

    @property
    def by_length(self) -> torch.Tensor:
        """(L,) float accuracy per span length (NaN where there is no target)."""
        return self.correct_by_length / self.total_by_length


def _new(bins_pos: int, bins_len: int) -> SpanAccuracy:
    z = torch.zeros
    return SpanAccuracy(z(bins_pos), z(bins_pos), z(bins_len), z(bins_len))


def _add(acc: SpanAccuracy, hit: torch.Tensor, pos: torch.Tensor, length: torch.Tensor) -> None:
    p = pos.clamp(max=acc.total_by_position.numel() - 1)
    n = (length - 1).clamp(min=0, max=acc.total_by_length.numel() - 1)
    acc.correct_by_position.index_add_(0, p, hit.float())
    acc.total_by_position.index_add_(0, p, torch.ones_like(hit, dtype=torch.float))
    acc.correct_by_length.index_add_(0, n, hit.float())
    acc.total_by_length.index_add_(0, n, torch.ones_like(hit, dtype=torch.float))


def span_accuracy(
    model: nn.Module,
    examples: Sequence[PretrainExample],
    collator: CollateFn,
    *,
    batch_size: int = 32,
    device: torch.device | str | None = None,
    max_position: int = 10,
    max_length: int = 10,
) -> dict[str, SpanAccuracy]:
    """MLM (and SBO) top-1 accuracy by relative position in the span and by span length.

    Uses the collator's epoch-0 masks, like :func:`evaluate_pretraining`. Use a span-masking collator to get
    spans of many lengths (with ``subword`` masking almost every run has length 1).

    Returns:
        ``{"mlm": SpanAccuracy, "sbo": SpanAccuracy}`` (``"sbo"`` only when the model has SBO
        outputs); ``max_position`` / ``max_length`` bins, the last one open-ended.
    """
    result = {"mlm": _new(max_position, max_length)}
    for batch, out in _batches(model, examples, collator, batch_size, device):
        labels = batch["labels"]
        pos, length = mlm_target_spans(labels)
        hit = out.mlm_logits.argmax(-1).cpu() == labels[labels != IGNORE_INDEX]
        _add(result["mlm"], hit, pos, length)
        if out.sbo_logits is not None and "sbo_labels" in batch:
            keep = batch["sbo_labels"] != IGNORE_INDEX  # (B, M)
            sbo_hit = out.sbo_logits.argmax(-1).cpu() == batch["sbo_labels"][keep]
            sbo_len = batch["sbo_right"][keep] - batch["sbo_left"][keep] - 1
            if "sbo" not in result:
                result["sbo"] = _new(max_position, max_length)
            _add(result["sbo"], sbo_hit, batch["sbo_positions"][keep], sbo_len)
    return result


@dataclass(frozen=True)
class SpanFill:
    """One masked span filled in by a model: the original word pieces and the predictions."""

    text: str
    original: tuple[str, ...]
    mlm: tuple[str, ...]
    sbo: tuple[str, ...] | None

    @property
    def mlm_exact(self) -> bool:
        """Whether the masked-LM head recovered every word piece of the span."""
        return self.mlm == self.original


def fill_spans(
    model: nn.Module,
    tokenizer: TokenizerLike,
    items: Sequence[tuple[str, int, int]],
    *,
    batch_size: int = 64,
) -> list[SpanFill]:
    """Replace a character span of each text by ``[MASK]`` tokens and let the heads fill it in.

    Args:
        model: a :class:`~spanbert_lab.model.pretraining.SpanBertForPreTraining`.
        tokenizer: its (fast) tokenizer.
        items: ``(text, char_start, char_end)``; every word piece overlapping the span is masked.
        batch_size: texts per forward pass.

    Returns:
        One :class:`SpanFill` per item; ``sbo`` is ``None`` when the model has no SBO head or
        the span touches [CLS]/[SEP] (no real boundary token). Deterministic (no sampling).
    """
    results: list[SpanFill] = []
    sbo_on = float(getattr(model.config, "sbo_loss_weight", 0.0)) > 0
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    for i in range(0, len(items), batch_size):
        chunk = items[i : i + batch_size]
        enc = tokenizer(
            [t for t, _, _ in chunk], return_offsets_mapping=True, padding=True, return_tensors="pt"
        )
        ids = enc["input_ids"]
        labels = torch.full_like(ids, IGNORE_INDEX)
        spans = []
        for b, (_, start, end) in enumerate(chunk):
            offsets = enc["offset_mapping"][b].tolist()
            inside = [t for t, (s, e) in enumerate(offsets) if e > s and s < end and e > start]
            spans.append((inside[0], inside[-1] + 1))
            labels[b, inside[0] : inside[-1] + 1] = ids[b, inside[0] : inside[-1] + 1]
        masked = torch.where(labels != IGNORE_INDEX, tokenizer.mask_token_id, ids)
        width = max(e - s for s, e in spans)
        sbo = torch.zeros(3, len(chunk), width, dtype=torch.long)
        for b, (s, e) in enumerate(spans):
            sbo[0, b], sbo[1, b] = s - 1, e
            sbo[2, b, : e - s] = torch.arange(e - s)
        max_targets = getattr(model.config, "sbo_max_targets", width)
        sbo[2].clamp_(max=max_targets - 1)
        with torch.no_grad():
            out = model(
                input_ids=masked.to(device),
                attention_mask=enc["attention_mask"].to(device),
                labels=labels.to(device),
                **(
                    {
                        "sbo_left": sbo[0].to(device),
                        "sbo_right": sbo[1].to(device),
                        "sbo_positions": sbo[2].to(device),
                    }
                    if sbo_on
                    else {}
                ),
            )
        mlm_ids = out.mlm_logits.argmax(-1).cpu().tolist()
        sbo_ids = out.sbo_logits.argmax(-1).cpu().view(len(chunk), width) if sbo_on else None
        k = 0
        for b, (s, e) in enumerate(spans):
            n = e - s
            original = tuple(tokenizer.convert_ids_to_tokens(ids[b, s:e].tolist()))
            mlm = tuple(tokenizer.convert_ids_to_tokens(mlm_ids[k : k + n]))
            k += n
            real = enc["attention_mask"][b].sum().item()
            has_boundaries = s - 1 >= 1 and e <= real - 2
            sbo_fill = (
                tuple(tokenizer.convert_ids_to_tokens(sbo_ids[b, :n].tolist()))
                if sbo_ids is not None and has_boundaries
                else None
            )
            results.append(SpanFill(chunk[b][0], original, mlm, sbo_fill))
    model.train(was_training)
    return results
