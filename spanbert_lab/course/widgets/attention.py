"""Attention explorer: sentence, layer, head and query token → heatmap and top-attended tokens.

Works with any BERT-family encoder: a model object, or a local checkpoint directory
(:meth:`AttentionExplorer.from_pretrained`). Pure ipywidgets + matplotlib, so it runs offline and
in plain JupyterLab; the "save PNG" button writes the current view.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from transformers import PreTrainedTokenizerBase

from spanbert_lab.course.plots.attention import attention_heatmap
from spanbert_lab.course.widgets.base import Explorer
from spanbert_lab.model.trunk import SpanBertModel
from spanbert_lab.runtime import quiet_transformers
from spanbert_lab.training.checkpoint import load_tokenizer_for


def load_encoder(path: str | Path) -> tuple[SpanBertModel, PreTrainedTokenizerBase]:
    """Load a local BERT-family checkpoint directory into the course trunk, with its tokenizer.

    The tokenizer is read from the same folder, or from the course tokenizer when the folder has none.

    Raises:
        FileNotFoundError: ``path`` is not a directory holding a ``config.json``.
    """
    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no checkpoint at {path} (expected a folder with config.json)")
    with quiet_transformers():  # the heads a course checkpoint also holds are unused here
        model = SpanBertModel.from_pretrained(path)
    tokenizer = load_tokenizer_for(path)
    return model.eval(), tokenizer


@torch.no_grad()
def attention_maps(
    model: SpanBertModel, tokenizer: PreTrainedTokenizerBase, text: str
) -> tuple[list[str], torch.Tensor]:
    """Tokens of ``text`` (with [CLS]/[SEP]) and the model's attention, ``(L, H, T, T)``.

    Raises:
        ValueError: ``text`` is empty, or the model cannot return attention weights.
    """
    if not text.strip():
        raise ValueError("the sentence is empty")
    encoded = tokenizer(text, return_tensors="pt", truncation=True, max_length=64)
    device = next(model.parameters()).device
    output = model(**{k: v.to(device) for k, v in encoded.items()}, output_attentions=True)
    if not output.attentions:
        raise ValueError(
            "the model returned no attentions: load it with load_encoder (the course trunk)"
        )
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])
    return tokens, torch.stack([a[0] for a in output.attentions]).float().cpu()  # (L, H, T, T)


class AttentionExplorer(Explorer):
    """Pick a sentence, a layer, a head and a query token; see where that token attends.

    Args:
        model: the course trunk (:class:`~spanbert_lab.model.trunk.SpanBertModel`).
        tokenizer: its tokenizer.
        sentences: the sentences offered in the dropdown.
        top_k: how many most-attended tokens to list.
    """

    def __init__(
        self,
        model: SpanBertModel,
        tokenizer: PreTrainedTokenizerBase,
        sentences: Sequence[str],
        *,
        top_k: int = 5,
    ) -> None:
        if not sentences:
            raise ValueError("give the explorer at least one sentence")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.top_k = top_k
        self._cache: dict[str, tuple[list[str], torch.Tensor]] = {}
        tokens, attentions = self._maps(sentences[0])
        layers, heads = attentions.shape[:2]
        controls = {
            "sentence": w.Dropdown(
                options=list(sentences), description="sentence", layout=w.Layout(width="480px")
            ),
            "layer": w.IntSlider(0, min=0, max=layers - 1, description="layer"),
            "head": w.IntSlider(0, min=0, max=heads - 1, description="head"),
            "query": w.Dropdown(options=_token_options(tokens), value=1, description="query token"),
        }
        super().__init__(controls, png_name="attention.png")
        # A new sentence has new tokens: refresh the query list first (one redraw, not two).
        self.route_control("sentence", self._on_sentence)

    @classmethod
    def from_pretrained(
        cls, path: str | Path, sentences: Sequence[str], **kwargs: Any
    ) -> AttentionExplorer:
        """An explorer over a local checkpoint directory (see :func:`load_encoder`)."""
        model, tokenizer = load_encoder(path)
        return cls(model, tokenizer, sentences, **kwargs)

    def _maps(self, sentence: str) -> tuple[list[str], torch.Tensor]:
        if sentence not in self._cache:
            self._cache[sentence] = attention_maps(self.model, self.tokenizer, sentence)
        return self._cache[sentence]

    def _on_sentence(self, change: dict[str, Any]) -> None:
        tokens, _ = self._maps(change["new"])
        query = self.controls["query"]
        query.unobserve(self._on_change, names="value")
        query.options = _token_options(tokens)
        query.value = min(1, len(tokens) - 1)
        query.observe(self._on_change, names="value")
        self._on_change(change)

    def draw(self, *, sentence: str, layer: int, head: int, query: int) -> tuple[Figure, str]:
        tokens, attentions = self._maps(sentence)
        weights = attentions[layer, head]  # (T, T)
        row = weights[query]
        order = torch.argsort(row, descending=True, stable=True)[: self.top_k].tolist()
        fig, (heat, bars) = plt.subplots(1, 2, figsize=(10, 4.4), width_ratios=[3, 2])
        attention_heatmap(
            weights, tokens, query_index=query, ax=heat, title=f"layer {layer}, head {head}"
        )
        bars.barh(
            [tokens[i] for i in order][::-1], [row[i].item() for i in order][::-1], color="tab:blue"
        )
        bars.set(xlim=(0, 1), xlabel="attention weight", title=f"'{tokens[query]}' attends to")
        fig.tight_layout()
        top = ", ".join(f"{tokens[i]} {row[i].item():.2f}" for i in order)
        return fig, f"layer {layer} head {head} query {tokens[query]!r}: {top}"


def _token_options(tokens: Sequence[str]) -> list[tuple[str, int]]:
    return [(f"{i}: {tok}", i) for i, tok in enumerate(tokens)]
