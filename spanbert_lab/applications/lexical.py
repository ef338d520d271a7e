"""Lexical retrieval baselines: TF-IDF cosine and BM25, written out (no extra dependency).

Words are lower-cased runs of letters and digits. Both indexes score every passage for a query
and return a (Q, P) float tensor, the shape the dense retrievers return too.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import torch

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-cased word tokens: ``"Born in Ulm, 1901."`` → ``['born', 'in', 'ulm', '1901']``."""
    return _WORD.findall(text.lower())


class TfidfIndex:
    """TF-IDF vectors (raw counts × smoothed idf, L2-normalised) and cosine similarity."""

    def __init__(self, passages: Sequence[str]) -> None:
        if not passages:
            raise ValueError("TfidfIndex needs at least one passage")
        counts = [Counter(words(p)) for p in passages]
        df = Counter(w for c in counts for w in c)
        n = len(passages)
        self.vocab = {w: i for i, w in enumerate(sorted(df))}
        self.idf = torch.tensor([math.log((1 + n) / (1 + df[w])) + 1 for w in self.vocab])
        self.matrix = torch.stack([self._vector(c) for c in counts])  # (P, V)

    def _vector(self, counts: Counter[str]) -> torch.Tensor:
        v = torch.zeros(len(self.vocab))
        for w, c in counts.items():
            if w in self.vocab:
                v[self.vocab[w]] = c
        v = v * self.idf
        return v / v.norm().clamp_min(1e-12)

    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        """(N, V) L2-normalised TF-IDF vectors in this index's vocabulary."""
        return torch.stack([self._vector(Counter(words(t))) for t in texts])

    def scores(self, queries: Sequence[str]) -> torch.Tensor:
        """(Q, P) cosine similarities."""
        return self.embed(queries) @ self.matrix.T


class BM25Index:
    """Okapi BM25 with the usual ``k1 = 1.5``, ``b = 0.75`` and idf ``ln(1 + (N - df + .5)/(df + .5))``."""

    def __init__(self, passages: Sequence[str], *, k1: float = 1.5, b: float = 0.75) -> None:
        if not passages:
            raise ValueError("BM25Index needs at least one passage")
        self.k1, self.b = k1, b
        self.counts = [Counter(words(p)) for p in passages]
        self.lengths = torch.tensor([sum(c.values()) for c in self.counts], dtype=torch.float32)
        self.avg = float(self.lengths.mean())
        df = Counter(w for c in self.counts for w in c)
        n = len(passages)
        self.idf = {w: math.log(1 + (n - d + 0.5) / (d + 0.5)) for w, d in df.items()}

    def scores(self, queries: Sequence[str]) -> torch.Tensor:
        """(Q, P) BM25 scores."""
        norm = self.k1 * (1 - self.b + self.b * self.lengths / self.avg)  # (P,)
        out = torch.zeros(len(queries), len(self.counts))
        for q, query in enumerate(queries):
            for w in set(words(query)):
                if w not in self.idf:
                    continue
                tf = torch.tensor([c.get(w, 0) for c in self.counts], dtype=torch.float32)
                out[q] += self.idf[w] * tf * (self.k1 + 1) / (tf + norm)
        return out
