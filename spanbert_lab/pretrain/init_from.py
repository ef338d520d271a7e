"""Continue pretraining from a checkpoint (``pretrain --init-from PATH_OR_ID``).

Domain-adaptive pretraining: start from an existing BERT and train it on your own text with span
masking and SBO. Any BERT checkpoint loads into
:class:`~spanbert_lab.model.pretraining.SpanBertForPreTraining`, whose trunk uses transformers'
BERT parameter names: the course's own checkpoints (``data/checkpoints/spanbert-tiny``, or just
``spanbert-tiny``), folders saved by transformers' ``BertModel`` / ``BertForMaskedLM`` /
``BertForPreTraining``, or a hub id such as ``bert-base-cased`` (only with ``allow_download``).
The trunk and the MLM head are loaded. The SBO head always starts fresh, drawn from BERT's
initialisation (the SBO is a pretraining objective for *your* text: a head trained on another
corpus is not carried over); so do heads the checkpoint does not hold (the NSP head of a model
trained without it).

The tokenizer comes from the checkpoint unless one is given; a given tokenizer must match the
checkpoint: the same vocabulary as the checkpoint's own tokenizer when it ships one, else as many
tokens as the checkpoint's word embeddings have rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoTokenizer

from spanbert_lab.contracts import TokenizerLike
from spanbert_lab.data import load_tokenizer
from spanbert_lab.model.pretraining import SpanBertConfig, SpanBertForPreTraining
from spanbert_lab.runtime import data_dir, quiet_transformers

__all__ = ["InitFrom", "load_init_checkpoint", "resolve_init_path"]

_WEIGHTS = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")
_TOKENIZER_FILES = ("tokenizer.json", "vocab.txt")


@dataclass
class InitFrom:
    """A checkpoint loaded to continue pretraining.

    Attributes:
        model: the pretraining model, trunk (and MLM head) from the checkpoint.
        tokenizer: the checkpoint's tokenizer, or the one given.
        source: the checkpoint as resolved (a folder, or a hub id).
        tokenizer_source: where the tokenizer came from.
        fresh: the parameter names that were not in the checkpoint (newly initialised).
    """

    model: SpanBertForPreTraining
    tokenizer: TokenizerLike
    source: str
    tokenizer_source: str
    fresh: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """For the model card: where the weights and the tokenizer came from, what is new."""
        heads = sorted({".".join(k.split(".")[:2]) for k in self.fresh})
        return {
            "init_from": self.source,
            "tokenizer": self.tokenizer_source,
            "fresh_parameters": len(self.fresh),
            "fresh_modules": heads,
        }


def resolve_init_path(init_from: str | Path, *, allow_download: bool = False) -> str:
    """A local checkpoint folder (as given, or under ``data/checkpoints/``), or a hub id.

    Raises:
        FileNotFoundError: nothing local there and downloads not allowed.
        ValueError: a local path that is not a model folder (no ``config.json`` or no weights).
    """
    for candidate in (Path(init_from).expanduser(), data_dir() / "checkpoints" / str(init_from)):
        if candidate.exists():
            if not candidate.is_dir() or not (candidate / "config.json").is_file():
                raise ValueError(
                    f"--init-from {str(init_from)!r} is not a BERT checkpoint: expected a folder "
                    "holding config.json and model.safetensors (as save_pretrained writes it)"
                )
            if not any((candidate / w).is_file() for w in _WEIGHTS):
                raise ValueError(
                    f"--init-from {str(init_from)!r} is not a BERT checkpoint: config.json but no "
                    f"weights ({', '.join(_WEIGHTS)})"
                )
            return str(candidate)
    if allow_download:
        return str(init_from)
    raise FileNotFoundError(
        f"--init-from {str(init_from)!r}: no such folder (nor data/checkpoints/{init_from}); "
        "to fetch a hub id such as 'bert-base-cased', pass --allow-download"
    )


def _same_vocab(a: TokenizerLike, b: TokenizerLike) -> str | None:
    """``None`` when ``a`` and ``b`` map the same tokens to the same ids, else the first difference."""
    va, vb = a.get_vocab(), b.get_vocab()
    if va == vb:
        return None
    ia = {i: t for t, i in va.items()}
    ib = {i: t for t, i in vb.items()}
    for i in range(max(len(ia), len(ib))):
        if ia.get(i) != ib.get(i):
            return (
                f"id {i} is {ia.get(i)!r} in the tokenizer given, {ib.get(i)!r} in the checkpoint's"
            )
    return "the vocabularies differ"


def _tokenizer(
    source: str, tokenizer: str | Path | TokenizerLike | None, allow_download: bool
) -> tuple[TokenizerLike, str, TokenizerLike | None]:
    """(tokenizer to use, where it came from, the checkpoint's own tokenizer or None)."""
    local = Path(source).is_dir()
    own = None
    if not local or any((Path(source) / f).is_file() for f in _TOKENIZER_FILES):
        with quiet_transformers():
            own = AutoTokenizer.from_pretrained(source, local_files_only=not allow_download)
    if tokenizer is None:
        if own is None:
            raise ValueError(
                f"--init-from {source!r} ships no tokenizer (no tokenizer.json or vocab.txt): "
                "pass --tokenizer with the one it was trained with"
            )
        return own, source, own
    if isinstance(tokenizer, (str, Path)):
        if not _is_local(tokenizer) and not allow_download:
            raise FileNotFoundError(
                f"--tokenizer {str(tokenizer)!r}: no such folder; to fetch a hub id, pass "
                "--allow-download"
            )
        with quiet_transformers():
            return load_tokenizer(tokenizer), str(tokenizer), own
    return tokenizer, getattr(tokenizer, "name_or_path", "given"), own


def _is_local(path: str | Path) -> bool:
    return Path(path).expanduser().exists() or str(path).startswith((".", "/", "~"))


def check_tokenizer_fits(
    tokenizer: TokenizerLike, config: Any, own: TokenizerLike | None, source: str
) -> None:
    """Refuse a tokenizer whose ids would not mean what the checkpoint learned.

    Raises:
        ValueError: a vocabulary different from the checkpoint's own tokenizer, or (without one)
            a tokenizer size different from the checkpoint's word-embedding rows.
    """
    if own is not None and tokenizer is not own:
        diff = _same_vocab(tokenizer, own)
        if diff is not None:
            raise ValueError(
                f"the tokenizer does not match --init-from {source!r}: {diff} ({len(tokenizer)} "
                f"vs {len(own)} tokens); its token ids would mean other words. Leave out "
                "--tokenizer to use the checkpoint's own"
            )
    if len(tokenizer) != config.vocab_size:
        raise ValueError(
            f"the tokenizer has {len(tokenizer)} tokens but --init-from {source!r} has "
            f"{config.vocab_size} word embeddings: they were not trained together. Use the "
            "tokenizer the checkpoint was trained with"
        )


def load_init_checkpoint(
    init_from: str | Path,
    *,
    sbo: bool,
    nsp: bool,
    block_size: int,
    tokenizer: str | Path | TokenizerLike | None = None,
    allow_download: bool = False,
    seed: int = 0,
) -> InitFrom:
    """Load ``init_from`` into :class:`SpanBertForPreTraining` to continue pretraining.

    Args:
        init_from: a checkpoint folder, a name under ``data/checkpoints/``, or a hub id.
        sbo, nsp: the objective's heads (SBO loss weight 1 or 0; the NSP head and pooler).
        block_size: tokens per block; must fit the checkpoint's position embeddings.
        tokenizer: ``None`` (the checkpoint's), a folder / hub id, or a tokenizer object.
        allow_download: let hub ids download.
        seed: draws the fresh heads (inside ``fork_rng``; the global generator is untouched).

    Raises:
        FileNotFoundError: no such checkpoint (and no download allowed).
        ValueError: not a BERT checkpoint; no trunk weights in it; a tokenizer that does not
            match; a block longer than its position embeddings.
    """
    source = resolve_init_path(init_from, allow_download=allow_download)
    with quiet_transformers():
        raw = AutoConfig.from_pretrained(source, local_files_only=not allow_download)
    if raw.model_type != "bert":
        raise ValueError(
            f"--init-from {source!r} is not a BERT checkpoint: its config.json says model_type "
            f"{raw.model_type!r} (BERT checkpoints, 'bert', load into the SpanBERT model)"
        )
    tok, tok_source, own = _tokenizer(source, tokenizer, allow_download)
    check_tokenizer_fits(tok, raw, own, source)
    if block_size > raw.max_position_embeddings:
        raise ValueError(
            f"--block-size {block_size} is longer than --init-from {source!r}'s "
            f"{raw.max_position_embeddings} position embeddings"
        )
    overrides = {"sbo_loss_weight": 1.0 if sbo else 0.0, "use_nsp": nsp}
    if tok.pad_token_id is not None:
        overrides["pad_token_id"] = int(tok.pad_token_id)
    with quiet_transformers(), torch.random.fork_rng():
        torch.manual_seed(seed)
        config = SpanBertConfig.from_pretrained(
            source, local_files_only=not allow_download, **overrides
        )
        model, info = SpanBertForPreTraining.from_pretrained(
            source, config=config, output_loading_info=True, local_files_only=not allow_download
        )
        sbo_names = _fresh_sbo_head(model)  # even when the checkpoint has one
    fresh = sorted(set(info["missing_keys"]) | sbo_names)
    trunk = [n for n, _ in model.named_parameters() if n.startswith("bert.encoder.")]
    if trunk and all(n in info["missing_keys"] for n in trunk):
        raise ValueError(
            f"--init-from {source!r} is not a BERT checkpoint: none of the encoder's weights "
            f"(e.g. {trunk[0]}) are in it"
        )
    if info["mismatched_keys"]:
        raise ValueError(f"--init-from {source!r}: weights of the wrong shape: {sorted(info['mismatched_keys'])[:5]}")  # fmt: skip
    return InitFrom(model, tok, source, tok_source, fresh)


@torch.no_grad()
def _fresh_sbo_head(model: SpanBertForPreTraining) -> set[str]:
    """Redraw the SBO head as BERT initialises it (normal(0, initializer_range) matrices and
    position table, zero biases, LayerNorm 1 / 0); the decoder stays tied to the word embeddings.

    Returns:
        The redrawn parameters' names.
    """
    head, std = model.cls.span_boundary, model.config.initializer_range
    redrawn = set()
    for name, param in head.named_parameters():
        if param is model.bert.embeddings.word_embeddings.weight:
            continue  # the tied decoder is the trunk's embedding table
        if "LayerNorm" in name:
            param.fill_(1.0 if name.endswith("weight") else 0.0)
        elif name.endswith("bias"):
            param.zero_()
        else:
            param.normal_(0.0, std)
        redrawn.add(f"cls.span_boundary.{name}")
    return redrawn
