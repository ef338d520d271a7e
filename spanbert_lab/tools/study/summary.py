"""The study's summary files: ``summary.json`` (every number) and ``summary.md`` (the tables),
plus the study's total CPU cost, summed from the runs' own records."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from spanbert_lab.pretrain.metrics_log import log_seconds
from spanbert_lab.tools.study.plan import RUNS_DIR
from spanbert_lab.tools.study.protocol import Protocol
from spanbert_lab.tools.study.report import TaskReport

__all__ = ["copy_pretraining_logs", "cost_seconds", "write_summary"]


def cost_seconds(protocol: Protocol) -> float:
    """Wall seconds of every finished run (one thread each, so ≈ CPU seconds). A pretraining run
    that was stopped and resumed counts every sitting (its ``metrics.jsonl``), not only the last."""
    roots = [protocol.results_dir, RUNS_DIR]
    total = 0.0
    for root in roots:
        for done in root.rglob("done.json"):
            seconds = float(json.loads(done.read_text(encoding="utf-8")).get("seconds", 0.0))
            log = done.parent / "metrics.jsonl"
            total += max(seconds, log_seconds(log)) if log.is_file() else seconds
    return total


def copy_pretraining_logs(protocol: Protocol) -> list[Path]:
    """Each study encoder's ``metrics.jsonl`` (its learning curve), copied next to the results
    as ``pretrain/<encoder>.jsonl``, so the notebooks can draw it without the run folders."""
    written = []
    for encoder in protocol.encoders:
        log = RUNS_DIR / encoder.name / "metrics.jsonl"
        if (RUNS_DIR / encoder.name / "done.json").is_file() and log.is_file():
            out = protocol.results_dir / "pretrain" / f"{encoder.name}.jsonl"
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, out)
            written.append(out)
    return written


def _ci(versus: dict[str, float] | None) -> str:
    if not versus:
        return "—"
    return f"{versus['value']:+.2f} [{versus['low']:+.2f}, {versus['high']:+.2f}]"


def _markdown(protocol: Protocol, reports: Sequence[TaskReport], missing: Sequence[str]) -> str:
    lines = [
        "# Study summary",
        "",
        f"Protocol: `{protocol.path}`. Test metrics of the learning rate selected on dev "
        "(mean ± sample sd over seeds); the last columns are each encoder's difference to "
        f"`{protocol.baseline}` and to `{protocol.control}` with its paired-bootstrap "
        f"{protocol.confidence:.0%} interval.",
        "",
    ]
    for report in reports:
        task = next(t for t in protocol.tasks if t.name == report.task)
        metric = task.select
        lines += [
            f"## {report.task}",
            "",
            f"| encoder | lr | test {metric} | vs {protocol.baseline} | vs {protocol.control} |",
            "|---|---|---|---|---|",
        ]
        for encoder, metrics in report.test.items():
            m = metrics[metric]
            lines.append(
                f"| `{encoder}` | {report.selected_lr[encoder]:g} | "
                f"{m['mean']:.2f} ± {m['sd']:.2f} (n={m['n']}) | "
                f"{_ci(report.versus_baseline.get(encoder))} | "
                f"{_ci(report.versus_control.get(encoder))} |"
            )
        lines.append("")
    if missing:
        lines += [f"**Incomplete:** not all runs of {', '.join(missing)} are done yet.", ""]
    lines.append(f"Total CPU time of the study's runs: {cost_seconds(protocol) / 3600:.1f} h.")
    return "\n".join(lines) + "\n"


def write_summary(
    protocol: Protocol, reports: Sequence[TaskReport], *, missing: Sequence[str] = ()
) -> Path:
    """Write ``summary.json`` and ``summary.md`` into the results folder; return the JSON path.
    ``missing`` names the tasks left out because their runs are not all done (``complete`` is
    then false)."""
    out = protocol.results_dir / "summary.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "protocol": str(protocol.path),
        "baseline": protocol.baseline,
        "control": protocol.control,
        "cpu_hours": cost_seconds(protocol) / 3600,
        "complete": not missing,
        "missing_tasks": list(missing),
        "tasks": [r.to_dict() for r in reports],
    }
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(_markdown(protocol, reports, missing), encoding="utf-8")
    return out
