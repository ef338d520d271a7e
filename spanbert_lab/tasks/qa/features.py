"""Extractive question answering: windows over the passage, training labels, n-best decoding.

The recipe of the paper's QA fine-tuning (``docs/spanbert-reference.md#qa``), re-implemented:

1. **Features** (:func:`prepare_qa_features`). Input order ``[CLS] question [SEP] window [SEP]``
   (segments 0 / 1). The question is cut to ``max_question_length`` WordPieces first, so a long
   question still leaves room for the passage. The passage is split into windows of
   ``max_length − |question| − 3`` tokens, and window *k + 1* starts ``doc_stride`` tokens after
   window *k* (the official meaning of the stride: the *advance*; the tokenizer's ``stride``
   argument is the *overlap*, so we pass ``window − doc_stride``). Each feature keeps the
   character offsets of its passage tokens (``None`` elsewhere) and its labels: the first and last
   token of the answer, or ``(0, 0)`` — the ``[CLS]`` token — when the window does not hold the
   whole answer (or the question has none, SQuAD 2.0).
2. **Decoding** (:mod:`spanbert_lab.tasks.qa.decoding`: ``decode_qa``, ``postprocess_qa_predictions``). For every window take the
   ``n_best`` highest start and end logits, keep pairs with ``start ≤ end``, at most
   ``max_answer_length`` tokens, both inside the passage, and only when the start token has its
   *max context* in this window (the window where it has the most tokens on its shorter side).
   Score = start logit + end logit; the answer text is cut from the original context by character
   offsets, so case, accents and spacing are preserved. ``span_unit="words"`` (the default) keeps
   only spans that start and end at word boundaries, so an answer is never part of a word
   (``"ef"`` cut out of ``"Gefeiilde"``); ``"tokens"`` allows any WordPiece boundary, as the
   official scripts do. SQuAD 2.0: the null score is
   ``start[CLS] + end[CLS]`` (minimum over windows); ``na_score = null − best non-null``; the
   answer is ``""`` when ``na_score > null_threshold``.

Shapes: a feature is one window; ``start_logits`` / ``end_logits`` are (num_features, T) or a list
of 1-D arrays (T may exceed a feature's length: the padding positions are never candidates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spanbert_lab.contracts import QA_DOC_STRIDE, QA_MAX_LENGTH, TokenizerLike
from spanbert_lab.tasks.qa.examples import examples_to_list, squad_json
from spanbert_lab.tasks.qa.metric import squad_evaluate

__all__ = [
    "examples_to_list",
    "max_context_mask",
    "prepare_qa_features",
    "squad_evaluate",
    "squad_json",
]


def _answer_span(example: Mapping[str, Any]) -> tuple[int, int] | None:
    """Character span [start, end) of the first gold answer, or None (no answer / no labels)."""
    answers = example.get("answers")
    if answers is None:
        return None
    texts, starts = answers.get("text", []), answers.get("answer_start", [])
    if len(texts) != len(starts):
        raise ValueError(f"QA example {example['id']!r}: answers text/answer_start lengths differ")
    if not texts:
        return None
    text, start = texts[0], int(starts[0])
    context = example["context"]
    if not 0 <= start <= len(context) or context[start : start + len(text)] != text:
        raise ValueError(
            f"QA example {example['id']!r}: answer {text!r} is not at character {start} of the "
            f"context (found {context[start : start + len(text)]!r})"
        )
    return start, start + len(text)


def prepare_qa_features(
    examples: Any,
    tokenizer: TokenizerLike,
    *,
    max_length: int = QA_MAX_LENGTH,
    doc_stride: int = QA_DOC_STRIDE,
    max_question_length: int = 64,
) -> dict[str, list[Any]]:
    """Turn QA examples into model features: one per passage window.

    Args:
        examples: a ``datasets.Dataset``, a list of dicts or a dict of lists with ``id``,
            ``question``, ``context`` and optionally ``answers`` ``{"text": [...],
            "answer_start": [...]}`` (labels come from the first answer).
        tokenizer: a *fast* BERT-family tokenizer (offsets are needed).
        max_length: tokens per feature, special tokens included.
        doc_stride: how many passage tokens a window advances over the previous one.
        max_question_length: the question is cut to this many WordPieces first.

    Returns:
        Columns (lists, one entry per feature, not padded): ``input_ids``, ``token_type_ids``,
        ``attention_mask``, ``offset_mapping`` (``(start, end)`` character offsets into the
        context for passage tokens, ``None`` for question and special tokens), ``example_id``,
        ``example_index``, ``start_positions``, ``end_positions`` (the ``[CLS]`` index 0 when the
        window does not hold the whole answer).

    Raises:
        ValueError: malformed examples, a slow tokenizer, or a ``max_length`` that leaves no room
            for the passage once the (cut) question is in.
    """
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError("prepare_qa_features needs a fast tokenizer (offset mappings)")
    if doc_stride < 1 or max_question_length < 1:
        raise ValueError(f"doc_stride={doc_stride} and max_question_length must be ≥ 1")
    rows = examples_to_list(examples)
    columns: dict[str, list[Any]] = {
        k: []
        for k in (
            "input_ids",
            "token_type_ids",
            "attention_mask",
            "offset_mapping",
            "example_id",
            "example_index",
            "start_positions",
            "end_positions",
        )
    }
    for index, example in enumerate(rows):
        question = _cut_question(tokenizer, example["question"].lstrip(), max_question_length)
        n_question = len(tokenizer(question, add_special_tokens=False)["input_ids"])
        window = max_length - n_question - 3  # [CLS] q [SEP] window [SEP]
        if window < 1:
            raise ValueError(
                f"max_length={max_length} leaves no room for the passage of example "
                f"{example['id']!r} after a {n_question}-token question; raise max_length or "
                "lower max_question_length"
            )
        answer = _answer_span(example)
        encoded = tokenizer(
            question,
            example["context"],
            truncation="only_second",
            max_length=max_length,
            stride=max(0, window - doc_stride),  # overlap between consecutive windows
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        for f in range(len(encoded["input_ids"])):
            sequence_ids = encoded.sequence_ids(f)
            offsets = [
                tuple(o) if s == 1 else None
                for o, s in zip(encoded["offset_mapping"][f], sequence_ids, strict=True)
            ]
            start, end = _window_labels(offsets, answer)
            columns["input_ids"].append(list(encoded["input_ids"][f]))
            columns["token_type_ids"].append(list(encoded["token_type_ids"][f]))
            columns["attention_mask"].append(list(encoded["attention_mask"][f]))
            columns["offset_mapping"].append(offsets)
            columns["example_id"].append(example["id"])
            columns["example_index"].append(index)
            columns["start_positions"].append(start)
            columns["end_positions"].append(end)
    return columns


def _cut_question(tokenizer: TokenizerLike, question: str, limit: int) -> str:
    """The question cut after its ``limit``-th WordPiece (by character offsets)."""
    enc = tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
    if len(enc["input_ids"]) <= limit:
        return question
    return question[: enc["offset_mapping"][limit - 1][1]]


def _window_labels(
    offsets: Sequence[tuple[int, int] | None], answer: tuple[int, int] | None
) -> tuple[int, int]:
    """Token labels of the answer in this window, or (0, 0) when it is not wholly inside."""
    if answer is None:
        return 0, 0
    start_char, end_char = answer
    passage = [i for i, o in enumerate(offsets) if o is not None]
    first, last = offsets[passage[0]], offsets[passage[-1]]
    assert first is not None and last is not None
    # the window must reach back to the answer's first character and on to its last one
    if first[0] > start_char or last[1] < end_char:
        return 0, 0
    start = next(i for i in passage if offsets[i][1] > start_char)  # type: ignore[index]
    end = next(i for i in reversed(passage) if offsets[i][0] < end_char)  # type: ignore[index]
    return (start, end) if start <= end else (0, 0)


def max_context_mask(
    offset_mappings: Sequence[Sequence[tuple[int, int] | None]],
) -> list[list[bool]]:
    """Which passage tokens of each window have their *max context* there (one example's windows).

    A token's context score in a window is ``min(tokens left of it, tokens right of it) + 0.01 ×
    window length``; the first window with the highest score wins. Tokens are identified across
    windows by their character offsets.
    """
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for w, offsets in enumerate(offset_mappings):
        passage = [o for o in offsets if o is not None]
        for j, o in enumerate(passage):
            score = min(j, len(passage) - 1 - j) + 0.01 * len(passage)
            if o not in best or score > best[o][0]:
                best[o] = (score, w)
    return [
        [o is not None and best[o][1] == w for o in offsets]
        for w, offsets in enumerate(offset_mappings)
    ]
