"""Exercise 02.4's machinery: the span sampler's solution, its wrong variants and the checker that
compares a learner's sampler with ``mask_batch(scheme="span")`` draw for draw
(``docs/spanbert-reference.md#span-masking``). :mod:`~spanbert_lab.course.exercises.nb02_masking` declares
the exercise; this module keeps it under the size limit.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from typing import Any

import torch

from spanbert_lab.course.exercises.core import (
    NOT_ATTEMPTED_MESSAGE,
    CheckFailed,
    NotAttempted,
    expect,
)
from spanbert_lab.masking import MaskingConfig, VocabInfo, mask_batch, mask_budget

# fate codes of span_sampler's second result
UNSELECTED, MASKED, RANDOM, KEPT = 0, 1, 2, 3


def uniform_pairs(generator: torch.Generator, budget: int) -> Iterator[tuple[float, float]]:
    """The ``(u_length, u_anchor)`` uniforms of successive span draws, in ``mask_batch``'s order.

    ``mask_batch`` draws uniforms in chunks of ``3 · max(8, budget)`` (float64) and uses them three
    at a time: length, anchor, and a coin that only the entity / noun-phrase schemes read. This
    iterator replays exactly that, so a sampler that reads it draws what the library draws.
    """
    chunk = max(8, budget)
    while True:
        draws = torch.rand(3 * chunk, generator=generator, dtype=torch.float64).tolist()
        for j in range(0, len(draws), 3):
            yield draws[j], draws[j + 1]


SAMPLER_SOLUTION = """
def span_sampler(n, word_starts, budget, generator, p=0.2, max_words=10):
    # lengths: inverse CDF of the truncated, renormalised geometric on 1..max_words
    weights = [p * (1 - p) ** (l - 1) for l in range(1, max_words + 1)]
    cdf = [sum(weights[: i + 1]) / sum(weights) for i in range(max_words)]
    word_ends = list(word_starts[1:]) + [n]
    word_of = [0] * n  # token -> index of its word
    for w, (a, b) in enumerate(zip(word_starts, word_ends)):
        word_of[a:b] = [w] * (b - a)
    masked = [False] * n
    drawn, count = [], 0
    pairs = ex.uniform_pairs(generator, budget)
    while count < budget:
        u_length, u_anchor = next(pairs)
        length = min(1 + sum(c <= u_length for c in cdf), max_words)
        anchor = min(int(u_anchor * n), n - 1)  # uniform over sub-word positions
        if masked[anchor]:
            continue  # reject a masked anchor: draw length and anchor again
        w = word_of[anchor]  # snap to the start of the anchor's word ...
        start = word_starts[w]
        end = word_ends[min(w + length, len(word_starts)) - 1]  # ... extend by whole words
        for t in range(start, end):
            if not masked[t]:
                masked[t] = True
                count += 1
                if count == budget:  # the budget is exact: stop, even mid-word
                    end = t + 1
                    break  # out of this span; the while loop ends too
        drawn.append((start, end))
    spans = []  # merge overlapping and touching spans
    for s, e in sorted(drawn):
        if spans and s <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], e))
        else:
            spans.append((s, e))
    fate = torch.zeros(n, dtype=torch.long)  # 0 = not selected
    u = torch.rand(len(spans), generator=generator, dtype=torch.float64)  # one draw per span
    for (s, e), draw in zip(spans, u.tolist()):
        fate[s:e] = 1 if draw < 0.8 else 2 if draw < 0.9 else 3  # [MASK] / random / kept
    return spans, fate
"""

# Each wrong sampler differs from the solution in one place (a (old, new) text substitution).
SAMPLER_MUTATIONS = {
    "per-token fates": (
        """    u = torch.rand(len(spans), generator=generator, dtype=torch.float64)  # one draw per span
    for (s, e), draw in zip(spans, u.tolist()):
        fate[s:e] = 1 if draw < 0.8 else 2 if draw < 0.9 else 3  # [MASK] / random / kept""",
        """    u = torch.rand(count, generator=generator, dtype=torch.float64)  # one draw per token
    chosen = [t for t in range(n) if masked[t]]
    for t, draw in zip(chosen, u.tolist()):
        fate[t] = 1 if draw < 0.8 else 2 if draw < 0.9 else 3""",
    ),
    "clip instead of truncate": (
        "    cdf = [sum(weights[: i + 1]) / sum(weights) for i in range(max_words)]",
        "    cdf = [sum(weights[: i + 1]) for i in range(max_words - 1)] + [1.0]",
    ),
    "sub-word anchors (no snap to the word start)": (
        "        start = word_starts[w]\n",
        "        start = anchor\n",
    ),
    "no rejection of masked anchors": (
        "            continue  # reject a masked anchor: draw length and anchor again",
        "            pass",
    ),
    "budget overshoot (finishes the span)": (
        """                if count == budget:  # the budget is exact: stop, even mid-word
                    end = t + 1
                    break  # out of this span; the while loop ends too""",
        "                pass",
    ),
    "touching spans not merged": (
        "        if spans and s <= spans[-1][1]:",
        "        if spans and s < spans[-1][1]:",
    ),
}


