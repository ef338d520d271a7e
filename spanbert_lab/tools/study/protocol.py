"""The study's protocol (``study/protocol.toml``), read into typed, validated dataclasses.

The file is fixed before any result is seen; this module only reads it and refuses anything
ill-formed with an error that names the field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spanbert_lab.pretrain.run import masking_argv

__all__ = ["Encoder", "FinetuneTask", "Pilot", "Protocol", "load_protocol"]

_OBJECTIVES = ("none", "subword", "whole_word", "span", "span_sbo")
_TASKS = ("qa", "ner", "classify")


@dataclass(frozen=True)
class Pilot:
    """The pilot sweep: one factor at a time, each run the same CPU time, baseline objective."""

    objective: str
    cpu_minutes: float
    seed: int
    grid: dict[str, list[Any]]
    order: list[str]


@dataclass(frozen=True)
class Encoder:
    """One encoder (arm) of the study: a pretraining objective, or ``"none"`` (the untrained
    control), and optional masking settings (``MaskingConfig`` fields, e.g.
    ``masking = {geometric_p = 0.5}`` in the protocol) that become the pretraining command's
    flags (``--geometric-p 0.5``); empty = the paper's defaults."""

    name: str
    objective: str
    masking: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FinetuneTask:
    """One fine-tuning task of the grid (the same for every encoder)."""

    name: str
    task: str
    seeds: list[int]
    lrs: list[float]
    args: list[str]
    select: str
    example_score: str
    version: str | None = None
    keep_models: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Protocol:
    """Everything ``study/protocol.toml`` fixes."""

    path: Path
    results_dir: Path
    checkpoints_dir: Path
    threads: int
    pilot: Pilot
    pretrain_seed: int
    batching: str
    min_real_tokens: int
    eval_every: int
    encoders: list[Encoder]
    tasks: list[FinetuneTask]
    baseline: str
    control: str | None
    bootstrap_resamples: int
    bootstrap_seed: int
    confidence: float
    decoding: str
    decoding_compare: str

    def encoder(self, name: str) -> Encoder:
        for encoder in self.encoders:
            if encoder.name == name:
                return encoder
        raise KeyError(f"no encoder {name!r} in {self.path}")


