"""Frozen features + a linear classifier, one per layer: the probe curve.

The blog's "extract features with SpanBERT and feed them to an SVM", done properly: freeze the
encoder, take one feature vector per example from each layer (0 = the embeddings), fit a linear
classifier on the training features only, score held-out examples, and plot accuracy by layer.
The classifier is scikit-learn's: ``LogisticRegression`` (multinomial, L2 penalty, L-BFGS) after
a ``StandardScaler`` fitted on the training features, or ``LinearSVC`` — the SVM of the blog —
with ``kind="svm"``.

Two probes: review *sentiment* from mean-pooled sentence features, and *entity type* (PER, ORG,
LOC, DATE, …) from span-pooled mention features — a span task in miniature.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from spanbert_lab.contracts import ENTITY_TYPES
from spanbert_lab.world.corpus import generate_documents
from spanbert_lab.world.world import World

ProbeKind = Literal["logistic", "svm"]


def make_probe(n_train: int, *, l2: float = 1e-2, kind: ProbeKind = "logistic") -> Pipeline:
    """An unfitted scikit-learn probe: ``StandardScaler`` then a linear classifier.

    ``l2`` is the penalty ``l2 * |W|²`` added to the *mean* training loss, so its meaning does not
    change with the training-set size; scikit-learn's ``C`` multiplies the *summed* loss against
    ``½|W|²``, hence ``C = 1 / (2 · n_train · l2)``. Both classifiers are deterministic (L-BFGS;
    ``LinearSVC``'s coordinate descent with ``random_state=0``).
    """
    if n_train < 1 or not l2 > 0:
        raise ValueError(f"need n_train >= 1 and l2 > 0, got n_train={n_train}, l2={l2}")
    c = 1.0 / (2 * n_train * l2)
    if kind == "logistic":
        classifier = LogisticRegression(C=c, max_iter=1000)
    elif kind == "svm":
        classifier = LinearSVC(C=c, max_iter=10_000, random_state=0)
    else:
        raise ValueError(f"kind must be 'logistic' or 'svm', got {kind!r}")
    return make_pipeline(StandardScaler(), classifier)


def fit_probe(
    x: torch.Tensor, y: torch.Tensor, *, l2: float = 1e-2, kind: ProbeKind = "logistic"
) -> Pipeline:
    """:func:`make_probe` fitted on (N, D) float features ``x`` and (N,) long labels ``y``."""
    if x.dim() != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"x must be (N, D) and y (N,), got {tuple(x.shape)} and {tuple(y.shape)}")
    return make_probe(x.shape[0], l2=l2, kind=kind).fit(x.double().numpy(), y.numpy())


def predict_probe(model: Pipeline, x: torch.Tensor) -> torch.Tensor:
    """(N,) predicted classes (long) of a fitted probe for (N, D) features."""
    return torch.from_numpy(model.predict(x.double().numpy())).long()


def probe_curve(
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    test_x: torch.Tensor,
    test_y: torch.Tensor,
    *,
    l2: float = 1e-2,
    kind: ProbeKind = "logistic",
) -> torch.Tensor:
    """(L+1, N_test) 0/1 correctness of a probe per layer, from (N, L+1, H) features."""
    if train_x.shape[1] != test_x.shape[1]:
        raise ValueError("train and test features have different numbers of layers")
    rows = []
    for layer in range(train_x.shape[1]):
        model = fit_probe(train_x[:, layer], train_y, l2=l2, kind=kind)
        rows.append((predict_probe(model, test_x[:, layer]) == test_y).double())
    return torch.stack(rows)


def mention_examples(
    world: World, n_docs: int, rng: random.Random, *, per_type: int = 60
) -> tuple[list[tuple[str, tuple[int, int], int]], list[tuple[str, tuple[int, int], int]]]:
    """Entity-type probe data: ``(sentence, (start, end), type index)`` train and test lists.

    Mentions of all :data:`~spanbert_lab.contracts.ENTITY_TYPES`, at most ``per_type`` of each
    type per split; test sentences come from documents about other entities (focus id mod 5).
    """
    pools: dict[str, dict[str, list]] = {"train": {}, "test": {}}
    for doc in generate_documents(world, n_docs, rng):
        split = "test" if doc.focus[1:].isdigit() and int(doc.focus[1:]) % 5 == 0 else "train"
        for sent in doc.sents:
            for s, e, t in sent.piece.spans:
                if t in ENTITY_TYPES:
                    pools[split].setdefault(t, []).append(
                        (sent.piece.text, (s, e), ENTITY_TYPES.index(t))
                    )
    out = []
    for split in ("train", "test"):
        rows = []
        for t in ENTITY_TYPES:
            group = pools[split].get(t, [])
            rows += rng.sample(group, min(per_type, len(group)))
        rng.shuffle(rows)
        out.append(rows)
    return out[0], out[1]


def subsample(rows: Sequence, n: int, rng: random.Random) -> list:
    """At most ``n`` rows, drawn from ``rng`` (order kept)."""
    keep = sorted(rng.sample(range(len(rows)), min(n, len(rows))))
    return [rows[i] for i in keep]