def mutate(code: str, old: str, new: str) -> str:
    if code.count(old) != 1:
        raise ValueError(f"wrong-sampler substitution does not match exactly once: {old!r}")
    return code.replace(old, new)


def _toy_vocab() -> VocabInfo:
    """A 24-id vocabulary: 0 [PAD], 1 [CLS], 2 [SEP], 3 [MASK], 4..13 word starts, 14..23 ``##``."""
    special = torch.zeros(24, dtype=torch.bool)
    special[:4] = True
    continuation = torch.zeros(24, dtype=torch.bool)
    continuation[14:] = True
    return VocabInfo(24, 3, 0, continuation, special)


def _toy_block(seed: int, n: int) -> tuple[torch.Tensor, list[int]]:
    """``[CLS] n pieces [SEP]``: words of 1–3 pieces; returns the ids and the word starts (0..n-1)."""
    g = torch.Generator().manual_seed(1000 + seed)
    starts, t = [], 0
    while t < n:
        starts.append(t)
        t += int(torch.randint(1, 4, (1,), generator=g))
    pieces = torch.randint(14, 24, (n,), generator=g)
    pieces[starts] = torch.randint(4, 14, (len(starts),), generator=g)
    return torch.cat([torch.tensor([1]), pieces, torch.tensor([2])]), starts


# (seed, n, mask ratio): the paper's 15 %, and a denser 40 % that makes rejections and merges common
_SAMPLER_CASES = [
    *[(seed, n, 0.15) for seed, n in enumerate([20, 37, 64, 126, 126, 9, 100, 126])],
    *[(seed, n, 0.4) for seed, n in enumerate([30, 64, 126, 126], start=8)],
]


def check_sampler(fn: Callable[..., Any]) -> None:
    vocab = _toy_vocab()
    ref_fn = reference_sampler()
    for case, (seed, n, ratio) in enumerate(_SAMPLER_CASES):
        ids, starts = _toy_block(seed, n)
        budget = mask_budget(n, ratio)
        got = fn(n, list(starts), budget, torch.Generator().manual_seed(seed))
        if not isinstance(got, tuple) or len(got) != 2:
            raise CheckFailed("return a pair (spans, fate)")
        spans, fate = got
        if fate is None or spans is None:
            raise NotAttempted(f"Exercise 02.4: {NOT_ATTEMPTED_MESSAGE}")
        lib = mask_batch(
            ids[None],
            tokenizer=vocab,
            config=MaskingConfig(mask_ratio=ratio, random_token_source="uniform"),
            generator=torch.Generator().manual_seed(seed),
        )
        want = [(s - 1, e - 1) for s, e in lib.spans[0]]  # library positions count [CLS]
        where = f"block {case} (n = {n}, budget = {budget})"
        try:
            spans = [(int(s), int(e)) for s, e in spans]
        except (TypeError, ValueError):
            raise CheckFailed("spans must be a list of (start, end) pairs") from None
        covered = sum(e - s for s, e in spans)
        expect(
            covered == budget,
            f"{where}: your spans cover {covered} tokens; the budget is exact, even mid-word",
        )
        word_start = set(starts)
        expect(
            all(s in word_start for s, _ in spans),
            f"{where}: a span starts in the middle of a word; move the anchor to its word start",
        )
        expect(
            all(s2 > e1 for (_, e1), (s2, _) in itertools.pairwise(spans)),
            f"{where}: two of your spans overlap or touch; merge them",
        )
        if spans != want:
            raise CheckFailed(
                f"{where}: your spans differ from mask_batch's with the same generator "
                f"({len(spans)} vs {len(want)} spans); check the length distribution, the "
                "rejection of masked anchors and the order of the draws"
            )
        expect(
            isinstance(fate, torch.Tensor) and tuple(fate.shape) == (n,),
            f"{where}: fate should be a tensor of shape ({n},)",
        )
        for j, (s, e) in enumerate(spans):
            expect(
                len(set(fate[s:e].tolist())) == 1,
                f"{where}: span {j} mixes fates; SpanBERT draws 80/10/10 once per merged span",
            )
        _, want_fate = ref_fn(n, list(starts), budget, torch.Generator().manual_seed(seed))
        expect(
            bool(((fate == 0) == (want_fate == 0)).all()),
            f"{where}: fate is 0 exactly at the unselected tokens",
        )
        expect(
            torch.equal(fate.long(), want_fate),
            f"{where}: the span fates differ; after the spans, draw one uniform per merged span "
            "from the same generator (< 0.8 → [MASK] 1, < 0.9 → random 2, else kept 3)",
        )


def reference_sampler() -> Callable[..., Any]:
    scope: dict = {"torch": torch, "math": math, "ex": SolutionScope()}
    exec(SAMPLER_SOLUTION, scope)
    return scope["span_sampler"]


class SolutionScope:
    """What the solution code calls ``ex`` (the notebook imports this module under that name)."""

    uniform_pairs = staticmethod(uniform_pairs)
