"""Exercise 02.5's machinery: the wrong variants of the span sampler and the checker that compares
a learner's sampler with ``mask_batch(scheme="span")`` draw for draw, fates included
(``docs/spanbert-reference.md#span-masking``). :mod:`~spanbert_lab.course.exercises.nb02_masking`
declares the exercise; its solution is the notebook's.
"""

from __future__ import annotations

import itertools
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


# Each wrong sampler differs from the notebook's solution in one place (a (old, new) text substitution).
SAMPLER_MUTATIONS = {
    "per-token fates": (
        """    u = torch.rand(len(spans), generator=generator, dtype=torch.float64)  # one draw per span
    for (s, e), draw in zip(spans, u.tolist(), strict=True):
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
    "spans not merged": ("    spans = merge_spans(drawn)", "    spans = sorted(drawn)"),
}


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


# (n, mask ratio) of the checker's blocks
_SAMPLER_SIZES = [
    *[(n, 0.15) for n in (20, 37, 64, 126, 126, 9, 100, 126)],
    *[(n, 0.4) for n in (30, 64, 126, 126)],
]


def _library_fates(n: int, seed: int, ratio: float) -> tuple[list[tuple[int, int]], torch.Tensor]:
    """``mask_batch``'s spans and the fate of every token, from the library alone.

    [MASK] and "not selected" are visible in one run; "random" and "kept" are told apart by a
    second run on other token ids with the same word structure and the same seed: the draws —
    spans, fates and the random ids — are the same, so a token that is random differs from its
    original in at least one of the two runs (a random id cannot equal two different originals).
    """
    vocab = _toy_vocab()
    config = MaskingConfig(mask_ratio=ratio, random_token_source="uniform")
    ids, _ = _toy_block(seed, n)
    other = ids.clone()
    text = slice(1, n + 1)
    other[text] = torch.where(
        ids[text] < 14, 4 + (ids[text] - 4 + 1) % 10, 14 + (ids[text] - 13) % 10
    )
    runs = [
        mask_batch(
            x[None], tokenizer=vocab, config=config, generator=torch.Generator().manual_seed(seed)
        )
        for x in (ids, other)
    ]
    spans = [(s - 1, e - 1) for s, e in runs[0].spans[0]]  # library positions count [CLS]
    fate = torch.zeros(n, dtype=torch.long)
    for s, e in spans:
        fate[s:e] = KEPT
    changed = (runs[0].input_ids[0, text] != ids[text]) | (
        runs[1].input_ids[0, text] != other[text]
    )
    fate[changed] = RANDOM
    fate[runs[0].input_ids[0, text] == vocab.mask_token_id] = MASKED
    return spans, fate


def _sampler_cases(seed: int) -> list[tuple[int, int, float]]:
    """(block seed, n, mask ratio): the paper's 15 %, and a denser 40 % that makes rejections
    and merges common; fresh block seeds for every ``seed``."""
    return [(1000 * seed + case, n, ratio) for case, (n, ratio) in enumerate(_SAMPLER_SIZES)]


def check_sampler(fn: Callable[..., Any], seed: int) -> None:
    for case, (block_seed, n, ratio) in enumerate(_sampler_cases(seed)):
        _, starts = _toy_block(block_seed, n)
        budget = mask_budget(n, ratio)
        got = fn(n, list(starts), budget, torch.Generator().manual_seed(block_seed))
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise CheckFailed("return a pair (spans, fate)")
        spans, fate = got
        if fate is None or spans is None:
            raise NotAttempted(f"Exercise 02.5: {NOT_ATTEMPTED_MESSAGE}")
        want, want_fate = _library_fates(n, block_seed, ratio)
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
        expect(
            bool(((fate == UNSELECTED) == (want_fate == UNSELECTED)).all()),
            f"{where}: fate is 0 exactly at the unselected tokens",
        )
        expect(
            torch.equal(fate.long(), want_fate),
            f"{where}: the span fates differ; after the spans, draw one uniform per merged span "
            "from the same generator (< 0.8 → [MASK] 1, < 0.9 → random 2, else kept 3)",
        )


class SolutionScope:
    """What the solution code calls ``ex`` (the notebook imports this module under that name)."""

    uniform_pairs = staticmethod(uniform_pairs)
