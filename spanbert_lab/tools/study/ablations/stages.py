"""The ablation study's stages, in the protocol's order, each planned round by round from what is
done (the learning-rate rule needs finished selection runs before it knows the next runs), and
the CPU-hour cap.

A stage is admitted only when the CPU time spent so far plus the stage's estimated remaining
cost stays within ``cpu_hour_cap``: the estimate is the mean CPU time of the stage's finished runs
times the runs still to do, or, before any is done, the protocol's ``stage_hours`` for it (the
table of ``study/ablations.md``). A stage that would cross the cap is not started, no later stage
is either, and ``cap.json`` in the results folder says which (``study status`` and the report
read it). The check is made once, when the stage starts: a stage that has begun is run to the
end, whatever a resumed session estimates, so nothing is cut inside a stage.

The CPU time counted is every sitting's (:mod:`spanbert_lab.tools.study.runner`): finished runs,
sittings that were stopped and redone from scratch, and unfinished runs so far.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spanbert_lab.pretrain.recipes import OBJECTIVES
from spanbert_lab.tools.study.ablations.plan import (
    Selection,
    budget_run,
    dev_score,
    encoder_dir,
    finetune_folder,
    finetune_run,
    pretrain_run,
    recipe,
    select_rate,
)
from spanbert_lab.tools.study.ablations.protocol import AblationProtocol, AblationTask, DerivedGrid
from spanbert_lab.tools.study.plan import Run, steps_for_tokens
from spanbert_lab.tools.study.runner import cpu_log_seconds, execute
from spanbert_lab.tools.study.stages import block_lengths, save_untrained_encoder

__all__ = [
    "DevScore",
    "Round",
    "cap_state",
    "cpu_seconds",
    "plan_round",
    "projected_hours",
    "run_ablations",
    "selections",
    "spent_seconds",
    "stage_cpu_seconds",
    "stage_root",
]

Say = Callable[[str], None]
DevScore = Callable[[Path, str], float | None]
"""``dev(run folder, metric)``: a finished run's dev score (``None``: not done); tests pass a fake."""


@dataclass(frozen=True)
class Round:
    """A stage's next runs (``todo``; empty = the stage is complete) and how many runs the
    stage holds as far as is known now (``planned``; a grid extension adds to it)."""

    stage: str
    todo: list[Run]
    planned: int


def stage_root(protocol: AblationProtocol, stage: str) -> Path:
    if stage == "pretrain":
        return protocol.runs_dir / "pretrain"
    return protocol.results_dir / "runs" / stage


def cpu_seconds(folder: Path) -> float:
    """CPU seconds of the finished runs under ``folder`` (``done.json``'s ``cpu_seconds``, else
    its wall ``seconds``: one thread per run)."""
    total = 0.0
    for done in folder.rglob("done.json") if folder.is_dir() else ():
        record = json.loads(done.read_text(encoding="utf-8"))
        total += float(record.get("cpu_seconds", record.get("seconds", 0.0)))
    return total


SITTING_FILES = ("done.json", "cpu.jsonl", "lost.jsonl", "sitting.json")


def _wasted_seconds(run: Path) -> float:
    """CPU seconds of one run folder's sittings that no finished result holds: redone ones
    (``lost.jsonl``), and, while the run is unfinished, every sitting so far."""
    if (run / "done.json").is_file():
        record = json.loads((run / "done.json").read_text(encoding="utf-8"))
        return float(record.get("lost_cpu_seconds", 0.0))
    total = cpu_log_seconds(run / "cpu.jsonl") + cpu_log_seconds(run / "lost.jsonl")
    if (run / "sitting.json").is_file():
        total += float(
            json.loads((run / "sitting.json").read_text(encoding="utf-8"))["cpu_seconds"]
        )
    return total


def stage_cpu_seconds(protocol: AblationProtocol, stage: str) -> dict[str, float]:
    """What a stage has cost so far: ``{"finished", "wasted"}`` CPU seconds (finished runs;
    sittings redone or not finished). Pretraining reads ``runs_dir`` and, for runs that checkout
    does not hold, the committed copies of their ``done.json`` (``results/pretrain/``)."""
    root = stage_root(protocol, stage)
    runs = (
        {f.parent for name in SITTING_FILES for f in root.rglob(name)} if root.is_dir() else set()
    )
    finished = sum(cpu_seconds(run) for run in runs if (run / "done.json").is_file())
    wasted = sum(_wasted_seconds(run) for run in runs)
    if stage == "pretrain":
        held = {f"{run.parent.name}-{run.name}" for run in runs}
        for copy in sorted((protocol.results_dir / "pretrain").glob("*.done.json")):
            if copy.name.removesuffix(".done.json") not in held:
                record = json.loads(copy.read_text(encoding="utf-8"))
                finished += float(record.get("cpu_seconds", record.get("seconds", 0.0)))
                wasted += float(record.get("lost_cpu_seconds", 0.0))
    return {"finished": finished, "wasted": wasted}


def spent_seconds(protocol: AblationProtocol) -> float:
    """Every stage's CPU seconds so far, wasted sittings included."""
    return sum(sum(stage_cpu_seconds(protocol, s).values()) for s in protocol.stages)


