"""Layer explorer: follow one token's vector through the sublayers of a BERT encoder.

Choose a sentence, a token and the attention mask (bidirectional as in BERT, or causal); the view
shows the token's vector after the embeddings and after every attention, residual + LayerNorm and
feed-forward step (:func:`spanbert_lab.model.trace.encoder_trace`), and how far each step moves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as w
import torch
from matplotlib.figure import Figure
from transformers import PreTrainedTokenizerBase

from spanbert_lab.course.plots.encoder import plot_token_trace
from spanbert_lab.course.widgets.base import Explorer
from spanbert_lab.model.trace import encoder_trace
from spanbert_lab.model.trunk import SpanBertModel

__all__ = ["LayerExplorer", "token_trace"]


def token_trace(
    model: SpanBertModel,
    tokenizer: PreTrainedTokenizerBase,
    sentence: str,
    token: int,
    *,
    causal: bool = False,
) -> tuple[list[str], list[str], torch.Tensor]:
    """Tokens of ``sentence``, stage names, and token ``token``'s vector at each stage (S, C).

    Raises:
        ValueError: empty sentence or a token index outside it.
    """
    if not sentence.strip():
        raise ValueError("the sentence is empty")
    ids = tokenizer(sentence, return_tensors="pt", truncation=True, max_length=64)["input_ids"]
    tokens = tokenizer.convert_ids_to_tokens(ids[0].tolist())
    if not 0 <= token < len(tokens):
        raise ValueError(f"token index {token} is outside the sentence (0..{len(tokens) - 1})")
    trace = encoder_trace(model, ids, causal=causal)
    names = [name for name, _ in trace.stages]
    vectors = torch.stack([value[0, token] for _, value in trace.stages])  # (S, C)
    return tokens, names, vectors


class LayerExplorer(Explorer):
    """Sentence, token and mask → the token's vector through every sublayer."""

    def __init__(
        self, model: SpanBertModel, tokenizer: PreTrainedTokenizerBase, sentences: Sequence[str]
    ) -> None:
        if not sentences:
            raise ValueError("give at least one sentence")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.sentences = list(sentences)
        tokens = self._tokens(self.sentences[0])
        controls = {
            "sentence": w.Dropdown(options=self.sentences, value=self.sentences[0]),
            "token": w.Dropdown(options=_options(tokens), value=min(1, len(tokens) - 1)),
            "mask": w.ToggleButtons(options=["bidirectional", "causal"], value="bidirectional"),
        }
        super().__init__(controls, png_name="layer_explorer.png")
        self.route_control("sentence", self._on_sentence)

    def _tokens(self, sentence: str) -> list[str]:
        ids = self.tokenizer(sentence, truncation=True, max_length=64)["input_ids"]
        return self.tokenizer.convert_ids_to_tokens(ids)

    def _on_sentence(self, change: dict[str, Any]) -> None:
        tokens = self._tokens(change["new"])
        token = self.controls["token"]
        token.unobserve(self._on_change, names="value")
        token.options = _options(tokens)
        token.value = min(1, len(tokens) - 1)
        token.observe(self._on_change, names="value")
        self._on_change(change)

    def draw(self, *, sentence: str, token: int, mask: str) -> tuple[Figure, str]:
        tokens, names, vectors = token_trace(
            self.model, self.tokenizer, sentence, token, causal=mask == "causal"
        )
        fig = plot_token_trace(names, vectors, tokens[token])
        first, last = vectors[0], vectors[-1]
        cosine = float(torch.nn.functional.cosine_similarity(first, last, dim=0))
        lengths = " ".join(f"{float(v.norm()):.1f}" for v in vectors)
        summary = (
            f"{mask} · token {token} {tokens[token]!r} · lengths per stage: {lengths} · "
            f"cos(embedding, output) = {cosine:.2f}"
        )
        return fig, summary


def _options(tokens: Sequence[str]) -> list[tuple[str, int]]:
    return [(f"{i}: {tok}", i) for i, tok in enumerate(tokens)]
