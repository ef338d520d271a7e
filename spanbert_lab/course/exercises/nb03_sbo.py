"""Exercises of notebook 03 (the span boundary objective).

1. ``sbo_targets`` — which tokens of a span get an SBO target, with which boundaries and positions.
2. ``SBOHead`` — the whole SBO head as an ``nn.Module``: ``[x_{s-1}; x_{e+1}; p_{i-s}]`` → two
   dense + GeLU + LayerNorm layers → logits through the tied word embeddings.
3. ``spanbert_loss`` — mean MLM cross-entropy + weight × mean SBO cross-entropy, empty-safe.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from spanbert_lab.course.exercises.core import (
    NOT_ATTEMPTED_MESSAGE,
    CheckFailed,
    Exercise,
    NotAttempted,
    expect,
    expect_tensor_close,
)
from spanbert_lab.model.heads import SpanBoundaryHead

_NS = {"torch": torch, "math": math, "F": F}


# --- 1. which tokens get an SBO target ------------------------------------------------------------


def _targets_ref(start: int, end: int, n: int, max_targets: int) -> list[tuple[int, int, int]]:
    if start - 1 < 1 or end > n - 2:
        return []
    return [(start - 1, end, i - start) for i in range(start, min(end, start + max_targets))]


_TARGET_CASES = [
    ((3, 6, 12, 15), "an ordinary span"),
    ((2, 3, 12, 15), "a one-token span right after the first text token"),
    ((1, 4, 12, 15), "a span that starts right after [CLS]"),
    ((7, 11, 12, 15), "a span that ends right before [SEP]"),
    ((2, 9, 12, 3), "a span longer than max_targets"),
    ((4, 10, 20, 6), "a span exactly max_targets long"),
]


def _check_targets(fn: Callable[..., object], _seed: int) -> None:
    for args, what in _TARGET_CASES:
        got = fn(*args)
        want = _targets_ref(*args)
        try:
            got = [tuple(int(v) for v in row) for row in got]
        except (TypeError, ValueError):
            raise CheckFailed(
                f"for {what}, return a list of (left, right, position) tuples"
            ) from None
        if len(got) != len(want):
            raise CheckFailed(
                f"for {what} {args}, you return {len(got)} targets; count again which tokens "
                "get one (edges? the max_targets limit?)"
            )
        for row, ref in zip(got, want, strict=True):
            expect(len(row) == 3, f"for {what}, each target is a (left, right, position) triple")
            expect(row[0] == ref[0], f"for {what} {args}, the left boundary index is wrong")
            expect(row[1] == ref[1], f"for {what} {args}, the right boundary index is wrong")
            expect(row[2] == ref[2], f"for {what} {args}, the relative positions are wrong")


sbo_targets = Exercise(
    key="03.1",
    title="which span tokens get an SBO target",
    answer_name="sbo_targets",
    checker=_check_targets,
    hints=(
        "A span is the half-open range [start, end): its tokens are start .. end-1.",
        "The boundaries are the tokens just outside: start - 1 and end. Both must be text tokens: "
        "index 0 is [CLS] and n - 1 is [SEP].",
        "Relative positions count from 0 at the span's first token, and only the first "
        "max_targets tokens get a target.",
    ),
    wrong_solutions=(
        # boundaries allowed to be [CLS]/[SEP]
        "def sbo_targets(start, end, n, max_targets):\n"
        "    return [(start - 1, end, i - start) for i in range(start, min(end, start + max_targets))]",
        # no max_targets limit
        "def sbo_targets(start, end, n, max_targets):\n"
        "    if start - 1 < 1 or end > n - 2:\n        return []\n"
        "    return [(start - 1, end, i - start) for i in range(start, end)]",
        # inclusive right boundary (end - 1) and 1-based positions
        "def sbo_targets(start, end, n, max_targets):\n"
        "    if start - 1 < 1 or end > n - 2:\n        return []\n"
        "    return [(start - 1, end - 1, i - start + 1) for i in range(start, min(end, start + max_targets))]",
    ),
    namespace=_NS,
)


# --- 2. the head as a module ---------------------------------------------------------------------

_HEAD_PARTS = ("position_embeddings", "dense1", "norm1", "dense2", "norm2", "bias")


def _reference_head(
    hidden: int, position: int, k: int, word_embeddings: torch.Tensor, eps: float, seed: int
) -> SpanBoundaryHead:
    """The library's head with random weights and the given (tied) word embeddings."""

    head = SpanBoundaryHead(hidden, word_embeddings.shape[0], position, k, "gelu", eps).double()
    g = torch.Generator().manual_seed(hidden * 1000 + position + 7919 * seed)
    with torch.no_grad():
        for p in head.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.3)
        head.decoder.weight = word_embeddings
    return head


