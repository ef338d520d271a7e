"""The ablation study's protocol (``study/ablations.toml``), read into validated dataclasses.

Every error names the table and field (``tasks[1].lr_grid = ...``). The file's schema:
``[study]`` (folders, threads, ``cpu_hour_cap``, ``stages`` and optional ``stage_hours``, the
estimate of each stage used before any of its runs is done), ``[pretraining]`` (the recipe),
``[[arms]]`` (objective, pretraining seeds, optional ``masking``), ``[finetuning]`` (patience,
min_delta), ``[[tasks]]`` (a learning-rate grid, or ``"<task> selected x [a, b, ...]"``: the
rates of an earlier task's selection times these factors), ``[budget_curve]`` and
``[statistics]``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spanbert_lab.pretrain.recipes import OBJECTIVES
from spanbert_lab.tasks import task_names
from spanbert_lab.tools.study.protocol import get_field, masking_table, read_toml

__all__ = [
    "AblationProtocol",
    "AblationTask",
    "Arm",
    "BudgetCurve",
    "DerivedGrid",
    "PretrainRecipe",
    "is_ablation_protocol",
    "load_ablations",
]

STAGE_NAMES = ("pretrain", "budget_curve")  # besides one stage per task, named as the task
INTERVAL = "seed_aware_difference"
_DERIVED = re.compile(r"^\s*(\S+)\s+selected\s+x\s+\[([^\]]*)\]\s*$")


@dataclass(frozen=True)
class PretrainRecipe:
    """``[pretraining]``: the recipe every pretrained arm shares."""

    preset: str
    batch_size: int
    block_size: int
    lr: float
    warmup_fraction: float
    batching: str
    min_real_tokens: int
    eval_every: int
    masking: dict[str, Any] = field(default_factory=dict)
    max_train_blocks: int | None = None  # tests only: a prefix of the training blocks
    max_eval_blocks: int | None = None


@dataclass(frozen=True)
class Arm:
    """One arm: a pretraining objective (``"none"``: the untrained control) and its seeds."""

    name: str
    objective: str
    seeds: list[int]
    tables: list[str] = field(default_factory=list)
    masking: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DerivedGrid:
    """``"<task> selected x [f1, f2, ...]"``: the arm's selected rate on ``task`` times each
    factor."""

    task: str
    factors: list[float]

    def rates(self, selected: float) -> list[float]:
        return sorted(selected * f for f in self.factors)


@dataclass(frozen=True)
class AblationTask:
    """One fine-tuning task: converged runs (early stopping), a learning-rate grid per arm."""

    name: str
    task: str
    max_epochs: int
    lr_grid: list[float] | DerivedGrid
    finetune_seeds: list[int]
    args: list[str]
    select: str
    example_score: str
    arms: list[str]
    version: str | None = None
    threshold: str | None = None

    @property
    def monitor(self) -> str:
        """The dev metric that stops a run and picks the rate: QA v2.0 with ``threshold =
        "dev"`` reads F1 at the threshold chosen on dev itself (``best_<select>``)."""
        return f"best_{self.select}" if self.threshold == "dev" else self.select


@dataclass(frozen=True)
class BudgetCurve:
    """``[budget_curve]``: fixed budgets (no early stopping) at each arm's selected rate."""

    task: str
    arms: list[str]
    epochs: list[int]
    finetune_seeds: list[int]


@dataclass(frozen=True)
class AblationProtocol:
    """Everything ``study/ablations.toml`` fixes."""

    path: Path
    name: str
    results_dir: Path
    runs_dir: Path
    ship_dir: Path
    threads: int
    cpu_hour_cap: float
    stages: list[str]
    stage_hours: dict[str, float]
    pretraining: PretrainRecipe
    arms: list[Arm]
    patience: int
    min_delta: float
    tasks: list[AblationTask]
    budget_curve: BudgetCurve | None
    confidence: float
    comparisons: list[tuple[str, str]]
    leakage_split: str | None = None  # "answer_sentence": QA comparisons also on leaked/clean

    def arm(self, name: str) -> Arm:
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise KeyError(f"no arm {name!r} in {self.path}")

    def task(self, name: str) -> AblationTask:
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(f"no task {name!r} in {self.path}")


