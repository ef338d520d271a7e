"""The ablation study's runs as command lines of the course CLI, and its learning-rate rule.

Folders: pretraining runs (checkpoints, not committed) under ``<runs_dir>/pretrain/<arm>/seed<s>``,
their encoders under ``<runs_dir>/encoders/<arm>/seed<s>``; fine-tuning runs (committed: command,
metrics, per-example scores, dev curve) under ``<results_dir>/runs/<task>/<arm>/lr<lr>/p<s>-f<t>``
(pretraining seed ``s``, fine-tuning seed ``t``) and the budget curve's under
``<results_dir>/runs/budget_curve/<arm>/epochs<n>/p<s>-f<t>``. A run is done when its folder
holds ``done.json`` (:mod:`spanbert_lab.tools.study.runner`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from spanbert_lab.pretrain.run import masking_argv
from spanbert_lab.tools.study.ablations.protocol import AblationProtocol, AblationTask, Arm
from spanbert_lab.tools.study.plan import Recipe, Run

__all__ = [
    "MAX_EXTENSIONS",
    "TIE",
    "Selection",
    "budget_folder",
    "budget_run",
    "dev_score",
    "encoder_dir",
    "finetune_folder",
    "finetune_run",
    "pick_rate",
    "pretrain_run",
    "recipe",
    "select_rate",
]

TIE = 0.1  # dev points: rates closer than this to the best tie, and the smaller one wins
MAX_EXTENSIONS = 4  # a grid grows at most this many times; past it the report flags the edge


def recipe(protocol: AblationProtocol) -> Recipe:
    p = protocol.pretraining
    return Recipe(lr=p.lr, batch_size=p.batch_size, preset=p.preset, block_size=p.block_size)


def encoder_dir(protocol: AblationProtocol, arm: str, seed: int) -> Path:
    return protocol.runs_dir / "encoders" / arm / f"seed{seed}"


def pretrain_run(protocol: AblationProtocol, arm: Arm, seed: int, steps: int) -> Run:
    """Pretrain ``arm`` with seed ``seed`` for ``steps`` updates (the recipe, the arm's masking
    over the recipe's), checkpointing every ``eval_every`` updates; resumable."""
    p = protocol.pretraining
    out = protocol.runs_dir / "pretrain" / arm.name / f"seed{seed}"
    argv = [
        "pretrain",
        "--objective",
        arm.objective,
        *recipe(protocol).args(),
        "--output-dir",
        str(out),
        "--export-dir",
        str(encoder_dir(protocol, arm.name, seed)),
        "--seed",
        str(seed),
        "--threads",
        str(protocol.threads),
        "--batching",
        p.batching,
        "--no-progress",
        *masking_argv({**p.masking, **arm.masking}),
        "--max-steps",
        str(steps),
        "--warmup-steps",
        str(max(1, round(p.warmup_fraction * steps))),
        "--eval-every",
        str(p.eval_every),
        "--save-every",
        str(p.eval_every),
    ]
    for flag, value in (
        ("--max-train-blocks", p.max_train_blocks),
        ("--max-eval-blocks", p.max_eval_blocks),
    ):
        if value is not None:
            argv += [flag, str(value)]
    meta = {"stage": "pretrain", "arm": arm.name, "seed": seed, "steps": steps}
    return Run(f"pretrain/{arm.name}/seed{seed}", argv, out, resumable=True, meta=meta)


def finetune_folder(
    protocol: AblationProtocol, task: str, arm: str, lr: float, ps: int, fs: int
) -> Path:
    return protocol.results_dir / "runs" / task / arm / f"lr{lr:g}" / f"p{ps}-f{fs}"


def budget_folder(protocol: AblationProtocol, arm: str, epochs: int, ps: int, fs: int) -> Path:
    return protocol.results_dir / "runs" / "budget_curve" / arm / f"epochs{epochs}" / f"p{ps}-f{fs}"


def _finetune_argv(
    protocol: AblationProtocol, task: AblationTask, model: Path, lr: float, fs: int, out: Path
) -> list[str]:
    argv = ["finetune", task.task, "--model", str(model), "--seeds", str(fs), "--lr", f"{lr:g}",
            *task.args, "--eval-split", "dev", "--test-split", "test", "--output", str(out),
            "--results", str(out / "result.json"), "--threads", str(protocol.threads),
            "--no-progress"]  # fmt: skip
    if task.version is not None:
        argv += ["--version", task.version]
    return argv


def finetune_run(
    protocol: AblationProtocol, task: AblationTask, arm: str, lr: float, ps: int, fs: int
) -> Run:
    """A converged run: up to ``max_epochs`` (the schedule's length), dev after every epoch,
    ``patience`` / ``min_delta`` on the task's ``monitor``, the best epoch's weights scored on
    test."""
    out = finetune_folder(protocol, task.name, arm, lr, ps, fs)
    argv = _finetune_argv(protocol, task, encoder_dir(protocol, arm, ps), lr, fs, out)
    argv += ["--epochs", str(task.max_epochs), "--patience", str(protocol.patience),
             "--min-delta", f"{protocol.min_delta:g}", "--monitor", task.monitor]  # fmt: skip
    meta = {
        "stage": task.name,
        "task": task.name,
        "arm": arm,
        "lr": lr,
        "pretrain_seed": ps,
        "finetune_seed": fs,
    }
    return Run(f"{task.name}/{arm}/lr{lr:g}/p{ps}-f{fs}", argv, out, meta=meta)


def budget_run(
    protocol: AblationProtocol,
    task: AblationTask,
    arm: str,
    lr: float,
    epochs: int,
    ps: int,
    fs: int,
) -> Run:
    """A fixed budget: ``epochs`` epochs (the schedule over them), no early stopping, test at
    the end."""
    out = budget_folder(protocol, arm, epochs, ps, fs)
    argv = _finetune_argv(protocol, task, encoder_dir(protocol, arm, ps), lr, fs, out)
    argv += ["--epochs", str(epochs)]
    meta = {"stage": "budget_curve", "task": task.name, "arm": arm, "lr": lr, "epochs": epochs,
            "pretrain_seed": ps, "finetune_seed": fs}  # fmt: skip
    return Run(f"budget_curve/{arm}/epochs{epochs}/p{ps}-f{fs}", argv, out, meta=meta)


def run_record(folder: Path) -> dict | None:
    """The finished run's record (``result.json``'s one run), ``None`` when not done."""
    if not (folder / "done.json").is_file():
        return None
    return json.loads((folder / "result.json").read_text(encoding="utf-8"))["runs"][0]


def dev_score(folder: Path, monitor: str) -> float | None:
    """The dev ``monitor`` metric of a finished run (its best epoch's), ``None`` when not done."""
    record = run_record(folder)
    return None if record is None else float(record["metrics"][monitor])


def pick_rate(scores: dict[float, float], tie: float = TIE) -> float:
    """The rate with the best dev score; rates less than ``tie`` points below it tie, and the
    smallest of them wins."""
    best = max(scores.values())
    return min(lr for lr, s in scores.items() if best - s < tie - 1e-9)


@dataclass
class Selection:
    """Where the learning-rate rule stands for one (task, arm).

    ``pending``: rates whose selection run (pretraining seed 0, fine-tuning seed 0) is not done;
    ``selected``: the rate, once every rate of ``grid`` is done and the pick is inside it (or
    ``MAX_EXTENSIONS`` were made: ``at_edge``)."""

    grid: list[float]
    pending: list[float] = field(default_factory=list)
    selected: float | None = None
    at_edge: bool = False
    scores: dict[float, float] = field(default_factory=dict)


def select_rate(grid: list[float], dev: Callable[[float], float | None]) -> Selection:
    """Apply the rule: run every rate of ``grid``; pick on dev (:func:`pick_rate`); when the
    pick is the smallest or largest rate, add ``pick x 0.5`` or ``pick x 2`` and pick again.
    ``dev(lr)`` is the selection run's dev score, ``None`` while it is not done. Test is never
    read."""
    grid, extensions = sorted(grid), 0
    while True:
        scores = {lr: dev(lr) for lr in grid}
        pending = [lr for lr, s in scores.items() if s is None]
        if pending:
            return Selection(list(grid), pending)
        done = {lr: float(s) for lr, s in scores.items() if s is not None}
        pick = pick_rate(done)
        edge = len(grid) > 1 and pick in (grid[0], grid[-1])
        if not edge or extensions == MAX_EXTENSIONS:
            return Selection(list(grid), selected=pick, at_edge=edge, scores=done)
        if pick == grid[0]:
            grid.insert(0, pick * 0.5)
        else:
            grid.append(pick * 2)
        extensions += 1
