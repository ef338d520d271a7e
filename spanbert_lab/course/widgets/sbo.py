"""SBO explorer: pick a span in a sentence → its boundary tokens, relative positions and the
span boundary objective head's per-position predictions, with probabilities.

Paper §3.2 (``docs/spanbert-reference.md#sbo``). The span is replaced by ``[MASK]`` tokens, the
sentence is encoded, and the SBO head predicts every span token from the two boundary vectors and
its relative position only; the MLM head's probability of the same token is shown beside it. Works
with any :class:`~spanbert_lab.model.pretraining.SpanBertForPreTraining` — an in-memory model, or a
checkpoint directory through :meth:`SboExplorer.from_pretrained` (e.g.
``data/checkpoints/spanbert-tiny``). Pure ipywidgets + matplotlib: offline, plain JupyterLab; "save
PNG" writes the current view.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w
import torch
from matplotlib.figure import Figure
from transformers import PreTrainedTokenizerBase

from spanbert_lab.contracts import IGNORE_INDEX
from spanbert_lab.course.plots.sbo import SboView, plot_sbo_predictions
from spanbert_lab.course.widgets.base import Explorer
from spanbert_lab.model.pretraining import SpanBertForPreTraining
from spanbert_lab.runtime import quiet_transformers
from spanbert_lab.training.checkpoint import load_tokenizer_for

__all__ = ["SboExplorer", "load_spanbert", "sbo_explorer_figure", "sbo_predictions"]

MAX_SPAN = 6  # longest span the explorer offers (mean SpanBERT span ≈ 5 sub-words)


def load_spanbert(
    path: str | Path,
) -> tuple[SpanBertForPreTraining, PreTrainedTokenizerBase]:
    """Load a checkpoint directory as ``SpanBertForPreTraining`` (eval mode) + tokenizer.

    A plain BERT encoder directory loads too, with freshly initialised heads (their predictions
    then mean nothing). The tokenizer is read from the folder, else the course tokenizer is used.

    Raises:
        FileNotFoundError: ``path`` is not a directory holding a ``config.json``.
    """
    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no checkpoint at {path} (expected a folder with config.json)")
    with quiet_transformers():
        model = SpanBertForPreTraining.from_pretrained(path)
    tokenizer = load_tokenizer_for(path)
    return model.eval(), tokenizer


@torch.no_grad()
def sbo_predictions(
    model: SpanBertForPreTraining,
    tokenizer: PreTrainedTokenizerBase,
    text: str,
    start: int,
    end: int,
    *,
    top_k: int = 5,
) -> SboView:
    """Mask the span ``[start, end)`` of ``text`` and read both heads' predictions for it.

    Token indices count ``[CLS]`` as 0. Both boundaries must be real text tokens (as in
    pretraining: spans touching ``[CLS]``/``[SEP]`` get no SBO target), and the span may hold at
    most ``config.sbo_max_targets`` tokens.

    Returns:
        An :class:`~spanbert_lab.course.plots.sbo.SboView`.

    Raises:
        ValueError: empty text, or a span whose boundaries are not text tokens / that is too long.
    """
    if not text.strip():
        raise ValueError("the sentence is empty")
    limit = model.config.max_position_embeddings
    ids = tokenizer(text, truncation=True, max_length=limit, return_tensors="pt")["input_ids"]
    n = ids.shape[1]
    if not 2 <= start < end <= n - 2:
        raise ValueError(
            f"span {start}..{end - 1}: both boundaries must be text tokens (1..{n - 2}), "
            f"so choose 2 <= start < end <= {n - 2}"
        )
    if end - start > model.config.sbo_max_targets:
        raise ValueError(
            f"span of {end - start} tokens: the SBO head has {model.config.sbo_max_targets} positions"
        )
    length = end - start
    masked = ids.clone()
    masked[0, start:end] = tokenizer.mask_token_id
    labels = torch.full_like(ids, IGNORE_INDEX)
    labels[0, start:end] = ids[0, start:end]
    device = next(model.parameters()).device
    out = model.eval()(
        masked.to(device),
        labels=labels.to(device),
        sbo_left=torch.full((1, length), start - 1, device=device),
        sbo_right=torch.full((1, length), end, device=device),
        sbo_positions=torch.arange(length, device=device)[None],
    )
    targets = ids[0, start:end].to(device)
    sbo_probs = out.sbo_logits.float().softmax(-1)  # (L, V)
    mlm_probs = out.mlm_logits.float().softmax(-1)  # (L, V)
    top = sbo_probs.topk(top_k, dim=-1)
    tokens = tokenizer.convert_ids_to_tokens(ids[0].tolist())
    return SboView(
        tokens=tuple(tokens),
        start=start,
        end=end,
        targets=tuple(tokens[start:end]),
        sbo_top=tuple(
            tuple(zip(tokenizer.convert_ids_to_tokens(i.tolist()), p.tolist(), strict=True))
            for i, p in zip(top.indices, top.values, strict=True)
        ),
        sbo_target_prob=tuple(sbo_probs[torch.arange(length), targets].tolist()),
        mlm_target_prob=tuple(mlm_probs[torch.arange(length), targets].tolist()),
    )


def sbo_explorer_figure(
    model: SpanBertForPreTraining,
    tokenizer: PreTrainedTokenizerBase,
    text: str,
    start: int,
    end: int,
    *,
    top_k: int = 5,
) -> Figure:
    """The explorer's view as a static figure (for readers without a running kernel)."""
    return plot_sbo_predictions(sbo_predictions(model, tokenizer, text, start, end, top_k=top_k))


