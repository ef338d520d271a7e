"""``python -m spanbert_lab study {run,status,report}``: the controlled pretraining study.

``run`` does every stage that is not done yet, in order — the pilot sweep, pretraining the
encoders (and writing the untrained control), the fine-tuning grid — at most ``--jobs`` processes
at a time, and can be stopped and started again at any moment (``make study``). ``status`` lists
what is done. ``report`` applies the protocol's selection rule and writes ``summary.json`` and
``summary.md`` into the results folder, then copies the fine-tuned models the protocol keeps
(``keep_models``, of the selected learning rate) to the checkpoints folder. Everything follows
``study/protocol.toml``.

``--protocol study/ablations.toml`` (any protocol with ``[[arms]]``) runs the ablation study
instead (:mod:`spanbert_lab.tools.study.ablations`, ``make ablations``): ``run`` does its stages in
order (pretraining every arm and seed, then each task's learning-rate selection and seeds, then
the budget curve), stopping before a stage that would cross the CPU-hour cap; ``status`` lists
the stages, runs and CPU time; ``report`` writes ``summary.json`` / ``summary.md`` and ships one
encoder per arm.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from spanbert_lab.tools.study.ablations.protocol import is_ablation_protocol, load_ablations
from spanbert_lab.tools.study.ablations.report import ship_encoders, stage_status, write_report
from spanbert_lab.tools.study.ablations.stages import (
    cap_state,
    projected_hours,
    run_ablations,
    spent_seconds,
    stage_cpu_seconds,
    stage_root,
)
from spanbert_lab.tools.study.plan import Recipe, finetune_runs
from spanbert_lab.tools.study.protocol import Protocol, load_protocol
from spanbert_lab.tools.study.report import report_task
from spanbert_lab.tools.study.ship import ship_models
from spanbert_lab.tools.study.stages import (
    encoder_state,
    run_finetuning,
    run_pilot,
    run_pretraining,
)
from spanbert_lab.tools.study.summary import copy_pretraining_logs, cost_seconds, write_summary

__all__ = ["main"]

STAGES = ("pilot", "pretrain", "finetune")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m spanbert_lab study", description=__doc__)
    p.add_argument("action", choices=("run", "status", "report"))
    p.add_argument("--protocol", type=Path, default=Path("study/protocol.toml"))
    p.add_argument("--jobs", type=int, default=2, help="processes at a time (default 2)")
    p.add_argument(
        "--partial",
        action="store_true",
        help="report: summarise the tasks whose runs are all done, list the others as missing",
    )
    p.add_argument(
        "--ship",
        nargs="+",
        metavar="ARM",
        help="ablation report: ship only these arms' seed-0 encoders (default: every arm's; each "
        "is about 5 MB of the repository)",
    )
    p.add_argument(
        "--until",
        help=f"last stage to run (the first study: one of {STAGES}, default finetune; the "
        "ablation study: a stage of its protocol, default all)",
    )
    p.add_argument(
        "--tasks",
        nargs="+",
        metavar="TASK",
        help="fine-tune only these tasks of the protocol, in this order (default: all, in the "
        "protocol's order); the rest stay to do for a later run",
    )
    return p


def _report(protocol: Protocol, *, partial: bool) -> int:
    names = [e.name for e in protocol.encoders]
    reports, missing = [], []
    for task in protocol.tasks:
        try:
            reports.append(report_task(protocol, task, names))
        except FileNotFoundError as err:
            missing.append(task.name)
            print(f"{'note' if partial else 'error'}: {task.name}: {err}")
    if missing and not partial:
        return 2
    copy_pretraining_logs(protocol)
    path = write_summary(protocol, reports, missing=missing)
    print(f"wrote {path} and {path.with_suffix('.md')}")
    if missing:
        print(f"incomplete: {missing} left out (their runs are not all done)")
    try:
        shipped = ship_models(protocol, reports)
    except FileNotFoundError as err:
        print(f"error: {err}")
        return 2
    for folder in shipped:
        print(f"shipped {folder}")
    return 0


def _ablations(args: argparse.Namespace) -> int:
    try:
        protocol = load_ablations(args.protocol)
    except (OSError, ValueError) as err:
        print(f"error: {err}")
        return 2
    if args.until is not None and args.until not in protocol.stages:
        print(f"error: --until {args.until!r}: the stages are {protocol.stages}")
        return 2
    if args.action == "run":
        run_ablations(protocol, jobs=args.jobs, say=print, until=args.until)
        return 0  # a stage stopped by the cap is an outcome of the protocol: the report says it
    if args.action == "status":
        for stage, state in stage_status(protocol).items():
            root = stage_root(protocol, stage)
            done = sum(1 for _ in root.rglob("done.json")) if root.is_dir() else 0
            cost = stage_cpu_seconds(protocol, stage)
            wasted = f" (+{cost['wasted'] / 3600:.2f} in unfinished or redone sittings)"
            print(
                f"{stage}: {state}, {done} runs done, {cost['finished'] / 3600:.2f} CPU-hours"
                + (wasted if cost["wasted"] else "")
            )
        total = spent_seconds(protocol) / 3600
        print(f"CPU time so far: {total:.2f} h of the {protocol.cpu_hour_cap:g} h cap")
        projected = projected_hours(protocol)
        print(
            f"projected at the end: {sum(projected.values()):.1f} h ("
            + ", ".join(f"{s} {h:.1f}" for s, h in projected.items())
            + "; mean cost of each stage's finished runs, else its stage_hours)"
        )
        cap = cap_state(protocol)
        if cap is not None:
            print(cap["message"])
        return 0
    try:
        path = write_report(protocol, partial=args.partial)
    except FileNotFoundError as err:
        print(f"error: {err}")
        return 2
    print(f"wrote {path} and {path.with_suffix('.md')}")
    for folder in ship_encoders(protocol, arms=args.ship):
        print(f"shipped {folder}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if is_ablation_protocol(args.protocol):
        return _ablations(args)
    if args.until is None:
        args.until = "finetune"
    if args.until not in STAGES:
        print(f"error: --until {args.until!r}: choose one of {STAGES}")
        return 2
    try:
        protocol = load_protocol(args.protocol)
    except (OSError, ValueError) as err:
        print(f"error: {err}")
        return 2
    if args.action == "status":
        runs = finetune_runs(protocol, protocol.encoders)
        done = sum(r.done for r in runs)
        pilot = protocol.results_dir / "pilot.json"
        print(f"pilot: {'done' if pilot.is_file() else 'not done'}")
        for encoder in protocol.encoders:
            print(f"encoder {encoder.name}: {encoder_state(protocol, encoder)}")
        print(f"fine-tuning: {done} of {len(runs)} runs done")
        print(f"CPU time so far: {cost_seconds(protocol) / 3600:.2f} h")
        return 0
    if args.action == "report":
        return _report(protocol, partial=args.partial)
    names = [t.name for t in protocol.tasks]
    unknown = [t for t in args.tasks or () if t not in names]
    if unknown:
        print(f"error: --tasks {unknown}: the protocol's tasks are {names}")
        return 2
    pilot = protocol.results_dir / "pilot.json"
    if pilot.is_file():
        recipe = Recipe(**json.loads(pilot.read_text(encoding="utf-8"))["recipe"])
    else:
        recipe = run_pilot(protocol, jobs=args.jobs, say=print)
    if args.until == "pilot":
        return 0
    run_pretraining(protocol, recipe, jobs=args.jobs, say=print)
    if args.until == "pretrain":
        return 0
    run_finetuning(protocol, jobs=args.jobs, say=print, tasks=args.tasks)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
