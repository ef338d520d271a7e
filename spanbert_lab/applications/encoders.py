"""The course encoders by name, and their hidden states pooled into vectors.

Four encoders share one architecture (``data/checkpoints/*/config.json``), those of the
pretraining study (``study/protocol.toml``):

* ``random-tiny`` — the architecture with fresh random weights (seeded), never trained: the floor
  that tells us what pretraining bought;
* ``bert-tiny`` — BERT-style masked LM (random sub-word masking);
* ``span-tiny`` — span masking, no span boundary objective;
* ``spanbert-tiny`` — span masking + the span boundary objective.

A checkpoint is read by name from ``data/checkpoints/`` (a later study replaces the files; the code
does not change), or from any local BERT-family folder. Pooling: ``mean`` over the text's tokens
(``[CLS]``/``[SEP]`` excluded), ``cls`` (the ``[CLS]`` vector — SpanBERT has no pretrained pooler)
and *span* pooling (mean over the tokens of a character span, e.g. an entity mention).
Shapes: N texts, T tokens, H hidden size, L layers (hidden states 0..L; 0 = embeddings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from transformers import BertConfig

from spanbert_lab.finetune import load_tokenizer_for, resolve_model_path
from spanbert_lab.model.trunk import SpanBertModel
from spanbert_lab.runtime import quiet_transformers

ENCODERS: tuple[str, ...] = ("random-tiny", "bert-tiny", "span-tiny", "spanbert-tiny")
RANDOM_PREFIX = "random-"  # "random-tiny" = the architecture of "bert-tiny", untrained
Pooling = Literal["mean", "cls"]


@dataclass
class Encoder:
    """A named encoder: the course trunk (:class:`~spanbert_lab.model.trunk.SpanBertModel`, no pooler) in
    eval mode, and its tokenizer."""

    name: str
    model: Any
    tokenizer: Any

    @property
    def num_layers(self) -> int:
        return int(self.model.config.num_hidden_layers)


def random_architecture(name: str | Path) -> str | None:
    """The checkpoint whose architecture ``random-<x>`` names (``bert-<x>``); ``None`` for any
    other name, and for a folder that exists under that name."""
    text = str(name)
    if text.startswith(RANDOM_PREFIX) and not Path(text).exists():
        return "bert-" + text[len(RANDOM_PREFIX) :]
    return None


def load_encoder(name: str | Path, *, seed: int = 0) -> Encoder:
    """Load ``random-tiny``, a course checkpoint by name, or a local checkpoint folder.

    ``random-<x>`` builds the architecture of checkpoint ``<x>`` with weights drawn inside
    ``torch.random.fork_rng`` seeded with ``seed`` (the same weights for the same seed; the
    caller's generators are left untouched).
    """

    text = str(name)
    architecture = random_architecture(text)
    if architecture is not None:
        path = resolve_model_path(architecture)
        config = BertConfig.from_pretrained(path)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = SpanBertModel(config)
    else:
        path = resolve_model_path(text)
        with quiet_transformers():
            model = SpanBertModel.from_pretrained(path, local_files_only=True)
    return Encoder(text, model.eval(), load_tokenizer_for(path))


@torch.no_grad()
def token_states(
    encoder: Encoder, texts: Sequence[str], *, batch_size: int = 32, max_length: int = 256
) -> list[tuple[torch.Tensor, list[tuple[int, int]]]]:
    """Every hidden state of every text: per text ``(states (L+1, T, H), offsets)``.

    ``offsets[t]`` is token t's character range in the text; special tokens get ``(0, 0)``.
    Texts longer than ``max_length`` tokens are truncated.
    """
    if isinstance(texts, str):
        raise ValueError("token_states takes a list of texts, not one string")
    out: list[tuple[torch.Tensor, list[tuple[int, int]]]] = []
    for i in range(0, len(texts), batch_size):
        chunk = list(texts[i : i + batch_size])
        enc = encoder.tokenizer(
            chunk,
            truncation=True,
            max_length=max_length,
            padding=True,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = enc.pop("offset_mapping")
        result = encoder.model(**enc, output_hidden_states=True)
        states = torch.stack(result.hidden_states, dim=1)  # (B, L+1, T, H)
        for b in range(len(chunk)):
            n = int(enc["attention_mask"][b].sum())
            out.append((states[b, :, :n].clone(), [tuple(o) for o in offsets[b, :n].tolist()]))
    return out


def _text_mask(offsets: Sequence[tuple[int, int]]) -> torch.Tensor:
    return torch.tensor([e > s for s, e in offsets])


def span_token_mask(offsets: Sequence[tuple[int, int]], start: int, end: int) -> torch.Tensor:
    """(T,) bool: the tokens overlapping the character span ``[start, end)``."""
    return torch.tensor([e > s and s < end and e > start for s, e in offsets])


def pool(
    states: torch.Tensor, offsets: Sequence[tuple[int, int]], how: Pooling, layer: int = -1
) -> torch.Tensor:
    """(H,) one text's vector from its ``states`` (L+1, T, H): ``mean`` or ``cls``."""
    h = states[layer]
    if how == "cls":
        return h[0]
    if how != "mean":
        raise ValueError(f"pooling must be 'mean' or 'cls', got {how!r}")
    mask = _text_mask(offsets)
    return h[mask].mean(0) if mask.any() else h.mean(0)


def embed(
    encoder: Encoder, texts: Sequence[str], *, pooling: Pooling = "mean", layer: int = -1
) -> torch.Tensor:
    """(N, H) one vector per text."""
    return torch.stack([pool(s, o, pooling, layer) for s, o in token_states(encoder, texts)])


def layer_features(
    encoder: Encoder, texts: Sequence[str], spans: Sequence[tuple[int, int]] | None = None
) -> torch.Tensor:
    """(N, L+1, H) features from every layer: mean-pooled texts, or one span per text."""
    feats = []
    for i, (states, offsets) in enumerate(token_states(encoder, texts)):
        if spans is None:
            mask = _text_mask(offsets)
        else:
            mask = span_token_mask(offsets, *spans[i])
            if not mask.any():
                raise ValueError(f"text {i}: span {spans[i]} covers no token")
        feats.append(states[:, mask].mean(1))
    return torch.stack(feats)
