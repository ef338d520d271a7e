"""Targets: the selected tokens become merged spans, MLM labels and SBO rows.

Reference: ``docs/spanbert-reference.md#targets`` (every selected token is an MLM target, the 10%
kept unchanged included) and ``#sbo`` (the first K tokens of every merged span whose two outside
boundaries are real text get a span-boundary target).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from spanbert_lab.contracts import IGNORE_INDEX, Span

SboRow = tuple[int, int, int, int]
"""``(left boundary, right boundary, position in span, target id)``."""


def merge_runs(positions: Sequence[int]) -> list[Span]:
    """Maximal runs of consecutive positions (sorted input): overlapping or touching draws merge."""
    runs: list[list[int]] = []
    for p in positions:
        if runs and runs[-1][1] == p:
            runs[-1][1] = p + 1
        else:
            runs.append([p, p + 1])
    return [(s, t) for s, t in runs]


def sbo_rows(
    spans: Sequence[Span], segment: Span, ids: Sequence[int], max_targets: int
) -> list[SboRow]:
    """SBO rows of the merged ``spans`` of one segment ``[a, e)`` (batch coordinates): both
    boundaries ``s - 1`` and ``t`` must lie inside the segment; the first ``max_targets`` tokens."""
    a, e = segment
    rows: list[SboRow] = []
    for s, t in spans:
        if s > a and t < e:
            rows.extend((s - 1, t, i - s, ids[i]) for i in range(s, min(t, s + max_targets)))
    return rows


def mlm_labels(ids: torch.Tensor, targets: Sequence[int]) -> torch.Tensor:
    """Flat labels: ``ids`` at the flat ``targets``, :data:`IGNORE_INDEX` elsewhere."""
    flat = ids.reshape(-1)
    labels = torch.full_like(flat, IGNORE_INDEX)
    at = torch.tensor(list(targets), dtype=torch.long)
    labels[at] = flat[at]
    return labels.view_as(ids)


def sbo_tensors(rows: Sequence[Sequence[SboRow]]) -> torch.Tensor:
    """Per-example SBO rows padded to (B, M, 4) long, M = max rows (>= 1); padding rows are
    ``(0, 0, 0, IGNORE_INDEX)``."""
    m = max([1] + [len(r) for r in rows])
    padding = [(0, 0, 0, IGNORE_INDEX)]
    table = torch.tensor([list(r) + padding * (m - len(r)) for r in rows], dtype=torch.long)
    return table.view(len(rows), m, 4)
