"""Exercises of notebook 04 (pretraining on a laptop, and what fine-tuning will need).

1. ``lr_schedule`` — warm-up then linear decay, as a pure function of the update index.
2. ``max_context_windows`` — BERT's max-context rule for overlapping QA windows
   (``docs/spanbert-reference.md#max-context``).
3. ``choose_null_threshold`` — the SQuAD 2.0 "no answer" threshold, chosen on dev
   (``docs/spanbert-reference.md#null-threshold``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from spanbert_lab.course.exercises.core import CheckFailed, Exercise, expect
from spanbert_lab.tasks.qa.features import max_context_mask
from spanbert_lab.tasks.qa.metric import choose_null_threshold, null_threshold_f1
from spanbert_lab.training.schedule import lr_at_step

_NS = {"torch": torch, "math": math}


def _check_schedule(fn: Callable[..., object], _seed: int) -> None:
    for peak, warmup, total in [(1e-3, 4, 20), (5e-4, 1, 7), (2.0, 10, 11)]:
        for step in range(total + 3):
            want = lr_at_step(step, peak_lr=peak, warmup_steps=warmup, total_steps=total)
            got = fn(step, peak, warmup, total)
            try:
                value = float(got)
            except (TypeError, ValueError):
                raise CheckFailed(f"return a number, got {type(got).__name__}") from None
            if not math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-15):
                phase = (
                    "warm-up"
                    if step < warmup
                    else "after the last update"
                    if step >= total
                    else "decay"
                )
                raise CheckFailed(
                    f"wrong learning rate during the {phase} (update {step} of a run with "
                    f"warmup_steps={warmup}, total_steps={total})"
                )


lr_schedule = Exercise(
    key="04.1",
    title="warm-up then linear decay",
    answer_name="lr_schedule",
    checker=_check_schedule,
    hints=(
        "Two phases: `step < warmup_steps` (rising) and the rest (falling); 0 from `total_steps` on.",
        "Update 0 is a real update: during warm-up use `(step + 1) / warmup_steps` of the peak.",
        "After warm-up the rate falls by `peak / (total_steps - warmup_steps)` per update and "
        "would reach 0 at `step == total_steps`.",
    ),
    wrong_solutions=(
        # warm-up starts at 0: the first update is wasted
        "def lr_schedule(step, peak_lr, warmup_steps, total_steps):\n"
        "    if step < warmup_steps:\n        return peak_lr * step / warmup_steps\n"
        "    return max(0.0, peak_lr * (total_steps - step) / (total_steps - warmup_steps))",
        # decay measured from step 0 instead of from the end of warm-up
        "def lr_schedule(step, peak_lr, warmup_steps, total_steps):\n"
        "    if step < warmup_steps:\n        return peak_lr * (step + 1) / warmup_steps\n"
        "    return max(0.0, peak_lr * (total_steps - step) / total_steps)",
        # no decay at all
        "def lr_schedule(step, peak_lr, warmup_steps, total_steps):\n"
        "    return peak_lr * min(1.0, (step + 1) / warmup_steps)",
    ),
    namespace=_NS,
)


# --- 2. the max-context rule -----------------------------------------------------------------------


def _max_context_reference(windows: list[tuple[int, int]], n_tokens: int) -> list[int]:
    """The library's rule (:func:`~spanbert_lab.tasks.qa.features.max_context_mask`, which tells
    tokens apart by their character offsets) on windows of token positions."""
    offsets = [[(j, j + 1) for j in range(start, start + length)] for start, length in windows]
    masks = max_context_mask(offsets)
    winner = [-1] * n_tokens
    for w, (start, _) in enumerate(windows):
        for i, best in enumerate(masks[w]):
            if best:
                winner[start + i] = w
    return winner


_CONTEXT_CASES = [
    ([(0, 8), (4, 8), (8, 5)], 13),  # the last window is shorter
    ([(0, 6), (3, 6), (6, 6), (9, 3)], 12),
    ([(0, 10)], 10),
    ([(0, 7), (2, 7), (4, 7), (6, 7)], 13),  # a stride of 2: every token is in several windows
    ([(0, 5), (5, 5)], 10),  # no overlap at all
    ([(0, 5), (2, 8)], 10),  # token 3 ties on its shorter side: the longer window must win
]


def _check_max_context(fn: Callable[..., object], _seed: int) -> None:
    for windows, n in _CONTEXT_CASES:
        want = _max_context_reference(windows, n)
        got = fn(list(windows), n)
        try:
            got = [int(w) for w in got]
        except (TypeError, ValueError):
            raise CheckFailed("return a list with one window index per passage token") from None
        expect(len(got) == n, f"for {n} passage tokens you return {len(got)} window indices")
        wrong = [j for j in range(n) if got[j] != want[j]]
        if wrong:
            j = wrong[0]
            inside = [w for w, (s, length) in enumerate(windows) if s <= j < s + length]
            raise CheckFailed(
                f"for windows (start, length) {windows}: token {j} lies in windows {inside}, "
                f"and you chose window {got[j]}; the winner has the most tokens on the token's "
                "*shorter* side (+ 0.01 × window length; the first window wins a tie)"
            )


max_context_windows = Exercise(
    key="04.2",
    title="the max-context rule for overlapping windows",
    answer_name="max_context_windows",
    checker=_check_max_context,
    hints=(
        "For token j in the window (start, length): j - start tokens on its left, "
        "start + length - 1 - j on its right.",
        "Its context score is min(left, right) + 0.01 × length: the shorter side is what limits "
        "what the model sees; the small bonus prefers longer windows on a tie.",
        "Keep, for every token, the best score so far and its window; replace only on a strictly "
        "higher score, so the first window wins a tie.",
    ),
    wrong_solutions=(
        # the first window that holds the token
        "def max_context_windows(windows, n_tokens):\n"
        "    best = [-1] * n_tokens\n"
        "    for w, (start, length) in enumerate(windows):\n"
        "        for j in range(start, start + length):\n"
        "            if best[j] < 0:\n"
        "                best[j] = w\n"
        "    return best",
        # total context (left + right) instead of the shorter side
        "def max_context_windows(windows, n_tokens):\n"
        "    score, best = [-1.0] * n_tokens, [-1] * n_tokens\n"
        "    for w, (start, length) in enumerate(windows):\n"
        "        for j in range(start, start + length):\n"
        "            s = (j - start) + (start + length - 1 - j) + 0.01 * length\n"
        "            if s > score[j]:\n"
        "                score[j], best[j] = s, w\n"
        "    return best",
        # ties go to the last window
        "def max_context_windows(windows, n_tokens):\n"
        "    score, best = [-1.0] * n_tokens, [-1] * n_tokens\n"
        "    for w, (start, length) in enumerate(windows):\n"
        "        for j in range(start, start + length):\n"
        "            s = min(j - start, start + length - 1 - j) + 0.01 * length\n"
        "            if s >= score[j]:\n"
        "                score[j], best[j] = s, w\n"
        "    return best",
    ),
    namespace=_NS,
)


# --- 3. the SQuAD 2.0 null threshold ---------------------------------------------------------------


# ``dev_f1`` (shown to the learner as ``ex.dev_f1``) and the reference answer are the library's own:
# the QA task chooses QA v2.0's null threshold on dev with the very same rule.
dev_f1 = null_threshold_f1
_threshold_reference = choose_null_threshold


def _threshold_case(seed: int, n: int, separation: float) -> tuple[list, list, list]:
    g = torch.Generator().manual_seed(seed)
    impossible = (torch.rand(n, generator=g) < 0.5).tolist()
    na = (
        torch.randn(n, generator=g) + separation * (torch.tensor(impossible).double() - 0.5)
    ).tolist()
    f1 = [
        0.0 if imp else float(x)
        for imp, x in zip(impossible, torch.rand(n, generator=g).tolist(), strict=True)
    ]
    return na, impossible, f1


_FIXED_THRESHOLD_CASES = [
    (
        ([3.0, 2.0, 1.0, -1.0], [True, True, True, True], [0.0] * 4),
        "a set where no question has an answer",
    ),
    (
        ([0.5, -0.5, 1.5, -2.0], [False, False, False, False], [1.0, 0.6, 0.9, 0.2]),
        "a set where every question has an answer",
    ),
    (
        ([1.0, 2.0, 3.0, 3.5, 0.5], [True, False, False, False, True], [0.0] * 5),
        "a model whose answers are all wrong (F1 0): deciding 'answerable' right earns nothing",
    ),
]


def _check_threshold(fn: Callable[..., object], seed: int) -> None:
    cases = [
        (_threshold_case(1000 * seed, 40, 2.0), "a model that separates the two kinds well"),
        (_threshold_case(1000 * seed + 1, 25, 0.5), "a model that barely separates them"),
        *_FIXED_THRESHOLD_CASES,
    ]
    for (na, impossible, f1), what in cases:
        got = fn(list(na), list(impossible), list(f1))
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise CheckFailed(
                f"return the threshold as a number, not {type(got).__name__}"
            ) from None
        want = _threshold_reference(na, impossible, f1)
        got_f1, best = dev_f1(got, na, impossible, f1), dev_f1(want, na, impossible, f1)
        if got_f1 < best - 1e-12:
            raise CheckFailed(
                f"for {what}, your threshold gives dev F1 {100 * got_f1:.1f} and a better one "
                'exists; remember: the answer is "" when na_score > threshold'
            )
        expect(
            got == want,
            f"for {what}, your threshold reaches the best F1 but is not the smallest candidate "
            "that does (candidates: -inf and the na scores themselves)",
        )


choose_null_threshold = Exercise(
    key="04.3",
    title="the SQuAD 2.0 null threshold, chosen on dev",
    answer_name="choose_null_threshold",
    checker=_check_threshold,
    hints=(
        'A question gets "" when its na score is above the threshold: its F1 is then 1 if it is '
        "unanswerable, else 0; otherwise its F1 is answer_f1[i].",
        "F1 only changes when the threshold crosses an na score, so the candidates are -inf "
        '(every question "") and the na scores themselves. `ex.dev_f1(t, ...)` scores one.',
        "Return the smallest candidate with the highest dev F1.",
    ),
    wrong_solutions=(
        # the sign flipped: "" when na < threshold
        "def choose_null_threshold(na_scores, is_impossible, answer_f1):\n"
        "    candidates = [-math.inf] + sorted(na_scores)\n"
        "    def f1_at(t):\n"
        "        return sum(float(imp) if na < t else f1\n"
        "                   for na, imp, f1 in zip(na_scores, is_impossible, answer_f1))\n"
        "    scores = [f1_at(t) for t in candidates]\n"
        "    return candidates[scores.index(max(scores))]",
        # the fixed default 0 instead of a choice
        "def choose_null_threshold(na_scores, is_impossible, answer_f1):\n    return 0.0",
        # maximises the accuracy of the yes/no "answerable?" decision instead of F1
        "def choose_null_threshold(na_scores, is_impossible, answer_f1):\n"
        "    candidates = [-math.inf] + sorted(na_scores)\n"
        "    acc = [sum((na > t) == imp for na, imp in zip(na_scores, is_impossible)) for t in candidates]\n"
        "    return candidates[acc.index(max(acc))]",
    ),
    namespace=_NS,
)