def _number(table: dict[str, Any], key: str, where: str, *, positive: bool = True) -> float:
    value = float(get_field(table, key, (int, float), where))
    if positive and not value > 0:
        raise ValueError(f"{where}.{key} = {value!r}: must be > 0")
    return value


def _ints(table: dict[str, Any], key: str, where: str, *, positive: bool = False) -> list[int]:
    values = get_field(table, key, list, where)
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{where}.{key} = {values!r}: a non-empty list of integers")
    if len(set(values)) != len(values):
        raise ValueError(f"{where}.{key} = {values!r}: values repeat")
    if positive and min(values) < 1:
        raise ValueError(f"{where}.{key} = {values!r}: every value must be >= 1")
    return list(values)


def _pretraining(table: dict[str, Any]) -> PretrainRecipe:
    at = "pretraining"
    batching = get_field(table, "batching", str, at)
    if batching not in ("random", "bucketed"):
        raise ValueError(f"{at}.batching = {batching!r}: choose 'random' or 'bucketed'")
    warmup = _number(table, "warmup_fraction", at, positive=False)
    if not 0 <= warmup < 1:
        raise ValueError(f"{at}.warmup_fraction = {warmup!r}: must be in [0, 1)")
    limits = {k: table.get(k) for k in ("max_train_blocks", "max_eval_blocks")}
    for key, value in limits.items():
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"{at}.{key} = {value!r}: a positive integer")
    return PretrainRecipe(
        preset=get_field(table, "preset", str, at),
        batch_size=int(_number(table, "batch_size", at)),
        block_size=int(_number(table, "block_size", at)),
        lr=_number(table, "lr", at),
        warmup_fraction=warmup,
        batching=batching,
        min_real_tokens=int(_number(table, "min_real_tokens", at)),
        eval_every=int(_number(table, "eval_every", at)),
        masking=masking_table(table, "pretraining", at),
        **limits,
    )


def _arms(rows: list[Any]) -> list[Arm]:
    arms = []
    for i, row in enumerate(rows):
        at = f"arms[{i}]"
        objective = get_field(row, "objective", str, at)
        if objective != "none" and objective not in OBJECTIVES:
            raise ValueError(
                f"{at}.objective = {objective!r}: choose 'none' or one of {sorted(OBJECTIVES)}"
            )
        tables = [str(t) for t in row.get("tables", [])]
        seeds = _seed_zero_first(_ints(row, "seeds", at), f"{at}.seeds")
        arms.append(Arm(get_field(row, "name", str, at), objective, seeds, tables,
                        masking_table(row, objective, at)))  # fmt: skip
    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise ValueError(f"arms: names repeat: {names}")
    if not arms:
        raise ValueError("arms: at least one arm")
    return arms


def _seed_zero_first(seeds: list[int], at: str) -> list[int]:
    """Seeds that hold 0: the learning rate is selected on the runs of pretraining seed 0 and
    fine-tuning seed 0, and those runs count as that seed pair's."""
    if 0 not in seeds:
        raise ValueError(f"{at} = {seeds}: must hold seed 0 (the rate is selected with seed 0)")
    return seeds


def _grid(row: dict[str, Any], at: str, earlier: list[str]) -> list[float] | DerivedGrid:
    grid = get_field(row, "lr_grid", (list, str), at)
    if isinstance(grid, str):
        match = _DERIVED.match(grid)
        if match is None:
            raise ValueError(
                f"{at}.lr_grid = {grid!r}: a list of rates or '<task> selected x [factors]'"
            )
        source, factors = match.group(1), match.group(2)
        if source not in earlier:
            raise ValueError(
                f"{at}.lr_grid = {grid!r}: {source!r} is not an earlier task ({earlier})"
            )
        try:
            values = [float(f) for f in factors.split(",") if f.strip()]
        except ValueError as err:
            raise ValueError(f"{at}.lr_grid = {grid!r}: the factors must be numbers") from err
        if not values or min(values) <= 0 or len(set(values)) != len(values):
            raise ValueError(f"{at}.lr_grid = {grid!r}: distinct positive factors")
        return DerivedGrid(source, values)
    if not grid or not all(isinstance(v, (int, float)) and v > 0 for v in grid):
        raise ValueError(f"{at}.lr_grid = {grid!r}: a non-empty list of positive rates")
    if len(set(grid)) != len(grid):
        raise ValueError(f"{at}.lr_grid = {grid!r}: rates repeat")
    return sorted(float(v) for v in grid)


