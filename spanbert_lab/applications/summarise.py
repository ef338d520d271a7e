"""Extractive summarisation: score a document's sentences, keep the top k, count the key facts.

An encoder can *extract*: it gives every sentence a vector, and a sentence close to the document's
centroid (the mean of its sentence vectors) is a good candidate summary sentence. It cannot
*generate*: it has no decoder that writes new text token by token (see the notebook).

The course world knows what matters in a biography: the facts about its subject. A summary's
**key-fact recall** is the share of the subject's distinct facts (relations of the focus entity the
document states) that the chosen sentences state. Baselines: the first k sentences (lead-k), k
random sentences, and the TF-IDF centroid.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from spanbert_lab.applications.encoders import Encoder, embed
from spanbert_lab.applications.lexical import TfidfIndex
from spanbert_lab.world.corpus import generate_documents
from spanbert_lab.world.world import World


@dataclass(frozen=True)
class SummaryDoc:
    """A document's sentences and, per sentence, the focus entity's relations it states."""

    focus: str
    sentences: tuple[str, ...]
    key_facts: tuple[frozenset[str], ...]

    @property
    def all_key_facts(self) -> frozenset[str]:
        return frozenset().union(*self.key_facts)


def summary_documents(
    world: World, n_docs: int, rng: random.Random, *, min_sentences: int = 6
) -> list[SummaryDoc]:
    """``n_docs`` new biographies with at least ``min_sentences`` sentences (draws: ``rng``)."""
    if n_docs < 1:
        raise ValueError(f"n_docs must be ≥ 1, got {n_docs}")
    out: list[SummaryDoc] = []
    for doc in generate_documents(world, 20 * n_docs, rng):
        if doc.kind != "person" or len(doc.sents) < min_sentences:
            continue
        keys = tuple(
            frozenset(f.relation for f in s.facts if f.subject == doc.focus) for s in doc.sents
        )
        if not any(keys):
            continue
        out.append(SummaryDoc(doc.focus, tuple(s.piece.text for s in doc.sents), keys))
        if len(out) == n_docs:
            break
    return out


Scorer = Callable[[Sequence[str]], torch.Tensor]
"""Maps a document's sentences to one score per sentence (higher = keep)."""


def centroid_scores(vectors: torch.Tensor) -> torch.Tensor:
    """(S,) cosine of each sentence vector (S, D) with the mean of all of them."""
    v = F.normalize(vectors, dim=-1)
    return v @ F.normalize(v.mean(0), dim=0)


def encoder_scorer(encoder: Encoder, pooling: str = "mean") -> Scorer:
    """Centroid scores from the encoder's pooled sentence vectors."""
    return lambda sents: centroid_scores(embed(encoder, sents, pooling=pooling))  # type: ignore[arg-type]


def tfidf_scorer(sents: Sequence[str]) -> torch.Tensor:
    """Centroid scores from TF-IDF vectors fitted on the document's own sentences."""
    return centroid_scores(TfidfIndex(sents).matrix)


def lead_scorer(sents: Sequence[str]) -> torch.Tensor:
    """The first sentences first (lead-k)."""
    return -torch.arange(len(sents), dtype=torch.float32)


def top_k(scores: torch.Tensor, k: int) -> list[int]:
    """Indices of the ``k`` best sentences, in document order (ties: earlier first)."""
    if k < 1:
        raise ValueError(f"k must be ≥ 1, got {k}")
    order = sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))
    return sorted(order[:k])


def key_fact_recall(doc: SummaryDoc, chosen: Sequence[int]) -> float:
    """Share of the document's distinct focus facts stated by the ``chosen`` sentences."""
    got = frozenset().union(*(doc.key_facts[i] for i in chosen))
    return len(got) / len(doc.all_key_facts)


def evaluate_summaries(
    docs: Sequence[SummaryDoc],
    scorer: Scorer | None,
    k: int = 3,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """(D,) key-fact recall per document; ``scorer=None`` picks k random sentences (``generator``)."""
    out = []
    for doc in docs:
        if scorer is None:
            if generator is None:
                raise ValueError("random sentences need a generator")
            scores = torch.rand(len(doc.sentences), generator=generator)
        else:
            scores = scorer(doc.sentences)
        out.append(key_fact_recall(doc, top_k(scores, k)))
    return torch.tensor(out)