_SHAPE_NAMES = (
    "position_embeddings.weight",
    "dense1.weight",
    "dense2.weight",
    "norm1.weight",
    "bias",
)


def _shapes(h: int, position: int, k: int, vocab: int) -> dict[str, tuple[int, ...]]:
    """The shape of each checked parameter for hidden size h, position size P, K, V."""
    return {
        "position_embeddings.weight": (k, position),
        "dense1.weight": (h, 2 * h + position),
        "dense2.weight": (h, h),
        "norm1.weight": (h,),
        "bias": (vocab,),
    }


def head_report(cls: type[torch.nn.Module], spec: dict) -> dict:
    """Build the learner's ``SBOHead`` from ``spec`` (sizes, word embeddings, weights, inputs) and
    report what the checker judges: parameter shapes, untied (V, h) matrices, and the logits with
    ``spec["weights"]`` loaded. Runs where the answer lives (the notebook or the learner's kernel).
    """
    hidden, position, k = spec["hidden"], spec["position"], spec["max_targets"]
    word_embeddings = torch.nn.Parameter(spec["word_embeddings"].clone())
    vocab = word_embeddings.shape[0]
    try:
        mine = cls(hidden, position, k, word_embeddings)
    except NotImplementedError:
        raise NotAttempted(f"Exercise 03.2: {NOT_ATTEMPTED_MESSAGE}") from None
    except TypeError as err:
        raise CheckFailed(
            "construct it as SBOHead(hidden_size, position_size, max_targets, "
            f"word_embeddings): {err}"
        ) from None
    if mine is None or mine is Ellipsis:
        raise NotAttempted(f"Exercise 03.2: {NOT_ATTEMPTED_MESSAGE}")
    expect(isinstance(mine, torch.nn.Module), "SBOHead must be a torch.nn.Module subclass")
    mine = mine.double()
    left, right, positions = spec["left"], spec["right"], spec["positions"]
    try:
        first = mine(left, right, positions)
    except (RuntimeError, AttributeError, TypeError) as err:
        raise CheckFailed(
            f"forward fails ({type(err).__name__}: {str(err).splitlines()[0]}); "
            "check the sizes of your layers"
        ) from None
    if first is None or first is Ellipsis:
        raise NotAttempted(f"Exercise 03.2: {NOT_ATTEMPTED_MESSAGE}")
    missing = [name for name in _HEAD_PARTS if not hasattr(mine, name)]
    expect(not missing, f"your module has no attribute(s) {missing}; use the names given")
    params = dict(mine.named_parameters())
    untied = [
        name
        for name, p in params.items()
        if tuple(p.shape) == (vocab, hidden) and p is not word_embeddings
    ]
    shapes = {name: list(params[name].shape) if name in params else None for name in _SHAPE_NAMES}
    if untied or any(shape is None for shape in shapes.values()):
        return {"shapes": shapes, "untied": untied, "logits": None}
    try:
        with torch.no_grad():
            for name, value in spec["weights"].items():
                mine.get_parameter(name).copy_(value)
            logits = mine(left, right, positions)
    except (RuntimeError, AttributeError) as err:
        raise CheckFailed(f"loading the checker's weights failed: {err}") from None
    return {"shapes": shapes, "untied": untied, "logits": logits}