def read_toml(path: Path) -> dict[str, Any]:
    """A protocol file's tables. Raises FileNotFoundError, or ValueError naming the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not valid TOML: {err}") from err


def get_field(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``table[key]``, checked to be a ``kind``; a missing or mistyped field raises a
    ``ValueError`` naming ``where.key`` (shared by both studies' protocol readers)."""
    if key not in table:
        raise ValueError(f"{where}: missing {key!r}")
    value = table[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ValueError(f"{where}.{key} = {value!r}: expected {kind}")
    return value


def _pilot(table: dict[str, Any], where: str) -> Pilot:
    order = get_field(table, "order", list, where)
    grid = {name: get_field(table, name, list, where) for name in order}
    for name, values in grid.items():
        if not values:
            raise ValueError(f"{where}.{name}: at least one value")
    objective = get_field(table, "objective", str, where)
    if objective not in _OBJECTIVES[1:]:
        raise ValueError(f"{where}.objective = {objective!r}: choose one of {_OBJECTIVES[1:]}")
    minutes = float(get_field(table, "cpu_minutes", (int, float), where))
    if minutes <= 0:
        raise ValueError(f"{where}.cpu_minutes must be > 0")
    return Pilot(objective, minutes, get_field(table, "seed", int, where), grid, order)


def _encoders(rows: list[dict[str, Any]], where: str) -> list[Encoder]:
    encoders = []
    for i, row in enumerate(rows):
        name = get_field(row, "name", str, f"{where}[{i}]")
        objective = get_field(row, "objective", str, f"{where}[{i}]")
        if objective not in _OBJECTIVES:
            raise ValueError(f"{where}[{i}].objective = {objective!r}: choose one of {_OBJECTIVES}")
        encoders.append(Encoder(name, objective, masking_table(row, objective, f"{where}[{i}]")))
    names = [e.name for e in encoders]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: encoder names repeat: {names}")
    return encoders


def masking_table(row: dict[str, Any], objective: str, where: str) -> dict[str, Any]:
    """An encoder's (or arm's) optional ``masking`` table, checked as the pretraining command
    would; shared by both studies' protocol readers."""
    masking = row.get("masking", {})
    if not isinstance(masking, dict):
        raise ValueError(f"{where}.masking = {masking!r}: expected a table")
    if masking and objective == "none":
        raise ValueError(f"{where}.masking: the untrained control is never masked")
    try:
        masking_argv(masking)
    except ValueError as err:
        raise ValueError(f"{where}.masking: {err}") from err
    return dict(masking)


def _tasks(rows: list[dict[str, Any]], where: str) -> list[FinetuneTask]:
    tasks = []
    for i, row in enumerate(rows):
        at = f"{where}[{i}]"
        task = get_field(row, "task", str, at)
        if task not in _TASKS:
            raise ValueError(f"{at}.task = {task!r}: choose one of {_TASKS}")
        seeds, lrs = get_field(row, "seeds", list, at), get_field(row, "lr", list, at)
        if not seeds or not lrs:
            raise ValueError(f"{at}: needs at least one seed and one learning rate")
        keep = [int(s) for s in row.get("keep_models", [])]
        if not set(keep) <= {int(s) for s in seeds}:
            raise ValueError(f"{at}.keep_models = {keep}: every kept seed must be in seeds")
        tasks.append(
            FinetuneTask(
                name=get_field(row, "name", str, at),
                task=task,
                seeds=[int(s) for s in seeds],
                lrs=[float(x) for x in lrs],
                args=[str(a) for a in row.get("args", [])],
                select=get_field(row, "select", str, at),
                example_score=get_field(row, "example_score", str, at),
                version=row.get("version"),
                keep_models=keep,
            )
        )
    return tasks


def _batching(value: str) -> str:
    if value not in ("random", "bucketed"):
        raise ValueError(f"pretraining.batching = {value!r}: choose 'random' or 'bucketed'")
    return value


def load_protocol(path: str | Path) -> Protocol:
    """Read and check ``path`` (TOML).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a missing or ill-typed field, named with its table.
    """
    path = Path(path)
    raw = read_toml(path)
    study = get_field(raw, "study", dict, str(path))
    pre = get_field(raw, "pretraining", dict, str(path))
    fine = get_field(raw, "finetuning", dict, str(path))
    decoding = get_field(raw, "decoding", dict, str(path))
    encoders = _encoders(get_field(raw, "encoders", list, str(path)), "encoders")
    baseline = get_field(fine, "baseline", str, "finetuning")
    if baseline not in {e.name for e in encoders}:
        raise ValueError(f"finetuning.baseline = {baseline!r} is not one of the encoders")
    control = fine.get("control")
    if control is not None and control not in {e.name for e in encoders}:
        raise ValueError(f"finetuning.control = {control!r} is not one of the encoders")
    return Protocol(
        path=path,
        results_dir=Path(get_field(study, "results_dir", str, "study")),
        checkpoints_dir=Path(get_field(study, "checkpoints_dir", str, "study")),
        threads=get_field(study, "threads", int, "study"),
        pilot=_pilot(get_field(raw, "pilot", dict, str(path)), "pilot"),
        pretrain_seed=get_field(pre, "seed", int, "pretraining"),
        batching=_batching(get_field(pre, "batching", str, "pretraining")),
        min_real_tokens=get_field(pre, "min_real_tokens", int, "pretraining"),
        eval_every=get_field(pre, "eval_every", int, "pretraining"),
        encoders=encoders,
        tasks=_tasks(get_field(raw, "tasks", list, str(path)), "tasks"),
        baseline=baseline,
        control=control,
        bootstrap_resamples=get_field(fine, "bootstrap_resamples", int, "finetuning"),
        bootstrap_seed=get_field(fine, "bootstrap_seed", int, "finetuning"),
        confidence=float(get_field(fine, "confidence", float, "finetuning")),
        decoding=get_field(decoding, "default", str, "decoding"),
        decoding_compare=get_field(decoding, "compare", str, "decoding"),
    )
