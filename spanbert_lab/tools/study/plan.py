"""The study's runs, as command lines: pilot, pretraining, fine-tuning.

A :class:`Run` is one process of the course's own command line writing into its own folder. A run
is *done* when its folder holds ``done.json`` (written last, atomically, by
:mod:`spanbert_lab.tools.study.runner`), so the study can stop at any moment and resume by skipping
what is done. Later stages read earlier results: the pretraining recipe comes from the pilot's
``pilot.json``, the fine-tuning runs need the encoders' checkpoints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spanbert_lab.pretrain.batches import epoch_batches
from spanbert_lab.pretrain.run import masking_argv
from spanbert_lab.tools.study.protocol import Encoder, FinetuneTask, Protocol

__all__ = [
    "Recipe",
    "Run",
    "cost_key",
    "finetune_runs",
    "pilot_configs",
    "pilot_runs",
    "pretrain_runs",
    "steps_for_tokens",
]

CALIBRATION_STEPS = 20
RUNS_DIR = Path("runs") / "study"  # checkpoints of the study's pretraining runs (not committed)
PILOT_EVAL_BLOCKS = 256


@dataclass(frozen=True)
class Run:
    """One command of the study.

    Attributes:
        key: unique, path-like (``"finetune/qa-v1.1/bert-tiny/lr0.001/seed0"``).
        argv: arguments after ``python -m spanbert_lab``.
        folder: where the command writes (its ``--output`` / ``--output-dir``).
        resumable: the command continues from what ``folder`` already holds (pretraining).
    """

    key: str
    argv: list[str]
    folder: Path
    resumable: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return (self.folder / "done.json").is_file()


@dataclass(frozen=True)
class Recipe:
    """The pretraining recipe the pilot chose (shared by every pretrained encoder)."""

    lr: float
    batch_size: int
    preset: str
    block_size: int

    def args(self) -> list[str]:
        return [
            "--lr",
            f"{self.lr:g}",
            "--batch-size",
            str(self.batch_size),
            "--preset",
            self.preset,
            "--block-size",
            str(self.block_size),
        ]


def _pretrain_argv(objective: str, recipe: Recipe, out: Path, protocol: Protocol) -> list[str]:
    return [
        "pretrain",
        "--objective",
        objective,
        *recipe.args(),
        "--output-dir",
        str(out),
        "--seed",
        str(protocol.pretrain_seed),
        "--threads",
        str(protocol.threads),
        "--batching",
        protocol.batching,
        "--no-progress",
    ]


def pilot_configs(protocol: Protocol, best: dict[str, Any]) -> list[Recipe]:
    """The pilot's next configurations: the factor after the last one settled in ``best``
    (``{factor: chosen value}``), each value with every settled factor at its chosen value and
    the others at their first value. Empty when every factor is settled."""
    grid, order = protocol.pilot.grid, protocol.pilot.order
    pending = [f for f in order if f not in best]
    if not pending:
        return []
    factor = pending[0]
    base = {f: best.get(f, grid[f][0]) for f in order}
    return [Recipe(**{**base, factor: value}) for value in grid[factor]]


def recipe_key(recipe: Recipe) -> str:
    return f"{recipe.preset}-b{recipe.batch_size}-lr{recipe.lr:g}-block{recipe.block_size}"


def cost_key(recipe: Recipe) -> str:
    """What sets an update's cost (the learning rate does not): recipes sharing it share one
    calibration, hence the same number of updates in the pilot's time."""
    return f"{recipe.preset}-b{recipe.batch_size}-block{recipe.block_size}"


