"""Mask explorer: scheme, p, max span length, ratio, replacement mode and seed → coloured tokens,
the span list and live statistics over many masks of the same passage.

Reference: ``docs/spanbert-reference.md#span-masking``. Thin over
:func:`spanbert_lab.masking.mask_batch` and :mod:`spanbert_lab.course.plots.masking`;
:func:`mask_explorer_figure` draws the same view without a kernel (the static figure shown beside
the widget).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as w
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from spanbert_lab.contracts import IGNORE_INDEX
from spanbert_lab.course.plots.masking import add_fate_legend, draw_tokens, token_rows, token_view
from spanbert_lab.course.widgets.base import Explorer
from spanbert_lab.masking import (
    SCHEMES,
    MaskingConfig,
    mask_batch,
    mask_example,
    replacement_unit,
    scheme_spec,
)


def mask_explorer_figure(
    tokenizer: Any,
    input_ids: Sequence[int],
    *,
    scheme: str = "span",
    p: float = 0.2,
    max_span: int = 10,
    ratio: float = 0.15,
    replacement: str = "auto",
    seed: int = 0,
    annotations: Mapping[str, Sequence[tuple[int, int]]] | None = None,
    unigram_counts: torch.Tensor | None = None,
    n_masks: int = 64,
    width: int = 16,
) -> tuple[Figure, str]:
    """Mask one passage (``[CLS] … [SEP]`` ids) and draw it; statistics over ``n_masks`` masks.

    Returns the figure and a text summary (settings, the span list, the statistics).

    Raises:
        ValueError: an invalid setting (from :class:`MaskingConfig`), or an annotation scheme
            without annotations.
    """
    cfg = MaskingConfig(
        geometric_p=p,
        max_span_words=max_span,
        mask_ratio=ratio,
        replacement=replacement,  # type: ignore[arg-type]
    )
    ids = torch.tensor(list(input_ids), dtype=torch.long)
    ann = None
    kind = scheme_spec(scheme).annotation_kind
    if kind is not None:
        if not annotations or kind not in annotations:
            raise ValueError(f"scheme {scheme!r} needs {kind} annotations")
        ann = list(annotations[kind])
    gen = torch.Generator().manual_seed(seed)
    one = mask_example(
        ids,
        tokenizer=tokenizer,
        scheme=scheme,
        config=cfg,
        generator=gen,  # type: ignore[arg-type]
        annotations=ann,
        unigram_counts=unigram_counts,
    )
    view = token_view(tokenizer, ids, one.input_ids[0], one.labels[0], one.spans[0])
    many = mask_batch(
        ids.repeat(n_masks, 1),
        tokenizer=tokenizer,
        scheme=scheme,
        config=cfg,  # type: ignore[arg-type]
        annotations=None if ann is None else [ann] * n_masks,
        unigram_counts=unigram_counts,
        generator=torch.Generator().manual_seed(10_000 + seed),
    )
    span_lengths = torch.tensor([e - s for spans in many.spans for s, e in spans], dtype=torch.long)
    targets = int((many.labels != IGNORE_INDEX).sum())
    sbo = int((many.sbo_labels != IGNORE_INDEX).sum())
    is_target = many.labels != IGNORE_INDEX
    mask_share = float((many.input_ids[is_target] == tokenizer.mask_token_id).float().mean())
    mean_len = float(span_lengths.float().mean()) if span_lengths.numel() else 0.0

    rows = token_rows(view, width)
    fig, (ax_tokens, ax_hist) = plt.subplots(
        1, 2, figsize=(width * 0.62 + 3.5, 0.42 * rows + 1.4), gridspec_kw={"width_ratios": [4, 1]}
    )
    draw_tokens(ax_tokens, view, width=width, title=f"{scheme}, seed {seed}")
    if span_lengths.numel():
        top = int(span_lengths.max())
        ax_hist.hist(span_lengths.tolist(), bins=range(1, top + 2), color="#3182bd", align="left")
    ax_hist.set(
        xlabel="merged span length (tokens)",
        ylabel="spans",
        title=f"{n_masks} masks: mean {mean_len:.2f}",
    )
    add_fate_legend(fig)
    fig.subplots_adjust(
        left=0.01, right=0.98, bottom=0.3, top=0.85, wspace=0.12
    )  # no tight_layout: too slow
    spans_text = " ".join(f"[{s},{e})" for s, e in one.spans[0])
    summary = (
        f"scheme={scheme} p={p:.2f} max_span={max_span} ratio={ratio:.2f} "
        f"replacement={replacement_unit(cfg, scheme)} seed={seed}\n"
        f"this mask: {int((one.labels != IGNORE_INDEX).sum())} targets in {len(one.spans[0])} spans: "
        f"{spans_text}\n"
        f"over {n_masks} masks: {targets / n_masks:.1f} targets and "
        f"{span_lengths.numel() / n_masks:.2f} spans per passage, mean span {mean_len:.2f} tokens, "
        f"[MASK] share {mask_share:.2f}, SBO targets {sbo / max(targets, 1):.2f} of targets"
    )
    return fig, summary


class MaskExplorer(Explorer):
    """Interactive :func:`mask_explorer_figure` for one passage.

    Args:
        tokenizer: the course tokenizer.
        input_ids: the passage as ``[CLS] … [SEP]`` ids (e.g. a block's ``input_ids``).
        annotations: ``{"entities": spans, "noun_phrases": spans}`` token spans of the passage;
            the ``entity`` / ``noun_phrase`` schemes are offered only when given.
        unigram_counts: corpus counts for unigram random tokens (required: the explorer uses
            the paper's unigram replacement).
    """

    def __init__(
        self,
        tokenizer: Any,
        input_ids: Sequence[int],
        *,
        annotations: Mapping[str, Sequence[tuple[int, int]]] | None = None,
        unigram_counts: torch.Tensor | None = None,
        n_masks: int = 64,
    ) -> None:
        self.tokenizer = tokenizer
        self.input_ids = list(input_ids)
        self.annotations = annotations
        self.unigram_counts = unigram_counts
        self.n_masks = n_masks
        schemes = [s for s in SCHEMES if _has_annotations(s, annotations)]
        style = {"description_width": "initial"}
        controls = {
            "scheme": w.Dropdown(options=schemes, value="span", description="scheme"),
            "p": w.FloatSlider(
                value=0.2, min=0.05, max=1.0, step=0.05, description="geometric p", style=style
            ),
            "max_span": w.IntSlider(
                value=10, min=1, max=20, description="max span (words)", style=style
            ),
            "ratio": w.FloatSlider(
                value=0.15, min=0.05, max=0.5, step=0.05, description="mask ratio", style=style
            ),
            "replacement": w.Dropdown(
                options=["auto", "span", "token"],
                value="auto",
                description="80/10/10 per",
                style=style,
            ),
            "seed": w.IntSlider(value=0, min=0, max=50, description="seed"),
        }
        super().__init__(controls, png_name="mask_explorer.png")

    def draw(self, **values: Any) -> tuple[Figure, str]:
        return mask_explorer_figure(
            self.tokenizer,
            self.input_ids,
            annotations=self.annotations,
            unigram_counts=self.unigram_counts,
            n_masks=self.n_masks,
            **values,
        )


def _has_annotations(
    scheme: str, annotations: Mapping[str, Sequence[tuple[int, int]]] | None
) -> bool:
    """Whether ``scheme`` can run on the passage: it needs no annotations, or they are given."""
    kind = scheme_spec(scheme).annotation_kind
    return kind is None or bool(annotations and kind in annotations)