def _arm_list(value: Any, at: str, arms: list[str]) -> list[str]:
    if value == "all":
        return list(arms)
    if not isinstance(value, list) or not value:
        raise ValueError(f"{at} = {value!r}: 'all' or a list of arm names")
    unknown = [a for a in value if a not in arms]
    if unknown:
        raise ValueError(f"{at} = {value!r}: {unknown} are not arms ({arms})")
    return list(value)


def _tasks(rows: list[Any], arms: list[str]) -> list[AblationTask]:
    tasks: list[AblationTask] = []
    for i, row in enumerate(rows):
        at = f"tasks[{i}]"
        kind = get_field(row, "task", str, at)
        if kind not in task_names():
            raise ValueError(f"{at}.task = {kind!r}: choose one of {task_names()}")
        version = row.get("version")
        if version is not None and (kind != "qa" or version not in ("1.1", "2.0")):
            raise ValueError(f"{at}.version = {version!r}: only a qa task has one, '1.1' or '2.0'")
        threshold = row.get("threshold")
        if threshold is not None and (threshold != "dev" or version != "2.0"):
            raise ValueError(f"{at}.threshold = {threshold!r}: only 'dev', on a qa 2.0 task")
        args = get_field(row, "args", list, at) if "args" in row else []
        tasks.append(
            AblationTask(
                name=get_field(row, "name", str, at),
                task=kind,
                max_epochs=int(_number(row, "max_epochs", at)),
                lr_grid=_grid(row, at, [t.name for t in tasks]),
                finetune_seeds=_seed_zero_first(
                    _ints(row, "finetune_seeds", at), f"{at}.finetune_seeds"
                ),
                args=[str(a) for a in args],
                select=get_field(row, "select", str, at),
                example_score=get_field(row, "example_score", str, at),
                arms=_arm_list(row.get("arms", "all"), f"{at}.arms", arms),
                version=version,
                threshold=threshold,
            )
        )
    names = [t.name for t in tasks]
    if len(set(names)) != len(names) or not tasks:
        raise ValueError(f"tasks: at least one, names unique: {names}")
    return tasks


def _budget(table: dict[str, Any] | None, tasks: list[AblationTask]) -> BudgetCurve | None:
    if table is None:
        return None
    at = "budget_curve"
    task = get_field(table, "task", str, at)
    if task not in [t.name for t in tasks]:
        raise ValueError(f"{at}.task = {task!r}: not one of the tasks")
    source = next(t for t in tasks if t.name == task)
    arms = _arm_list(get_field(table, "arms", list, at), f"{at}.arms", source.arms)
    return BudgetCurve(task, arms, _ints(table, "epochs", at, positive=True),
                       _ints(table, "finetune_seeds", at))  # fmt: skip


def _comparisons(table: dict[str, Any], arms: list[Arm]) -> list[tuple[str, str]]:
    at = "statistics"
    if get_field(table, "interval", str, at) != INTERVAL:
        raise ValueError(f"{at}.interval = {table['interval']!r}: only {INTERVAL!r} is implemented")
    pairs = []
    seeds = {a.name: len(a.seeds) for a in arms}
    for i, pair in enumerate(get_field(table, "comparisons", list, at)):
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(a, str) for a in pair)
        ):
            raise ValueError(f"{at}.comparisons[{i}] = {pair!r}: a pair of arm names")
        for name in pair:
            if name not in seeds:
                raise ValueError(f"{at}.comparisons[{i}]: {name!r} is not an arm")
            if seeds[name] < 2:
                raise ValueError(
                    f"{at}.comparisons[{i}]: {name!r} needs >= 2 pretraining seeds for a seed-aware interval"
                )
        pairs.append((pair[0], pair[1]))
    return pairs


