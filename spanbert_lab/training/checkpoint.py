"""Atomic training checkpoints and exact resume.

A checkpoint is a folder ``<output_dir>/checkpoint-<step>`` holding

* the model, written by ``save_pretrained`` (``config.json`` + ``model.safetensors``), so the
  folder opens directly in ``SpanBertForPreTraining.from_pretrained`` and in transformers' BERT
  classes (``BertForQuestionAnswering`` …), plus the tokenizer files when one is given;
* ``trainer_state.pt``: the optimiser and scheduler states, every process's random-number states
  (torch CPU/CUDA, Python, NumPy — dropout draws from torch's global generator), the position in
  the data (step, epoch, batch inside the epoch), the training config and the history so far.

Writes are atomic: everything goes to a hidden temporary folder next to the target, which is then
renamed into place with ``os.replace`` (a rename within one file system is atomic on POSIX), and
the ``latest`` pointer file is replaced the same way. A crash mid-write leaves either the old
state or the new one, never half a checkpoint. ``trainer_state.pt`` holds only tensors and plain
Python values, so it loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file
from torch import nn
from transformers import AutoTokenizer

from spanbert_lab.contracts import TokenizerLike
from spanbert_lab.data import load_tokenizer
from spanbert_lab.runtime import quiet_transformers, transformers_bars_off

__all__ = [
    "LATEST",
    "TRAINER_STATE",
    "atomic_write_text",
    "capture_rng_state",
    "list_checkpoints",
    "load_checkpoint",
    "load_model_weights",
    "load_tokenizer_for",
    "resolve_checkpoint",
    "restore_rng_state",
    "save_checkpoint",
    "save_model_dir",
]

TRAINER_STATE = "trainer_state.pt"
LATEST = "latest"
FORMAT_VERSION = 1
_CHECKPOINT_NAME = re.compile(r"^checkpoint-(\d+)$")


# --- random-number states --------------------------------------------------------------------


def capture_rng_state() -> dict[str, Any]:
    """This process's global random states (torch CPU and CUDA, Python, NumPy) as plain values."""
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": _to_plain(random.getstate()),
        "numpy": [
            np_name,
            torch.from_numpy(np_keys.astype(np.int64)),
            np_pos,
            np_has_gauss,
            np_gauss,
        ],
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Put back the states recorded by :func:`capture_rng_state`."""
    torch.set_rng_state(state["torch"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, gauss_value = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, gauss_value))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _to_plain(value: Any) -> Any:
    # random.getstate() is a nested tuple of ints; lists survive weights_only loading unchanged.
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    return value


# --- atomic writes ---------------------------------------------------------------------------


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _replace_dir(tmp: Path, target: Path) -> None:
    # rename() cannot replace a non-empty directory: move the old one aside first.
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex}")
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def save_model_dir(
    directory: str | os.PathLike,
    model: nn.Module,
    *,
    tokenizer: TokenizerLike | None = None,
    extra_files: dict[str, str] | None = None,
) -> Path:
    """Atomically write ``model.save_pretrained`` (+ tokenizer, + text files) to ``directory``."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = directory.with_name(f".{directory.name}.tmp-{uuid.uuid4().hex}")
    tmp.mkdir()
    try:
        _write_model(tmp, model, tokenizer, extra_files)
        _replace_dir(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def _write_model(
    folder: Path,
    model: nn.Module,
    tokenizer: TokenizerLike | None,
    extra_files: dict[str, str] | None,
) -> None:
    with transformers_bars_off():  # no "Writing model shards" bar in a run's output
        model.save_pretrained(folder)
    if tokenizer is not None:
        tokenizer.save_pretrained(folder)
    for name, text in (extra_files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")


def save_checkpoint(
    output_dir: str | os.PathLike,
    *,
    step: int,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    state: dict[str, Any],
    rng_states: list[dict[str, Any]] | None = None,
    tokenizer: TokenizerLike | None = None,
    keep_last: int | None = None,
) -> Path:
    """Atomically write ``<output_dir>/checkpoint-<step>`` and point ``<output_dir>/latest`` at it.

    Args:
        output_dir: the run's folder (created if missing).
        step: number of optimiser updates done.
        model: the unwrapped model (not the DDP wrapper).
        optimizer, scheduler: their ``state_dict()`` goes into ``trainer_state.pt``.
        state: plain values describing the run's position (epoch, batch, config, history …).
        rng_states: one :func:`capture_rng_state` per process, by rank; ``None`` = this process.
        tokenizer: saved beside the model when given.
        keep_last: delete older ``checkpoint-*`` folders, keeping this many (``None`` keeps all).

    Returns:
        The checkpoint folder.
    """
    output_dir = Path(output_dir)
    target = output_dir / f"checkpoint-{step}"
    payload = {
        "format_version": FORMAT_VERSION,
        "step": step,
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng_states": rng_states if rng_states is not None else [capture_rng_state()],
        **state,
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    tmp = output_dir / f".{target.name}.tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        _write_model(tmp, model, tokenizer, None)
        torch.save(payload, tmp / TRAINER_STATE)
        _replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atomic_write_text(output_dir / LATEST, target.name + "\n")
    if keep_last is not None:
        for old in list_checkpoints(output_dir)[:-keep_last]:
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
    return target


# --- finding and loading ---------------------------------------------------------------------


def list_checkpoints(output_dir: str | os.PathLike) -> list[Path]:
    """The complete ``checkpoint-<step>`` folders of a run, oldest first."""
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        return []
    found = []
    for child in output_dir.iterdir():
        match = _CHECKPOINT_NAME.match(child.name)
        if match and (child / TRAINER_STATE).is_file():
            found.append((int(match.group(1)), child))
    return [path for _, path in sorted(found)]


def resolve_checkpoint(path: str | os.PathLike) -> Path:
    """Find the checkpoint to resume from.

    ``path`` may be a checkpoint folder (it holds ``trainer_state.pt``) or a run's output folder,
    in which case its ``latest`` pointer (or else its newest ``checkpoint-*``) is used.

    Raises:
        FileNotFoundError: nothing resumable there; the message says what was looked for.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"cannot resume: {str(path)!r} does not exist")
    if (path / TRAINER_STATE).is_file():
        return path
    if not path.is_dir():
        raise FileNotFoundError(
            f"cannot resume: {str(path)!r} is a file, not a checkpoint or output folder"
        )
    pointer = path / LATEST
    if pointer.is_file():
        candidate = path / pointer.read_text(encoding="utf-8").strip()
        if (candidate / TRAINER_STATE).is_file():
            return candidate
    found = list_checkpoints(path)
    if found:
        return found[-1]
    raise FileNotFoundError(
        f"cannot resume: {str(path)!r} has no {TRAINER_STATE} and no checkpoint-<step> folder "
        "(pass a checkpoint folder or the --output-dir of an earlier run)"
    )


def load_model_weights(model: nn.Module, directory: str | os.PathLike) -> None:
    """Load ``model*.safetensors`` from ``directory`` into ``model`` in place.

    ``save_pretrained`` leaves out tied copies (the decoders sharing the word embeddings); every
    other missing or unexpected key is an error.

    Raises:
        FileNotFoundError: no safetensors file in ``directory``.
        RuntimeError: the weights do not match the model.
    """
    directory = Path(directory)
    index = directory / "model.safetensors.index.json"
    if index.is_file():
        files = sorted(set(json.loads(index.read_text())["weight_map"].values()))
    elif (directory / "model.safetensors").is_file():
        files = ["model.safetensors"]
    else:
        raise FileNotFoundError(f"no model.safetensors in {str(directory)!r}")
    weights: dict[str, torch.Tensor] = {}
    for name in files:
        weights.update(load_file(directory / name))
    missing, unexpected = model.load_state_dict(weights, strict=False)
    tied = _tied_keys(model)
    missing = [k for k in missing if k not in tied]
    if missing or unexpected:
        raise RuntimeError(
            f"weights in {str(directory)!r} do not match the model: "
            f"missing {missing[:5]}{'…' if len(missing) > 5 else ''}, "
            f"unexpected {unexpected[:5]}{'…' if len(unexpected) > 5 else ''}"
        )


def _tied_keys(model: nn.Module) -> set[str]:
    # A key is "tied" when its tensor shares storage with an earlier key of the state dict.
    seen: dict[tuple[int, tuple[int, ...]], str] = {}
    tied = set()
    for name, tensor in model.state_dict(keep_vars=True).items():
        key = (tensor.data_ptr(), tuple(tensor.shape))
        if key in seen:
            tied.add(name)
        else:
            seen[key] = name
    return tied


def load_checkpoint(
    path: str | os.PathLike,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    map_location: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Load a checkpoint into ``model`` (and optimiser and scheduler); return the trainer state.

    Random states are *not* restored here (the caller picks its rank's entry of
    ``state["rng_states"]`` and calls :func:`restore_rng_state`).

    Raises:
        FileNotFoundError: see :func:`resolve_checkpoint`.
        ValueError: an unknown checkpoint format.
    """
    folder = resolve_checkpoint(path)
    state = torch.load(folder / TRAINER_STATE, map_location=map_location, weights_only=True)
    if state.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{folder / TRAINER_STATE} has format_version {state.get('format_version')!r}, "
            f"this code reads {FORMAT_VERSION}"
        )
    load_model_weights(model, folder)
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    state["checkpoint_dir"] = str(folder)
    return state


def load_tokenizer_for(path: str | os.PathLike, *, allow_download: bool = False) -> TokenizerLike:
    """The tokenizer of a model folder when it ships one, else the course tokenizer.

    ``path`` that is not a local folder is read as a hub id (only with ``allow_download``).
    """
    local = Path(path)
    if not local.is_dir() or any((local / f).is_file() for f in ("tokenizer.json", "vocab.txt")):
        with quiet_transformers():
            return AutoTokenizer.from_pretrained(str(path), local_files_only=not allow_download)
    return load_tokenizer()  # the course's cased WordPiece
