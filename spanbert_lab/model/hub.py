"""The released SpanBERT checkpoints, handled honestly — an explicit, online opt-in.

Facts (paper; official repository; hub pages):

* Hub ids: ``SpanBERT/spanbert-base-cased`` and ``SpanBERT/spanbert-large-cased`` (the bare name
  ``spanbert-large-cased`` only exists inside the official repo's old loader).
* Tokenizer: BERT's cased WordPiece vocabulary (28,996 entries) — ``bert-base-cased`` /
  ``bert-large-cased``; there is no uncased and no Chinese SpanBERT.
* The released weights are the **encoder only**: no MLM head, no SBO head, no pooler. Loading them
  into a masked-LM class creates the MLM transform and bias afresh (random), so fill-mask returns
  noise. :func:`load_spanbert` reads transformers' load report (``missing_keys``) and warns with
  :class:`MissingMLMHeadWarning`.
* The right use: fine-tune on span tasks with the standard heads
  (``AutoModelForQuestionAnswering`` …) and the paper's hyper-parameters (:data:`PAPER_FINETUNING`).

Nothing here touches the network unless ``allow_download=True`` is passed: a hub id without it
raises :class:`HubOptInRequired` before transformers is even asked. Offline, any local folder
works — e.g. :func:`save_encoder_only` writes a stand-in with no MLM head, which shows the same
detection and message.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
import transformers

from spanbert_lab.contracts import TokenizerLike
from spanbert_lab.runtime import quiet_transformers

HUB_IDS: dict[str, str] = {
    "base": "SpanBERT/spanbert-base-cased",
    "large": "SpanBERT/spanbert-large-cased",
}
TOKENIZER_IDS: dict[str, str] = {
    "SpanBERT/spanbert-base-cased": "bert-base-cased",
    "SpanBERT/spanbert-large-cased": "bert-large-cased",
}
"""Each hub checkpoint's tokenizer: BERT's cased vocabulary (the two files are identical)."""

PAPER_FINETUNING: dict[str, dict[str, Any]] = {
    "squad": {
        "class": "AutoModelForQuestionAnswering",
        "learning_rate": 2e-5,
        "batch_size": 32,
        "epochs": 4,
        "max_seq_length": 512,
        "doc_stride": 128,
        "lr_grid": [5e-6, 1e-5, 2e-5, 3e-5, 5e-5],
    },
    "tacred": {
        "class": "AutoModelForSequenceClassification",
        "lr_grid": [5e-6, 1e-5, 2e-5, 3e-5, 5e-5],
        "batch_size": [16, 32],
        "epochs": 10,
        "max_seq_length": 128,
        "input": "subject/object replaced by typed markers",
    },
    "glue": {
        "class": "AutoModelForSequenceClassification",
        "lr_grid": [5e-6, 1e-5, 2e-5, 3e-5, 5e-5],
        "batch_size": [16, 32],
        "epochs": 10,
        "max_seq_length": 128,
    },
}
"""The paper's fine-tuning settings (§4.1, appendix B). The official SQuAD command used fp16; with
recent libraries the *large* model has been reported to overflow to NaN in fp16 and to be fine in
fp32 or bf16 — prefer bf16 autocast where the hardware has it."""

MLM_HEAD_PREFIX = "cls.predictions."
Task = Literal["masked-lm", "qa", "token-classification", "sequence-classification", "encoder"]
_CLASSES = {
    "masked-lm": "AutoModelForMaskedLM",
    "qa": "AutoModelForQuestionAnswering",
    "token-classification": "AutoModelForTokenClassification",
    "sequence-classification": "AutoModelForSequenceClassification",
    "encoder": "AutoModel",
}


class HubOptInRequired(RuntimeError):
    """A hub id was given without ``allow_download=True``."""


class MissingMLMHeadWarning(UserWarning):
    """The checkpoint has no MLM head: a masked-LM model built from it predicts noise."""


@dataclass(frozen=True)
class LoadReport:
    """What transformers reported while loading: the keys it had to initialise, and the verdict."""

    source: str
    task: str
    missing_keys: tuple[str, ...]
    unexpected_keys: tuple[str, ...]

    @property
    def mlm_head_missing(self) -> bool:
        """Whether any MLM-head weight (``cls.predictions.*``) was newly initialised."""
        return any(k.startswith(MLM_HEAD_PREFIX) for k in self.missing_keys)

    @property
    def message(self) -> str:
        missing = [k for k in self.missing_keys if k.startswith(MLM_HEAD_PREFIX)]
        return (
            f"{_display_name(self.source)} has no MLM head: {len(missing)} weight(s) were initialised at random "
            f"({', '.join(missing)}). Fill-mask output from this model is noise. The released "
            "SpanBERT checkpoints are encoders only — fine-tune them on a span task "
            "(AutoModelForQuestionAnswering, …) instead of asking them to fill [MASK]."
        )


def _display_name(source: str) -> str:
    """A hub id as is; a local folder by its last component (no machine paths in messages)."""
    return source if is_hub_id(source) else Path(source).name


def is_hub_id(name: str | Path) -> bool:
    """A ``owner/name`` string that is not an existing local folder."""
    text = str(name)
    return text.count("/") == 1 and not Path(text).exists() and not text.startswith((".", "/"))


def resolve(name: str | Path) -> str:
    """``"base"``/``"large"`` → the hub id; anything else unchanged."""
    return HUB_IDS.get(str(name), str(name))


def load_spanbert(
    name: str | Path = "base",
    *,
    task: Task = "masked-lm",
    allow_download: bool = False,
    tokenizer: bool = True,
) -> tuple[torch.nn.Module, Any, LoadReport]:
    """Load a SpanBERT checkpoint into a transformers class and report what was missing.

    Args:
        name: ``"base"``, ``"large"``, a hub id, or a local checkpoint folder.
        task: which head class to build (``masked-lm`` shows the missing-head problem).
        allow_download: the explicit online opt-in; without it a hub id raises
            :class:`HubOptInRequired` and nothing is fetched.
        tokenizer: also load the tokenizer (the hub ids use BERT's cased one).

    Returns:
        ``(model, tokenizer or None, report)``. Warns :class:`MissingMLMHeadWarning` when a
        masked-LM model had to initialise its MLM head.
    """
    if task not in _CLASSES:
        raise ValueError(f"unknown task {task!r}; choose one of {tuple(_CLASSES)}")
    source = resolve(name)
    hub = is_hub_id(source)
    if hub and not allow_download:
        raise HubOptInRequired(
            f"{source!r} is a hub id: pass allow_download=True to fetch it (about "
            f"{'215' if 'base' in source else '665'} MB). Offline, pass a local folder instead."
        )
    if not hub and not (Path(source) / "config.json").is_file():
        raise FileNotFoundError(f"no checkpoint at {source!r}: expected a folder with config.json")
    cls = getattr(transformers, _CLASSES[task])
    with quiet_transformers():
        model, info = cls.from_pretrained(
            source, local_files_only=not allow_download, output_loading_info=True
        )
    report = LoadReport(
        source, task, tuple(sorted(info["missing_keys"])), tuple(sorted(info["unexpected_keys"]))
    )
    if task == "masked-lm" and report.mlm_head_missing:
        warnings.warn(report.message, MissingMLMHeadWarning, stacklevel=2)
    tok = None
    if tokenizer:
        tok_source = TOKENIZER_IDS.get(source, source)
        with quiet_transformers():
            tok = transformers.AutoTokenizer.from_pretrained(
                tok_source, local_files_only=not allow_download
            )
    return model.eval(), tok, report


def save_encoder_only(source: str | Path, folder: str | Path) -> Path:
    """Write a local stand-in of a released checkpoint: ``source``'s encoder, no heads, no pooler.

    ``source`` is a local checkpoint folder (e.g. the course's ``spanbert-tiny``); its tokenizer is
    copied beside the weights.
    """
    folder = Path(folder)
    with quiet_transformers():
        encoder = transformers.BertModel.from_pretrained(
            str(source), add_pooling_layer=False, local_files_only=True
        )
        encoder.save_pretrained(folder)
        transformers.AutoTokenizer.from_pretrained(
            str(source), local_files_only=True
        ).save_pretrained(folder)
    return folder


@torch.no_grad()
def fill_mask(
    model: Any, tokenizer: TokenizerLike, text: str, k: int = 5
) -> list[tuple[str, float]]:
    """Top-``k`` tokens (and probabilities) for the first ``[MASK]`` in ``text``."""
    enc = tokenizer(text, return_tensors="pt")
    where = (enc["input_ids"][0] == tokenizer.mask_token_id).nonzero()
    if len(where) == 0:
        raise ValueError(f"no {tokenizer.mask_token} in {text!r}")
    logits = model(**enc).logits[0, int(where[0])]
    top = logits.softmax(-1).topk(k)
    return [
        (tokenizer.convert_ids_to_tokens(int(i)), round(float(p), 3))
        for p, i in zip(top.values, top.indices, strict=True)
    ]


def missing_head_keys(
    report: LoadReport, prefixes: Sequence[str] = (MLM_HEAD_PREFIX,)
) -> list[str]:
    """The reported missing keys under ``prefixes`` (the MLM head by default)."""
    return [k for k in report.missing_keys if k.startswith(tuple(prefixes))]
