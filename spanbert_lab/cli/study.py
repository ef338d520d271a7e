"""``python -m spanbert_lab study {run,status,report}``: the controlled pretraining study.

``run`` does every stage that is not done yet, in order — the pilot sweep, pretraining the
encoders (and writing the untrained control), the fine-tuning grid — at most ``--jobs`` processes
at a time, and can be stopped and started again at any moment (``make study``). ``status`` lists
what is done. ``report`` applies the protocol's selection rule and writes ``summary.json`` and
``summary.md`` into the results folder, then copies the fine-tuned models the protocol keeps
(``keep_models``, of the selected learning rate) to the checkpoints folder. Everything follows
``study/protocol.toml``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

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
    p.add_argument("--until", choices=STAGES, default="finetune", help="last stage to run")
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