class SboExplorer(Explorer):
    """Pick a sentence, a span start and a span length; see what SBO predicts inside the span.

    Args:
        model: a :class:`~spanbert_lab.model.pretraining.SpanBertForPreTraining`.
        tokenizer: its tokenizer.
        sentences: the sentences offered in the dropdown (each needs ≥ 5 tokens with specials).
        top_k: how many guesses to show per position.
        start: the span start the explorer opens on (token index, ``[CLS]`` = 0), in the first
            sentence; ``None`` = 3 (or the last valid start of a short sentence). Give the static
            figure's span here, so that the widget opens on the view printed beside it.
        length: the span length it opens on, in tokens.

    Raises:
        ValueError: no sentence, a sentence too short for a span with two text boundaries, or a
            ``start`` / ``length`` outside the sliders' ranges.
    """

    def __init__(
        self,
        model: SpanBertForPreTraining,
        tokenizer: PreTrainedTokenizerBase,
        sentences: Sequence[str],
        *,
        top_k: int = 5,
        start: int | None = None,
        length: int = 2,
    ) -> None:
        if not sentences:
            raise ValueError("give the explorer at least one sentence")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.top_k = top_k
        self._lengths = {s: self._n_tokens(s) for s in sentences}
        short = [s for s, n in self._lengths.items() if n < 5]
        if short:
            raise ValueError(
                f"sentence too short for a span with two text boundaries: {short[0]!r}"
            )
        n = self._lengths[sentences[0]]
        start = min(3, n - 3) if start is None else start
        if not 2 <= start <= n - 3:
            raise ValueError(f"start={start}: the first sentence allows 2..{n - 3}")
        if not 1 <= length <= self._max_length():
            raise ValueError(f"length={length}: the explorer allows 1..{self._max_length()}")
        controls = {
            "sentence": w.Dropdown(
                options=list(sentences), description="sentence", layout=w.Layout(width="520px")
            ),
            "start": w.IntSlider(start, min=2, max=n - 3, description="span start"),
            "length": w.IntSlider(length, min=1, max=self._max_length(), description="span length"),
        }
        super().__init__(controls, png_name="sbo.png")
        # a new sentence has a new number of tokens: reset the start slider first (one redraw)
        self.route_control("sentence", self._on_sentence)

    @classmethod
    def from_pretrained(
        cls, path: str | Path, sentences: Sequence[str], **kwargs: Any
    ) -> SboExplorer:
        """An explorer over a checkpoint directory (see :func:`load_spanbert`)."""
        model, tokenizer = load_spanbert(path)
        return cls(model, tokenizer, sentences, **kwargs)

    def _n_tokens(self, sentence: str) -> int:
        limit = self.model.config.max_position_embeddings
        return len(self.tokenizer(sentence, truncation=True, max_length=limit)["input_ids"])

    def _max_length(self) -> int:
        return min(MAX_SPAN, self.model.config.sbo_max_targets)

    def _on_sentence(self, change: dict[str, Any]) -> None:
        start = self.controls["start"]
        start.unobserve(self._on_change, names="value")
        start.max = self._lengths[change["new"]] - 3
        start.value = min(start.value, start.max)
        start.observe(self._on_change, names="value")
        self._on_change(change)

    def span(self, sentence: str, start: int, length: int) -> tuple[int, int]:
        """The span drawn for these control values: the length is cut so that ``[SEP]`` is not
        a boundary."""
        n = self._lengths[sentence]
        return start, min(start + length, n - 2)

    def draw(self, *, sentence: str, start: int, length: int) -> tuple[Figure, str]:
        start, end = self.span(sentence, start, length)
        view = sbo_predictions(self.model, self.tokenizer, sentence, start, end, top_k=self.top_k)
        return plot_sbo_predictions(view), view.summary()