def _selection(
    protocol: AblationProtocol, task: AblationTask, arm: str, dev: DevScore
) -> Selection:
    if isinstance(task.lr_grid, DerivedGrid):
        source = _selection(protocol, protocol.task(task.lr_grid.task), arm, dev)
        if source.selected is None:
            raise RuntimeError(
                f"{task.name}: {task.lr_grid.task} has not selected {arm}'s rate yet"
            )
        grid = task.lr_grid.rates(source.selected)
    else:
        grid = list(task.lr_grid)
    return select_rate(
        grid, lambda lr: dev(finetune_folder(protocol, task.name, arm, lr, 0, 0), task.monitor)
    )


def selections(
    protocol: AblationProtocol, task: AblationTask, dev: DevScore = dev_score
) -> dict[str, Selection]:
    """Where the learning-rate rule stands for every arm of ``task``."""
    return {arm: _selection(protocol, task, arm, dev) for arm in task.arms}


def _task_round(protocol: AblationProtocol, task: AblationTask, dev: DevScore) -> Round:
    todo, planned = [], 0
    for arm, sel in selections(protocol, task, dev).items():
        seeds = [(ps, fs) for ps in protocol.arm(arm).seeds for fs in task.finetune_seeds]
        planned += len(sel.grid) + len(seeds) - 1  # the selection run is seed (0, 0)
        if sel.selected is None:
            todo += [finetune_run(protocol, task, arm, lr, 0, 0) for lr in sel.pending]
            continue
        runs = [finetune_run(protocol, task, arm, sel.selected, ps, fs) for ps, fs in seeds]
        todo += [r for r in runs if not r.done]
    return Round(task.name, todo, planned)


def _budget_round(protocol: AblationProtocol, dev: DevScore) -> Round:
    curve = protocol.budget_curve
    assert curve is not None
    task = protocol.task(curve.task)
    runs = []
    for arm, sel in selections(protocol, task, dev).items():
        if arm not in curve.arms:
            continue
        if sel.selected is None:
            raise RuntimeError(f"budget_curve: {task.name} has not selected {arm}'s rate yet")
        runs += [budget_run(protocol, task, arm, sel.selected, e, ps, fs)
                 for e in curve.epochs for ps in protocol.arm(arm).seeds for fs in curve.finetune_seeds]  # fmt: skip
    return Round("budget_curve", [r for r in runs if not r.done], len(runs))


def _pretrain_round(protocol: AblationProtocol) -> Round:
    pairs = [(arm, s) for arm in protocol.arms if arm.objective != "none" for s in arm.seeds]
    folders = [protocol.runs_dir / "pretrain" / arm.name / f"seed{s}" for arm, s in pairs]
    todo, lengths = [], {}
    for (arm, seed), folder in zip(pairs, folders, strict=True):
        if (folder / "done.json").is_file():
            continue
        nsp = OBJECTIVES[arm.objective].nsp
        key = (nsp, seed if nsp else 0)
        if key not in lengths:  # the block order the run will visit: its own seed's
            lengths[key] = block_lengths(recipe(protocol), nsp=nsp, seed=key[1],
                                         max_blocks=protocol.pretraining.max_train_blocks)  # fmt: skip
        p = protocol.pretraining
        steps = steps_for_tokens(lengths[key], p.batch_size, batching=p.batching, seed=seed,
                                 min_real_tokens=p.min_real_tokens)  # fmt: skip
        todo.append(pretrain_run(protocol, arm, seed, steps))
    return Round("pretrain", todo, len(pairs))


def plan_round(protocol: AblationProtocol, stage: str, dev: DevScore = dev_score) -> Round:
    """The next runs of ``stage`` given what is done (empty ``todo``: the stage is complete)."""
    if stage == "pretrain":
        return _pretrain_round(protocol)
    if stage == "budget_curve":
        return _budget_round(protocol, dev)
    return _task_round(protocol, protocol.task(stage), dev)


def write_random_encoders(protocol: AblationProtocol) -> list[Path]:
    """The untrained arms: the recipe's architecture drawn from each seed, never trained."""
    out = []
    for arm in protocol.arms:
        if arm.objective != "none":
            continue
        for seed in arm.seeds:
            card = (f"# {arm.name} (seed {seed})\n\nThe ablation study's untrained control: the "
                    f"`{protocol.pretraining.preset}` architecture initialised with seed {seed}, "
                    "never trained (`python -m spanbert_lab study --protocol study/ablations.toml run`).\n")  # fmt: skip
            p = protocol.pretraining
            out.append(
                save_untrained_encoder(
                    encoder_dir(protocol, arm.name, seed), p.preset, p.block_size, seed, card
                )
            )
    return out


