"""Frozen features + a linear classifier, one per layer: the probe curve.

The blog's "extract features with SpanBERT and feed them to an SVM", done properly: freeze the
encoder, take one feature vector per example from each layer (0 = the embeddings), fit a linear
classifier on the training features only, score held-out examples, and plot accuracy by layer.
The classifier is multinomial logistic regression with an L2 penalty, fitted to convergence with
L-BFGS on standardised features — the same model as scikit-learn's ``LogisticRegression`` (a
linear SVM would draw a very similar boundary); written out here in a few lines of torch.

Two probes: review *sentiment* from mean-pooled sentence features, and *entity type* (PER, ORG,
LOC, DATE, …) from span-pooled mention features — a span task in miniature.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch

from spanbert_lab.contracts import ENTITY_TYPES
from spanbert_lab.world.corpus import generate_documents
from spanbert_lab.world.world import World


def fit_logistic(
    x: torch.Tensor, y: torch.Tensor, *, n_classes: int, l2: float = 1e-2, max_iter: int = 200
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Fit ``softmax(x W + b)`` by L-BFGS (deterministic, no random draw).

    Args:
        x: (N, D) float features. y: (N,) long labels in ``[0, n_classes)``.
        l2: penalty ``l2 * |W|²`` added to the mean cross-entropy.

    Returns:
        ``(W (D, C), b (C,), mean (D,), std (D,))`` — the standardisation is part of the model.
    """
    if x.dim() != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"x must be (N, D) and y (N,), got {tuple(x.shape)} and {tuple(y.shape)}")
    x = x.double()
    mean, std = x.mean(0), x.std(0).clamp_min(1e-6)
    z = (x - mean) / std
    w = torch.zeros(x.shape[1], n_classes, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(z @ w + b, y) + l2 * (w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach(), mean, std


def predict_logistic(
    model: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    """(N,) predicted classes."""
    w, b, mean, std = model
    return (((x.double() - mean) / std) @ w + b).argmax(-1)


def probe_curve(
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    test_x: torch.Tensor,
    test_y: torch.Tensor,
    *,
    n_classes: int,
    l2: float = 1e-2,
) -> torch.Tensor:
    """(L+1, N_test) 0/1 correctness of a probe per layer, from (N, L+1, H) features."""
    if train_x.shape[1] != test_x.shape[1]:
        raise ValueError("train and test features have different numbers of layers")
    rows = []
    for layer in range(train_x.shape[1]):
        model = fit_logistic(train_x[:, layer], train_y, n_classes=n_classes, l2=l2)
        rows.append((predict_logistic(model, test_x[:, layer]) == test_y).double())
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
