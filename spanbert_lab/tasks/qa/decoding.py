"""Decoding extractive-QA logits into answers: n-best spans per window, SQuAD 2.0 null scores,
and the answer text cut from the context (see :mod:`spanbert_lab.tasks.qa.features`, step 2).

Two span units: ``"words"`` (the default) keeps only spans whose two ends are word boundaries,
so an answer is never a piece of a word; ``"tokens"`` allows any WordPiece boundary, as the
official scripts do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from spanbert_lab.tasks.qa.examples import examples_to_list
from spanbert_lab.tasks.qa.features import max_context_mask

SpanUnit = Literal["words", "tokens"]
SPAN_UNITS: tuple[str, ...] = ("words", "tokens")

__all__ = [
    "SPAN_UNITS",
    "Candidate",
    "QAPrediction",
    "SpanUnit",
    "decode_qa",
    "postprocess_qa_predictions",
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
    span_unit: SpanUnit = "words",
) -> dict[str, QAPrediction]:
    """Full decoding: a :class:`QAPrediction` per example id (see the module docstring).

    ``features`` needs ``example_id`` and ``offset_mapping`` (as from :func:`prepare_qa_features`);
    the ``[CLS]`` token is position 0. Raises ``ValueError`` on mismatched lengths or an unknown
    example id.
    """
    if version not in ("1.1", "2.0"):
        raise ValueError(f"version={version!r}; choose '1.1' or '2.0'")
    if span_unit not in SPAN_UNITS:
        raise ValueError(f"span_unit={span_unit!r}; choose one of {SPAN_UNITS}")
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
            window = _Window(
                f,
                row["context"],
                offsets,
                is_max,
                s_logits,
                e_logits,
                whole_words=span_unit == "words",
            )
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
    whole_words: bool = True

    def _cuts_a_word(self, a: int, b: int) -> bool:
        """Whether ``context[a:b]`` starts or ends inside a word (letters or digits on both
        sides of a boundary)."""
        text = self.context
        inside_left = a > 0 and text[a - 1].isalnum() and text[a].isalnum()
        inside_right = b < len(text) and text[b - 1].isalnum() and text[b].isalnum()
        return inside_left or inside_right

    def candidates(self, n_best: int, max_answer_length: int) -> list[Candidate]:
        """Pairs of the ``n_best`` top starts and ends: ``start ≤ end``, at most
        ``max_answer_length`` tokens, both in the passage, start at its max context (and, with
        ``whole_words``, neither end inside a word)."""
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
                if self.whole_words and self._cuts_a_word(a, b):
                    continue
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
    span_unit: SpanUnit = "words",
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
        span_unit=span_unit,
    )
    return {example_id: p.text for example_id, p in decoded.items()}
