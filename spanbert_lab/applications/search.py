"""Semantic search over passages about the course world: dense encoders against lexical baselines.

A *collection* is a set of freshly written documents (the first sentences of each, so that every
passage fits the tiny encoders' 256 positions) and two kinds of held-out queries, each with the
passages that answer it, known from the world by construction:

* **fact queries** — a paraphrased question about a fact a passage states ("Which town is X a
  native of?"); relevant: every passage that states that fact;
* **entity queries** — an entity's name alone; relevant: every passage that mentions the entity.

Retrievers return a (Q, P) score matrix: TF-IDF and BM25 (:mod:`.lexical`), mean-pooled or
``[CLS]`` dense vectors (cosine), and *span-pooled* mention vectors (a passage scores the best
cosine between the query and any of its entity mentions). :func:`rank_metrics` gives each query's
reciprocal rank and hits@k, the per-query numbers the bootstrap intervals resample.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from spanbert_lab.applications.encoders import Encoder, embed, span_token_mask, token_states
from spanbert_lab.world.corpus import generate_documents
from spanbert_lab.world.tasks_qa import QUESTIONS, question_text, subject_name
from spanbert_lab.world.world import World

KINDS = ("person", "place", "org", "event")


@dataclass(frozen=True)
class Passage:
    """A passage: its text, the entity it is about, its mentions and the facts it states."""

    text: str
    focus: str
    mentions: tuple[tuple[int, int, str], ...]  # (start, end, entity id)
    facts: frozenset[tuple[str, str]]  # (relation, subject id)


@dataclass(frozen=True)
class Query:
    """A query, its kind (``fact`` or ``entity``) and the indices of its relevant passages."""

    text: str
    kind: str
    relevant: frozenset[int]


def search_collection(
    world: World,
    n_docs: int,
    rng: random.Random,
    *,
    max_sentences: int = 6,
    fact_queries_per_doc: int = 2,
) -> tuple[list[Passage], list[Query]]:
    """Passages from ``n_docs`` new documents and their fact and entity queries (draws: ``rng``)."""
    if n_docs < 2:
        raise ValueError(f"a search collection needs at least 2 documents, got {n_docs}")
    passages: list[Passage] = []
    asked: list[list[tuple[str, str, str]]] = []  # per passage: (relation, subject, question)
    for doc in generate_documents(world, n_docs * 2, rng):
        if doc.kind not in KINDS or any(p.focus == doc.focus for p in passages):
            continue
        parts, mentions, facts, questions = [], [], set(), []
        pos = 0
        for sent in doc.sents[:max_sentences]:
            parts.append(sent.piece.text)
            mentions += [(s + pos, e + pos, i) for s, e, i in sent.piece.refs]
            for f in sent.facts:
                facts.add((f.relation, f.subject))
                if f.relation in QUESTIONS and f.subject[:1] in "PLOE":
                    questions.append((f.relation, f.subject, question_text(world, f, rng)))
            pos += len(sent.piece.text) + 1
        passages.append(Passage(" ".join(parts), doc.focus, tuple(mentions), frozenset(facts)))
        asked.append(rng.sample(questions, min(fact_queries_per_doc, len(questions))))
        if len(passages) == n_docs:
            break
    queries: list[Query] = []
    for p in passages:
        name = subject_name(world, p.focus).removeprefix("the ")
        rel = frozenset(
            j for j, q in enumerate(passages) if any(m[2] == p.focus for m in q.mentions)
        )
        queries.append(Query(name, "entity", rel))
    for qs in asked:
        for relation, subject, text in qs:
            rel = frozenset(j for j, q in enumerate(passages) if (relation, subject) in q.facts)
            queries.append(Query(text, "fact", rel))
    return passages, queries


def dense_scores(
    encoder: Encoder, passages: Sequence[str], queries: Sequence[str], *, pooling: str = "mean"
) -> torch.Tensor:
    """(Q, P) cosine similarity of pooled query and passage vectors (``mean`` or ``cls``)."""
    p = F.normalize(embed(encoder, passages, pooling=pooling), dim=-1)  # type: ignore[arg-type]
    q = F.normalize(embed(encoder, queries, pooling=pooling), dim=-1)  # type: ignore[arg-type]
    return q @ p.T


def dense_retriever(
    encoder: Encoder, passages: Sequence[str], *, pooling: str = "mean"
) -> Callable[[Sequence[str]], torch.Tensor]:
    """A scoring function ``queries -> (Q, P)`` with the passage vectors computed once."""
    p = F.normalize(embed(encoder, passages, pooling=pooling), dim=-1)  # type: ignore[arg-type]

    def scores(queries: Sequence[str]) -> torch.Tensor:
        q = F.normalize(embed(encoder, queries, pooling=pooling), dim=-1)  # type: ignore[arg-type]
        return q @ p.T

    return scores


def span_scores(
    encoder: Encoder, passages: Sequence[Passage], queries: Sequence[str]
) -> torch.Tensor:
    """(Q, P) best cosine between the query (mean-pooled) and the passage's mention vectors.

    Each mention vector is the mean of the final-layer states over the mention's tokens, read
    in the context of the whole passage: the representation span tasks use.
    """
    q = F.normalize(embed(encoder, queries, pooling="mean"), dim=-1)  # (Q, H)
    out = torch.full((len(queries), len(passages)), -1.0)
    for j, (states, offsets) in enumerate(token_states(encoder, [p.text for p in passages])):
        rows = [
            states[-1][m].mean(0)
            for s, e, _ in passages[j].mentions
            if (m := span_token_mask(offsets, s, e)).any()
        ]
        if rows:
            out[:, j] = (q @ F.normalize(torch.stack(rows), dim=-1).T).max(-1).values
    return out


def rank_metrics(
    scores: torch.Tensor, queries: Sequence[Query], ks: Sequence[int] = (1, 5, 10)
) -> dict[str, torch.Tensor]:
    """Per query: ``rr`` (1 / rank of the first relevant passage) and ``hit@k`` (0/1).

    Ties are broken against the relevant passages (a constant scorer gets no credit).
    """
    if scores.shape[0] != len(queries):
        raise ValueError(f"{scores.shape[0]} score rows for {len(queries)} queries")
    rr, hits = [], {k: [] for k in ks}
    for q, query in enumerate(queries):
        if not query.relevant:
            raise ValueError(f"query {q} ({query.text!r}) has no relevant passage")
        rel = torch.zeros(scores.shape[1], dtype=torch.bool)
        rel[list(query.relevant)] = True
        best = scores[q][rel].max()
        rank = int((scores[q][~rel] >= best).sum()) + 1  # pessimistic on ties
        rr.append(1.0 / rank)
        for k in ks:
            hits[k].append(float(rank <= k))
    out = {"rr": torch.tensor(rr)}
    out.update({f"hit@{k}": torch.tensor(v) for k, v in hits.items()})
    return out


def search(
    scores: torch.Tensor, passages: Sequence[Passage], query_index: int, k: int = 5
) -> list[tuple[int, float, str]]:
    """The top ``k`` passages for one query: ``(index, score, first 80 characters)``."""
    top = scores[query_index].topk(min(k, scores.shape[1]))
    return [
        (int(i), round(float(s), 3), passages[int(i)].text[:80])
        for s, i in zip(top.values, top.indices, strict=True)
    ]