def cap_state(protocol: AblationProtocol) -> dict | None:
    """What ``cap.json`` says: the stage the cap stopped and why (``None``: no stop)."""
    path = protocol.results_dir / "cap.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def projected_hours(protocol: AblationProtocol, dev: DevScore = dev_score) -> dict[str, float]:
    """Per stage, the CPU-hours it will have cost when complete, as far as is known now: what it
    cost so far (wasted sittings included) plus, for the runs still planned, the mean CPU time of
    its finished runs (before any, ``stage_hours`` shared over its planned runs); a stage that
    cannot be planned yet (it needs an earlier stage's selection) counts ``stage_hours``. A
    reading aid for ``study status``: the cap itself is checked as the module docstring says."""
    out = {}
    for stage in protocol.stages:
        cost = stage_cpu_seconds(protocol, stage)
        spent = cost["finished"] + cost["wasted"]
        root = stage_root(protocol, stage)
        done = sum(1 for _ in root.rglob("done.json")) if root.is_dir() else 0
        try:
            round_ = plan_round(protocol, stage, dev)
        except (RuntimeError, FileNotFoundError):
            out[stage] = protocol.stage_hours.get(stage, 0.0)
            continue
        remaining = max(round_.planned - done, len(round_.todo)) if round_.todo else 0
        if done:
            per_run = cost["finished"] / done
        else:
            per_run = protocol.stage_hours.get(stage, 0.0) * 3600 / max(round_.planned, 1)
        out[stage] = (spent + per_run * remaining) / 3600
    return out


def _admit(protocol: AblationProtocol, round_: Round) -> dict | None:
    """``None`` when the stage fits under the cap, else the record of why it does not."""
    spent = spent_seconds(protocol)
    root = stage_root(protocol, round_.stage)
    done = sum(1 for _ in root.rglob("done.json")) if root.is_dir() else 0
    remaining = max(round_.planned - done, len(round_.todo))
    if done:
        estimate, source = cpu_seconds(root) / done * remaining, f"mean of its {done} finished runs"
    else:
        hours = protocol.stage_hours.get(round_.stage, 0.0)
        estimate, source = hours * 3600 * remaining / max(round_.planned, 1), "study.stage_hours"
    cap = protocol.cpu_hour_cap * 3600
    if spent + estimate <= cap:
        return None
    return {
        "stage": round_.stage,
        "spent_hours": spent / 3600,
        "estimate_hours": estimate / 3600,
        "estimate_from": source,
        "cap_hours": protocol.cpu_hour_cap,
        "message": f"stage {round_.stage!r} not started: {spent / 3600:.2f} h spent + "
        f"{estimate / 3600:.2f} h estimated ({source}) > the cap of {protocol.cpu_hour_cap:g} h",
    }


def copy_pretraining_logs(protocol: AblationProtocol) -> list[Path]:
    """Each finished pretraining run's ``metrics.jsonl`` and ``done.json`` (its command and CPU
    time) as ``pretrain/<arm>-seed<s>.jsonl`` and ``.done.json``, for the repository."""
    out = []
    for done in sorted((protocol.runs_dir / "pretrain").glob("*/seed*/done.json")):
        log = done.parent / "metrics.jsonl"
        if log.is_file():
            stem = (
                protocol.results_dir / "pretrain" / f"{done.parent.parent.name}-{done.parent.name}"
            )
            stem.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, stem.with_suffix(".jsonl"))
            shutil.copyfile(done, stem.with_suffix(".done.json"))
            out.append(stem.with_suffix(".jsonl"))
    return out


def run_ablations(
    protocol: AblationProtocol,
    *,
    jobs: int = 2,
    say: Say = print,
    dev: DevScore = dev_score,
    until: str | None = None,
) -> dict[str, str]:
    """Run every stage that is not complete, in order, round by round; stop at the cap.

    Returns ``{stage: "complete" | "stopped by the CPU cap" | "not reached"}``.

    Raises:
        RuntimeError: a run failed (its log is named in what ``say`` printed).
    """
    status = dict.fromkeys(protocol.stages, "not reached")
    cap_file = protocol.results_dir / "cap.json"
    for stage in protocol.stages:
        if stage == "pretrain":
            write_random_encoders(protocol)
        round_ = plan_round(protocol, stage, dev)
        root = stage_root(protocol, stage)
        # begun: a run of it has finished or has at least one sitting on record (a session that
        # stopped inside its first runs must not have the stage checked against the cap again)
        begun = root.is_dir() and any(any(root.rglob(name)) for name in SITTING_FILES)
        if round_.todo and not begun:  # admitted once, when it starts; then run to its end
            stop = _admit(protocol, round_)
            if stop is not None:
                cap_file.parent.mkdir(parents=True, exist_ok=True)
                cap_file.write_text(json.dumps(stop, indent=1) + "\n", encoding="utf-8")
                say(stop["message"])
                status[stage] = "stopped by the CPU cap"
                return status
        while round_.todo:
            failed = [o for o in execute(round_.todo, jobs=jobs, say=say) if o.status != 0]
            if stage == "pretrain":  # the logs of finished encoders, ready to commit
                copy_pretraining_logs(protocol)
            if failed:
                raise RuntimeError(f"{len(failed)} runs of {stage} failed, e.g. {failed[0].key}")
            round_ = plan_round(protocol, stage, dev)
        status[stage] = "complete"
        if (cap_state(protocol) or {}).get("stage") == stage:
            cap_file.unlink()  # the stage the cap once stopped has run since (the cap was raised)
        if stage == until:
            break
    return status
