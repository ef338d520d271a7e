"""Lexical retrieval baselines: TF-IDF cosine (scikit-learn's ``TfidfVectorizer``) and BM25
(written out here, a dozen lines).

Words are lower-cased runs of letters and digits (:func:`words`; the vectorizer is given the same
pattern). Both indexes score every passage for a query and return a (Q, P) float tensor, the shape
the dense retrievers return too.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import torch
from sklearn.feature_extraction.text import TfidfVectorizer

WORD_PATTERN = r"[a-z0-9]+"
"""A word: a run of lower-case letters and digits (applied after lower-casing)."""
_WORD = re.compile(WORD_PATTERN)


def words(text: str) -> list[str]:
    """Lower-cased word tokens: ``"Born in Ulm, 1901."`` → ``['born', 'in', 'ulm', '1901']``."""
    return _WORD.findall(text.lower())


class TfidfIndex:
    """TF-IDF vectors and cosine similarity, by scikit-learn's ``TfidfVectorizer``.

    Its defaults are the textbook weighting: raw counts × smoothed idf
    ``ln((1 + N) / (1 + df)) + 1``, each vector L2-normalised; only the word pattern is ours.
    ``vectorizer`` is the fitted scikit-learn object (``vectorizer.vocabulary_``, ``.idf_``).
    """

    def __init__(self, passages: Sequence[str]) -> None:
        if not passages:
            raise ValueError("TfidfIndex needs at least one passage")
        self.vectorizer = TfidfVectorizer(lowercase=True, token_pattern=WORD_PATTERN)
        self.matrix = _dense(self.vectorizer.fit_transform(passages))  # (P, V)

    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        """(N, V) L2-normalised TF-IDF vectors in this index's vocabulary (float32)."""
        return _dense(self.vectorizer.transform(texts))

    def scores(self, queries: Sequence[str]) -> torch.Tensor:
        """(Q, P) cosine similarities."""
        return self.embed(queries) @ self.matrix.T


def _dense(matrix: object) -> torch.Tensor:
    """A SciPy sparse matrix as a dense float32 tensor."""
    return torch.from_numpy(matrix.toarray()).float()  # type: ignore[attr-defined]


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