def pilot_runs(protocol: Protocol, recipes: list[Recipe], steps: dict[str, int]) -> list[Run]:
    """A calibration run (``CALIBRATION_STEPS`` updates) per :func:`cost_key` without a measured
    update time, else the pilot run itself, sized to the pilot's CPU time
    (``steps[cost_key]``). Their folders (checkpoints included) are under :data:`RUNS_DIR`;
    ``pilot.json`` keeps the numbers."""
    root = RUNS_DIR / "pilot"
    budget_s = protocol.pilot.cpu_minutes * 60
    runs, calibrating = [], set()
    for recipe in recipes:
        key, cost = recipe_key(recipe), cost_key(recipe)
        if cost not in steps:
            if cost in calibrating:
                continue
            calibrating.add(cost)
            out = root / "calibration" / cost
            argv = _pretrain_argv(protocol.pilot.objective, recipe, out, protocol)
            argv += [
                "--max-steps",
                str(CALIBRATION_STEPS),
                "--max-eval-blocks",
                "32",
                "--warmup-steps",
                "2",
            ]
            runs.append(Run(f"pilot/calibration/{cost}", argv, out, meta={"cost": cost}))
            continue
        out = root / key
        argv = _pretrain_argv(protocol.pilot.objective, recipe, out, protocol)
        argv += [
            "--max-steps",
            str(steps[cost]),
            "--time-budget",
            f"{budget_s:g}",
            "--eval-every",
            str(max(1, steps[cost] // 4)),
            "--max-eval-blocks",
            str(PILOT_EVAL_BLOCKS),
        ]
        runs.append(Run(f"pilot/{key}", argv, out, meta={"recipe": key}))
    return runs


def pretrain_steps(block_lengths: Sequence[int], recipe: Recipe, protocol: Protocol) -> int:
    """The fewest updates whose batches hold at least ``protocol.min_real_tokens`` non-padding
    tokens, counted in the very order training visits the blocks (``protocol.batching``, the
    pretraining seed, epoch after epoch; an incomplete last batch is dropped each epoch)."""
    return steps_for_tokens(
        block_lengths,
        recipe.batch_size,
        batching=protocol.batching,
        seed=protocol.pretrain_seed,
        min_real_tokens=protocol.min_real_tokens,
    )


def steps_for_tokens(
    block_lengths: Sequence[int],
    batch_size: int,
    *,
    batching: str,
    seed: int,
    min_real_tokens: int,
) -> int:
    """:func:`pretrain_steps` for any batching, seed and token budget (the ablation study runs
    several pretraining seeds, each with its own block order)."""
    seen, steps, epoch = 0, 0, 0
    while True:
        batches = epoch_batches(batching, block_lengths, batch_size, seed=seed, epoch=epoch)
        if not batches:
            raise ValueError(f"fewer blocks ({len(block_lengths)}) than one batch")
        for batch in batches:
            seen += sum(block_lengths[i] for i in batch)
            steps += 1
            if seen >= min_real_tokens:
                return steps
        epoch += 1


def pretrain_runs(
    protocol: Protocol, recipe: Recipe, block_lengths: Sequence[int], runs_dir: Path
) -> list[Run]:
    """One pretraining run per pretrained encoder, same recipe, steps, batch and seed (and the
    encoder's own ``masking`` flags, if any); each checkpoints every ``eval_every`` updates and
    resumes from its folder."""
    steps = pretrain_steps(block_lengths, recipe, protocol)
    runs = []
    for encoder in protocol.encoders:
        if encoder.objective == "none":
            continue
        out = runs_dir / encoder.name
        argv = _pretrain_argv(encoder.objective, recipe, out, protocol)
        argv += masking_argv(encoder.masking)  # the arm's masking settings, if any
        argv += [
            "--max-steps",
            str(steps),
            "--warmup-steps",
            str(max(1, steps // 10)),
            "--eval-every",
            str(protocol.eval_every),
            "--save-every",
            str(protocol.eval_every),
            "--export-dir",
            str(protocol.checkpoints_dir / encoder.name),
        ]
        runs.append(
            Run(
                f"pretrain/{encoder.name}",
                argv,
                out,
                resumable=True,
                meta={"encoder": encoder.name, "steps": steps},
            )
        )
    return runs


def finetune_runs(protocol: Protocol, encoders: list[Encoder]) -> list[Run]:
    """Every (task, encoder, learning rate, seed) of the grid, one process each."""
    runs = []
    for task in protocol.tasks:
        for encoder in encoders:
            for lr in task.lrs:
                for seed in task.seeds:
                    runs.append(_finetune_run(protocol, task, encoder, lr, seed))
    return runs


def _finetune_run(
    protocol: Protocol, task: FinetuneTask, encoder: Encoder, lr: float, seed: int
) -> Run:
    key = f"finetune/{task.name}/{encoder.name}/lr{lr:g}/seed{seed}"
    out = protocol.results_dir / "runs" / key.removeprefix("finetune/")
    argv = [
        "finetune",
        task.task,
        "--model",
        str(protocol.checkpoints_dir / encoder.name),
        "--seeds",
        str(seed),
        "--lr",
        f"{lr:g}",
        *task.args,
        "--eval-split",
        "dev",
        "--test-split",
        "test",
        "--output",
        str(out),
        "--results",
        str(out / "result.json"),
        "--threads",
        str(protocol.threads),
        "--no-progress",
    ]
    if task.version is not None:
        argv += ["--version", task.version]
    if seed in task.keep_models:
        argv.append("--save-model")  # <out>/seed<N>/model, not committed: see study.ship
    meta = {"task": task.name, "encoder": encoder.name, "lr": lr, "seed": seed}
    return Run(key, argv, out, meta=meta)