def _stages(
    study: dict[str, Any], tasks: list[AblationTask], budget: BudgetCurve | None
) -> list[str]:
    stages = [str(s) for s in get_field(study, "stages", list, "study")]
    known = ["pretrain", *[t.name for t in tasks], *(["budget_curve"] if budget else [])]
    if sorted(stages) != sorted(known) or stages[0] != "pretrain":
        raise ValueError(f"study.stages = {stages!r}: every one of {known} once, pretrain first")
    for task in tasks:
        if isinstance(task.lr_grid, DerivedGrid) and stages.index(task.lr_grid.task) > stages.index(
            task.name
        ):
            raise ValueError(f"study.stages: {task.lr_grid.task!r} must come before {task.name!r}")
    if budget is not None and stages.index(budget.task) > stages.index("budget_curve"):
        raise ValueError(f"study.stages: {budget.task!r} must come before 'budget_curve'")
    return stages


def _stage_hours(study: dict[str, Any], stages: list[str]) -> dict[str, float]:
    hours = study.get("stage_hours", {})
    if not isinstance(hours, dict) or set(hours) - set(stages):
        raise ValueError(f"study.stage_hours = {hours!r}: a table of hours per stage of {stages}")
    if not all(isinstance(v, (int, float)) and v >= 0 for v in hours.values()):
        raise ValueError(f"study.stage_hours = {hours!r}: hours must be numbers >= 0")
    return {k: float(v) for k, v in hours.items()}


def is_ablation_protocol(path: str | Path) -> bool:
    """Whether ``path`` is an ablation protocol (it has ``[[arms]]``), not the first study's."""
    try:
        return "arms" in tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False


def load_ablations(path: str | Path) -> AblationProtocol:
    """Read and check ``path``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a missing, ill-typed or inconsistent field, named with its table.
    """
    path = Path(path)
    raw = read_toml(path)
    study = get_field(raw, "study", dict, str(path))
    arms = _arms(get_field(raw, "arms", list, str(path)))
    tasks = _tasks(get_field(raw, "tasks", list, str(path)), [a.name for a in arms])
    budget = _budget(raw.get("budget_curve"), tasks)
    fine = get_field(raw, "finetuning", dict, str(path))
    stats = get_field(raw, "statistics", dict, str(path))
    confidence = _number(stats, "confidence", "statistics")
    if confidence != 0.95:
        raise ValueError(
            f"statistics.confidence = {confidence}: {INTERVAL} gives 95% intervals only"
        )
    patience = int(_number(fine, "patience", "finetuning"))
    leakage = stats.get("leakage_split")
    if leakage not in (None, "answer_sentence"):
        raise ValueError(f"statistics.leakage_split = {leakage!r}: choose 'answer_sentence'")
    stages = _stages(study, tasks, budget)
    threads = int(_number(study, "threads", "study"))
    return AblationProtocol(
        path=path,
        name=get_field(study, "name", str, "study"),
        results_dir=Path(get_field(study, "results_dir", str, "study")),
        runs_dir=Path(get_field(study, "runs_dir", str, "study")),
        ship_dir=Path(get_field(study, "ship_dir", str, "study")),
        threads=threads,
        cpu_hour_cap=_number(study, "cpu_hour_cap", "study"),
        stages=stages,
        stage_hours=_stage_hours(study, stages),
        pretraining=_pretraining(get_field(raw, "pretraining", dict, str(path))),
        arms=arms,
        patience=patience,
        min_delta=_number(fine, "min_delta", "finetuning", positive=False),
        tasks=tasks,
        budget_curve=budget,
        confidence=confidence,
        comparisons=_comparisons(stats, arms),
        leakage_split=leakage,
    )
