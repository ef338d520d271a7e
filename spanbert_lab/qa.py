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
2. **Decoding** (:func:`postprocess_qa_predictions`, :func:`decode_qa`). For every window take the
   ``n_best`` highest start and end logits, keep pairs with ``start ≤ end``, at most
   ``max_answer_length`` tokens, both inside the passage, and only when the start token has its
   *max context* in this window (the window where it has the most tokens on its shorter side).
   Score = start logit + end logit; the answer text is cut from the original context by character
   offsets, so case, accents and spacing are preserved. SQuAD 2.0: the null score is
   ``start[CLS] + end[CLS]`` (minimum over windows); ``na_score = null − best non-null``; the
   answer is ``""`` when ``na_score > null_threshold``.

Shapes: a feature is one window; ``start_logits`` / ``end_logits`` are (num_features, T) or a list
of 1-D arrays (T may exceed a feature's length: the padding positions are never candidates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from spanbert_lab.contracts import TokenizerLike
from spanbert_lab.qa_examples import examples_to_list, squad_json
from spanbert_lab.squad_metric import squad_evaluate

__all__ = [
    "Candidate",
    "QAPrediction",
    "decode_qa",
    "examples_to_list",
    "max_context_mask",
    "postprocess_qa_predictions",
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
    max_length: int = 384,
    doc_stride: int = 128,
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


@dataclass(frozen=True)
class Candidate:
    """One scored answer span: text, character span in the context, logits and score."""

    text: str
    start_char: int
    end_char: int
    start_logit: float
    end_logit: float
    feature: int

    @property
    def score(self) -> float:
        """start logit + end logit."""
        return self.start_logit + self.end_logit


@dataclass(frozen=True)
class QAPrediction:
    """The decoded answer of one example, with its n-best list and (v2.0) its null score."""

    example_id: str
    text: str
    n_best: list[Candidate] = field(default_factory=list)
    null_score: float = float("nan")
    na_score: float = float("nan")

    @property
    def best(self) -> Candidate | None:
        """The best non-null candidate (``None`` when no span was valid)."""
        return self.n_best[0] if self.n_best else None

    def probabilities(self) -> list[float]:
        """Softmax of the n-best scores (for display)."""
        if not self.n_best:
            return []
        scores = np.array([c.score for c in self.n_best], dtype=np.float64)
        weights = np.exp(scores - scores.max())
        return (weights / weights.sum()).tolist()


def decode_qa(
    examples: Any,
    features: Mapping[str, Sequence[Any]],
    start_logits: Any,
    end_logits: Any,
    *,
    n_best: int = 20,
    max_answer_length: int = 30,
    version: Literal["1.1", "2.0"] = "1.1",
    null_threshold: float = 0.0,
) -> dict[str, QAPrediction]:
    """Full decoding: a :class:`QAPrediction` per example id (see the module docstring).

    ``features`` needs ``example_id`` and ``offset_mapping`` (as from :func:`prepare_qa_features`);
    the ``[CLS]`` token is position 0. Raises ``ValueError`` on mismatched lengths or an unknown
    example id.
    """
    if version not in ("1.1", "2.0"):
        raise ValueError(f"version={version!r}; choose '1.1' or '2.0'")
    if n_best < 1 or max_answer_length < 1:
        raise ValueError(f"n_best={n_best} and max_answer_length={max_answer_length} must be ≥ 1")
    rows = {row["id"]: row for row in examples_to_list(examples)}
    ids, offset_maps = list(features["example_id"]), list(features["offset_mapping"])
    starts, ends = _as_rows(start_logits), _as_rows(end_logits)
    if not len(ids) == len(offset_maps) == len(starts) == len(ends):
        raise ValueError(
            f"{len(ids)} features but {len(starts)} start and {len(ends)} end logit rows"
        )
    by_example: dict[str, list[int]] = {}
    for f, example_id in enumerate(ids):
        if example_id not in rows:
            raise ValueError(f"feature {f} refers to unknown example id {example_id!r}")
        by_example.setdefault(example_id, []).append(f)
    predictions: dict[str, QAPrediction] = {}
    for example_id, row in rows.items():
        feats = by_example.get(example_id, [])
        masks = max_context_mask([offset_maps[f] for f in feats])
        candidates: list[Candidate] = []
        null_score = float("inf")
        for f, is_max in zip(feats, masks, strict=True):
            offsets = offset_maps[f]
            s_logits, e_logits = starts[f][: len(offsets)], ends[f][: len(offsets)]
            null_score = min(null_score, float(s_logits[0] + e_logits[0]))
            window = _Window(f, row["context"], offsets, is_max, s_logits, e_logits)
            candidates.extend(window.candidates(n_best, max_answer_length))
        unique = _unique_texts(candidates, n_best)
        text = unique[0].text if unique else ""
        na_score = float("nan")
        if version == "2.0":
            na_score = null_score - (unique[0].score if unique else -1e9)  # − best non-null
            text = "" if na_score > null_threshold else text
        predictions[example_id] = QAPrediction(example_id, text, unique, null_score, na_score)
    return predictions


@dataclass(frozen=True)
class _Window:
    """One feature of an example: its passage offsets and logits."""

    feature: int
    context: str
    offsets: Sequence[Any]
    is_max: Sequence[bool]
    start_logits: np.ndarray
    end_logits: np.ndarray

    def candidates(self, n_best: int, max_answer_length: int) -> list[Candidate]:
        """Pairs of the ``n_best`` top starts and ends: ``start ≤ end``, at most
        ``max_answer_length`` tokens, both in the passage, start at its max context."""
        offsets, found = self.offsets, []
        top_s = np.argsort(-self.start_logits, kind="stable")[:n_best]
        top_e = np.argsort(-self.end_logits, kind="stable")[:n_best]
        for s in top_s:
            if offsets[s] is None or not self.is_max[s]:
                continue
            for e in top_e:
                if offsets[e] is None or e < s or e - s + 1 > max_answer_length:
                    continue
                a, b = offsets[s][0], offsets[e][1]
                found.append(
                    Candidate(
                        self.context[a:b],
                        a,
                        b,
                        float(self.start_logits[s]),
                        float(self.end_logits[e]),
                        self.feature,
                    )
                )
        return found


def _unique_texts(candidates: list[Candidate], n_best: int) -> list[Candidate]:
    """The best ``n_best`` candidates with distinct texts, best first (ties keep window order)."""
    unique: list[Candidate] = []
    seen: set[str] = set()
    for c in sorted(candidates, key=lambda c: -c.score):  # stable sort
        if c.text not in seen:
            seen.add(c.text)
            unique.append(c)
        if len(unique) == n_best:
            break
    return unique


def _as_rows(logits: Any) -> list[np.ndarray]:
    """(num_features, T) array/tensor or a list of 1-D arrays → list of float64 arrays."""
    if hasattr(logits, "detach"):
        logits = logits.detach().cpu().numpy()
    return [np.asarray(row, dtype=np.float64).reshape(-1) for row in logits]


def postprocess_qa_predictions(
    examples: Any,
    features: Mapping[str, Sequence[Any]],
    start_logits: Any,
    end_logits: Any,
    *,
    n_best: int = 20,
    max_answer_length: int = 30,
    version: Literal["1.1", "2.0"] = "1.1",
    null_threshold: float = 0.0,
) -> dict[str, str]:
    """``{example id: answer text}`` in the official prediction-file format.

    Same arguments as :func:`decode_qa` (which also returns the n-best lists and, for SQuAD 2.0,
    the ``na_score`` per example — what the official scorer calls ``na_probs``). With
    ``version="2.0"`` the answer is ``""`` when ``na_score > null_threshold`` (a *fixed*
    threshold); the best-on-dev threshold comes from
    ``squad_evaluate(..., na_probs=...)["best_f1_thresh"]``.
    """
    decoded = decode_qa(
        examples,
        features,
        start_logits,
        end_logits,
        n_best=n_best,
        max_answer_length=max_answer_length,
        version=version,
        null_threshold=null_threshold,
    )
    return {example_id: p.text for example_id, p in decoded.items()}
