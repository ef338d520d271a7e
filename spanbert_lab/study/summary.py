"""The study's summary files: ``summary.json`` (every number) and ``summary.md`` (the tables),
plus the study's total CPU cost, summed from the runs' own records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from spanbert_lab.study.protocol import Protocol
from spanbert_lab.study.report import TaskReport

__all__ = ["cost_seconds", "write_summary"]


def cost_seconds(protocol: Protocol) -> float:
    """Wall seconds of every finished run (one thread each, so ≈ CPU seconds)."""
    roots = [protocol.results_dir, Path("runs") / "study"]
    total = 0.0
    for root in roots:
        for done in root.rglob("done.json"):
            total += float(json.loads(done.read_text(encoding="utf-8")).get("seconds", 0.0))
    return total


def _markdown(protocol: Protocol, reports: Sequence[TaskReport]) -> str:
    lines = [
        "# Study summary",
        "",
        f"Protocol: `{protocol.path}`. Test metrics of the learning rate selected on dev "
        "(mean ± sample sd over seeds); the last column is the paired-bootstrap "
        f"{protocol.confidence:.0%} interval of the difference to `{protocol.baseline}`.",
        "",
    ]
    for report in reports:
        task = next(t for t in protocol.tasks if t.name == report.task)
        metric = task.select
        lines += [
            f"## {report.task}",
            "",
            f"| encoder | lr | test {metric} | vs {protocol.baseline} |",
            "|---|---|---|---|",
        ]
        for encoder, metrics in report.test.items():
            m = metrics[metric]
            versus = report.versus_baseline.get(encoder)
            ci = (
                f"{versus['value']:+.2f} [{versus['low']:+.2f}, {versus['high']:+.2f}]"
                if versus
                else "—"
            )
            lines.append(
                f"| `{encoder}` | {report.selected_lr[encoder]:g} | "
                f"{m['mean']:.2f} ± {m['sd']:.2f} (n={m['n']}) | {ci} |"
            )
        lines.append("")
    lines.append(f"Total CPU time of the study's runs: {cost_seconds(protocol) / 3600:.1f} h.")
    return "\n".join(lines) + "\n"


def write_summary(protocol: Protocol, reports: Sequence[TaskReport]) -> Path:
    """Write ``summary.json`` and ``summary.md`` into the results folder; return the JSON path."""
    out = protocol.results_dir / "summary.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "protocol": str(protocol.path),
        "baseline": protocol.baseline,
        "cpu_hours": cost_seconds(protocol) / 3600,
        "tasks": [r.to_dict() for r in reports],
    }
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(_markdown(protocol, reports), encoding="utf-8")
    return out
