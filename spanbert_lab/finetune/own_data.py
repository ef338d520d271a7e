"""Your own files as a fine-tuning task's train and evaluation sets (what ``--data`` reads)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from spanbert_lab import data
from spanbert_lab.tasks import get_task

__all__ = ["OwnData", "load_own_data"]


@dataclass(frozen=True)
class OwnData:
    """Where a task's examples are and how to read them.

    Attributes:
        task: ``"qa"`` (SQuAD JSON), ``"ner"`` (CoNLL or JSONL) or ``"classify"`` (TSV / CSV /
            JSONL).
        data: a file, or a folder with ``<split>.<ext>`` files.
        eval_data: the evaluation file or folder (``None``: the folder's ``eval_split``, or a
            held-out fraction of a single file).
        train_split, eval_split: split names inside a folder.
        eval_fraction: held out of a single ``data`` file when there is no ``eval_data``.
        version: SQuAD version (QA).
        format, text_column, label_column, header: how to read a classification file (``format``
            also for NER).
        tag_column, scheme: NER's CoNLL tag column and tag scheme.
        labels: label names in id order (default: from the training data).
    """

    task: str
    data: Path
    eval_data: Path | None = None
    train_split: str = "train"
    eval_split: str = "dev"
    eval_fraction: float = 0.1
    version: str = "1.1"
    format: str | None = None
    text_column: str | int | None = None
    label_column: str | int | None = None
    header: bool | None = None
    tag_column: int = -1
    scheme: str = "auto"
    labels: list[str] | None = None

    def read(self, path: Path, split: str, labels: Any = None, known_as: str | None = None) -> Any:
        """One split of ``path`` (the evaluation split must use the training ``labels``)."""
        if self.task == "qa":
            return data.load_qa(split, version=self.version, path=path)
        if self.task == "ner":
            return data.load_ner(
                split,
                path,
                format=self.format,
                tag_column=self.tag_column,
                scheme=self.scheme,
                labels=labels,
                label_source=known_as,
            )
        return data.load_classification(
            split,
            path,
            format=self.format,
            text_column=self.text_column,
            label_column=self.label_column,
            header=self.header,
            labels=labels,
            label_source=known_as,
        )


def load_own_data(own: OwnData) -> tuple[Any, Any, str | None]:
    """``(train, eval, note)``: the data sets, and a note saying what was held out (or ``None``).

    Without an evaluation file, a fraction ``eval_fraction`` of the training file is held out by
    ``torch.Generator().manual_seed(0)``.

    Raises:
        ValueError, FileNotFoundError: from the readers (file, line, content), or a bad split.
    """
    for path in (own.data, own.eval_data):  # local files only: never read as a hub name
        if path is not None and not path.exists():
            raise FileNotFoundError(f"no such file or folder: {path}")
    train = own.read(own.data, own.train_split, own.labels)
    names = get_task(own.task).label_names(train)
    if own.eval_data is not None or own.data.is_dir():
        eval_path = own.eval_data if own.eval_data is not None else own.data
        return train, own.read(eval_path, own.eval_split, names, "the training data"), None
    if not 0 < own.eval_fraction < 1:
        raise ValueError(f"--eval-fraction must be in (0, 1), got {own.eval_fraction}")
    n_eval = max(1, round(own.eval_fraction * len(train)))
    if len(train) - n_eval < 1:
        raise ValueError(
            f"{own.data}: {len(train)} example(s): too few to hold any out; pass --eval-data"
        )
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(0)).tolist()
    note = (
        f"no --eval-data: evaluating on {n_eval} of the {len(train)} examples of {own.data} "
        f"(held out, seed 0); training on the other {len(train) - n_eval}"
    )
    return train.select(sorted(order[n_eval:])), train.select(sorted(order[:n_eval])), note