def _head_adapter(cls: type[torch.nn.Module]) -> Callable[[dict], dict]:
    def run(spec: dict) -> dict:
        return head_report(cls, spec)

    return run


def _check_head(fn: Callable[[dict], dict], seed: int) -> None:
    for case, (hidden, position, k, vocab) in enumerate([(8, 5, 4, 13), (6, 7, 3, 11)]):
        g = torch.Generator().manual_seed(1000 * seed + vocab)
        word_embeddings = torch.randn(vocab, hidden, generator=g, dtype=torch.float64)
        n = 5
        left = torch.randn(n, hidden, generator=g, dtype=torch.float64)
        right = torch.randn(n, hidden, generator=g, dtype=torch.float64)
        positions = torch.randint(0, k, (n,), generator=g)
        tied = torch.nn.Parameter(word_embeddings.clone())
        ref = _reference_head(hidden, position, k, tied, 1e-12, 1000 * seed + case)
        weights = {"position_embeddings.weight": ref.position_embeddings.weight, "bias": ref.bias}
        for i, layer in ((1, ref.layer1), (2, ref.layer2)):
            weights[f"dense{i}.weight"] = layer.dense.weight
            weights[f"dense{i}.bias"] = layer.dense.bias
            weights[f"norm{i}.weight"] = layer.LayerNorm.weight
            weights[f"norm{i}.bias"] = layer.LayerNorm.bias
        spec = {
            "hidden": hidden,
            "position": position,
            "max_targets": k,
            "word_embeddings": word_embeddings,
            "weights": {name: w.detach().clone() for name, w in weights.items()},
            "left": left,
            "right": right,
            "positions": positions,
        }
        report = fn(spec)
        expect(
            isinstance(report, dict) and {"shapes", "untied", "logits"} <= set(report),
            "the head could not be checked",
        )
        for name, want in _shapes(hidden, position, k, vocab).items():
            got = report["shapes"].get(name)
            got = tuple(got) if got is not None else None
            expect(got == want, f"{name} has shape {got}; think about what goes in and out")
        untied = report["untied"]
        expect(
            not untied,
            f"{untied[0] if untied else ''} is a new (V, h) matrix: the output projection must be "
            "the word_embeddings you were given (tied), not a copy",
        )
        with torch.no_grad():
            want = ref(left, right, positions)
        expect_tensor_close(
            f"the logits (h = {hidden}, P = {position})", report["logits"], want, atol=1e-8
        )


# Each wrong head differs from the notebook's solution in one place (old → new).
_HEAD_MUTATIONS = (
    # an untied output layer: a copy of the word embeddings, trained on its own
    (
        "self.word_embeddings = word_embeddings",
        "self.word_embeddings = torch.nn.Parameter(word_embeddings.detach().clone())",
    ),
    # LayerNorm before the activation
    ("h1 = self.norm1(F.gelu(self.dense1(h0)))", "h1 = F.gelu(self.norm1(self.dense1(h0)))"),
    # only one layer
    ("y = self.norm2(F.gelu(self.dense2(h1)))", "y = h1"),
    # position vector as wide as the hidden state (3h -> h), not the paper's P
    (
        "self.dense1 = torch.nn.Linear(2 * h + position_size, h)",
        "self.dense1 = torch.nn.Linear(3 * h, h)",
    ),
)


sbo_head = Exercise(
    key="03.2",
    title="the span boundary objective head as a module",
    answer_name="SBOHead",
    checker=_check_head,
    hints=(
        "Parts: `position_embeddings` (K × P), `dense1` (2h + P → h), `norm1`, `dense2` (h → h), "
        "`norm2`, and `bias` (V). The output matrix is `word_embeddings`: store it, do not copy.",
        "forward: concatenate [left; right; position vector], then dense → GeLU → LayerNorm, "
        "twice (activation first, then LayerNorm).",
        "Logits: `y @ self.word_embeddings.T + self.bias`.",
    ),
    mutations=_HEAD_MUTATIONS,
    namespace=_NS,
    adapter=_head_adapter,
)


