"""A checkpoint for fine-tuning: found on disk (or the hub, when allowed) and loaded into the
task's model (the course trunk with BERT's task head, :mod:`spanbert_lab.model.finetuning`) with a
freshly seeded head."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from spanbert_lab.contracts import TokenizerLike
from spanbert_lab.model.finetuning import TASK_MODELS
from spanbert_lab.runtime import data_dir, quiet_transformers
from spanbert_lab.tasks import get_task
from spanbert_lab.training.checkpoint import load_tokenizer_for

__all__ = ["load_task_model", "resolve_model_path"]


def resolve_model_path(model: str | Path, *, allow_download: bool = False) -> str:
    """A local checkpoint directory (as given, or under ``data/checkpoints/``), or a hub id.

    Raises:
        FileNotFoundError: no directory with a ``config.json`` there and downloads not allowed.
    """
    for candidate in (Path(model), data_dir() / "checkpoints" / str(model)):
        if (candidate / "config.json").is_file():
            return str(candidate)
    if allow_download:
        return str(model)
    available = sorted(p.name for p in (data_dir() / "checkpoints").glob("*") if p.is_dir())
    raise FileNotFoundError(
        f"no model at {str(model)!r}: expected a directory holding config.json (a course "
        f"checkpoint in data/checkpoints/ {available or '(none yet)'}, or any local BERT-family "
        "checkpoint). To fetch a hub id such as 'SpanBERT/spanbert-base-cased', pass "
        "--allow-download (allow_download=True)."
    )


def load_task_model(
    model: str | Path,
    task: str,
    *,
    labels: Sequence[str] | None = None,
    seed: int = 0,
    allow_download: bool = False,
    random_init: bool = False,
) -> tuple[torch.nn.Module, TokenizerLike, list[str]]:
    """Load a checkpoint into the task's model; the new head is seeded by ``seed``.

    The task's :attr:`~spanbert_lab.tasks.TaskSpec.added_tokens` are added to the tokenizer, and
    their embedding rows are drawn with the head. ``random_init`` builds the checkpoint's
    architecture with *every* weight drawn from ``seed`` (an untrained control) instead of
    loading its weights.

    Returns:
        ``(model, tokenizer, newly_initialised_keys)``.
    """
    spec = get_task(task)
    path = resolve_model_path(model, allow_download=allow_download)
    cls = TASK_MODELS[spec.model_class]
    kwargs: dict[str, Any] = {"local_files_only": not allow_download}
    if labels is not None:
        kwargs.update(
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={name: i for i, name in enumerate(labels)},
        )
    tokenizer = load_tokenizer_for(path, allow_download=allow_download)
    if spec.added_tokens:
        tokenizer.add_special_tokens({"additional_special_tokens": list(spec.added_tokens)})
    with torch.random.fork_rng(devices=[]), quiet_transformers():
        torch.manual_seed(seed)
        if random_init:
            net = cls(cls.config_class.from_pretrained(path, **kwargs))
            new_keys = list(net.state_dict())
        else:
            net, info = cls.from_pretrained(path, output_loading_info=True, **kwargs)
            new_keys = info["missing_keys"]
        if spec.added_tokens and len(tokenizer) > net.get_input_embeddings().num_embeddings:
            net.resize_token_embeddings(len(tokenizer))  # the added tokens' rows: drawn here
    return net, tokenizer, sorted(new_keys)