# --- 3. the combined loss --------------------------------------------------------------------------


def _loss_ref(
    mlm_logits: torch.Tensor,
    mlm_labels: torch.Tensor,
    sbo_logits: torch.Tensor,
    sbo_labels: torch.Tensor,
    weight: float,
) -> torch.Tensor:
    mlm = F.cross_entropy(mlm_logits, mlm_labels)
    sbo = F.cross_entropy(sbo_logits, sbo_labels) if len(sbo_labels) else mlm_logits.sum() * 0
    return mlm + weight * sbo


def _loss_case(seed: int, n_mlm: int, n_sbo: int, v: int = 11):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(n_mlm, v, generator=g, dtype=torch.float64) * 2,
        torch.randint(0, v, (n_mlm,), generator=g),
        torch.randn(n_sbo, v, generator=g, dtype=torch.float64) * 2,
        torch.randint(0, v, (n_sbo,), generator=g),
    )


def _check_loss(fn: Callable[..., object], seed: int) -> None:
    for case, n_mlm, n_sbo, weight in [(0, 7, 5, 1.0), (1, 4, 9, 0.5), (2, 6, 0, 1.0)]:
        args = _loss_case(1000 * seed + case, n_mlm, n_sbo)
        got = fn(*args, weight)
        want = _loss_ref(*args, weight)
        what = "with no SBO target at all" if n_sbo == 0 else f"with weight {weight}"
        expect(isinstance(got, torch.Tensor), f"return a tensor, not {type(got).__name__}")
        expect(got.dim() == 0, f"the loss should be a scalar, got shape {tuple(got.shape)}")
        expect(not torch.isnan(got), f"the loss is NaN {what}: handle the empty case explicitly")
        if not torch.allclose(got, want, atol=1e-9):
            raise CheckFailed(
                f"the loss {what} is {float(got):.4f}, which is not right: each term is a mean "
                "over its own targets, and only the SBO term is weighted"
            )


spanbert_loss = Exercise(
    key="03.3",
    title="the combined SpanBERT loss",
    answer_name="spanbert_loss",
    checker=_check_loss,
    hints=(
        "`F.cross_entropy(logits, labels)` already averages over the rows.",
        "The SBO term is multiplied by `weight`; the MLM term is not.",
        "With zero SBO rows the mean is 0/0: return a zero SBO term instead (e.g. `logits.sum() * 0`).",
    ),
    wrong_solutions=(
        # sums instead of means
        "def spanbert_loss(mlm_logits, mlm_labels, sbo_logits, sbo_labels, weight):\n"
        "    mlm = F.cross_entropy(mlm_logits, mlm_labels, reduction='sum')\n"
        "    return mlm + weight * F.cross_entropy(sbo_logits, sbo_labels, reduction='sum')",
        # the official code's hidden +1 in the SBO denominator
        "def spanbert_loss(mlm_logits, mlm_labels, sbo_logits, sbo_labels, weight):\n"
        "    mlm = F.cross_entropy(mlm_logits, mlm_labels)\n"
        "    sbo = F.cross_entropy(sbo_logits, sbo_labels, reduction='sum') / (len(sbo_labels) + 1)\n"
        "    return mlm + weight * sbo",
        # NaN on an empty SBO batch, weight ignored
        "def spanbert_loss(mlm_logits, mlm_labels, sbo_logits, sbo_labels, weight):\n"
        "    return F.cross_entropy(mlm_logits, mlm_labels) + F.cross_entropy(sbo_logits, sbo_labels)",
    ),
    namespace=_NS,
)
