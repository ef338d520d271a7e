"""Read a pretraining run's ``metrics.jsonl``: one JSON record per evaluation, appended by the loop.

A run that was stopped and resumed appends to the same file; its ``elapsed_s`` starts again from
0 at each resume, and an evaluation may be repeated if the run stopped between logging it and
saving the checkpoint. These helpers turn the file into one clean series and the total training
time over every sitting.

Each sitting of a command-line run first appends a *header* record, ``{"kind": "header", ...}``
with the run's objective, preset, command-line arguments and masking settings
(:func:`append_header`, :func:`read_log_headers`); the readers of the metrics skip it (older
logs have none).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "HEADER_KIND",
    "append_header",
    "history_from_log",
    "log_seconds",
    "read_log_headers",
    "read_metrics_log",
]

#: ``record["kind"]`` of a header record
HEADER_KIND = "header"


def append_header(path: Path, fields: dict[str, Any]) -> None:
    """Append ``{"kind": "header", **fields}`` to ``path`` (created with its folder if missing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"kind": HEADER_KIND, **fields}) + "\n")


def _lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{number}: not a JSON record ({err.msg})") from err
        if not isinstance(row, dict):
            raise ValueError(f"{path}:{number}: not a JSON object")
        rows.append((number, row))
    return rows


def _records(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, row in _lines(path):
        if row.get("kind") == HEADER_KIND:
            continue
        if "step" not in row or "elapsed_s" not in row:
            raise ValueError(f"{path}:{number}: a record needs 'step' and 'elapsed_s'")
        rows.append(row)
    return rows


def read_log_headers(path: Path) -> list[dict[str, Any]]:
    """The header records of ``path``, one per sitting, in order (empty for an older log)."""
    return [row for _, row in _lines(Path(path)) if row.get("kind") == HEADER_KIND]


def read_metrics_log(path: Path) -> list[dict[str, Any]]:
    """The records of ``path``, one per step (a repeated step keeps its last record), by step."""
    by_step = {int(row["step"]): row for row in _records(Path(path))}
    return [by_step[step] for step in sorted(by_step)]


def log_seconds(path: Path) -> float:
    """Training wall time over every sitting: each sitting's last ``elapsed_s``, summed (a new
    sitting shows as ``elapsed_s`` going down). Time after a sitting's last record is not seen."""
    total, last = 0.0, 0.0
    for row in _records(Path(path)):
        elapsed = float(row["elapsed_s"])
        if elapsed < last:
            total += last
        last = elapsed
    return total + last


def history_from_log(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The records as a history mapping (``{"train": [...], "eval": [...]}``) that
    :func:`spanbert_lab.course.plots.pretraining.plot_history` draws: the logged training losses (a
    mean over the updates since the previous record) and the held-out ``dev_*`` numbers."""
    train, evals = [], []
    for row in rows:
        train.append({k: row.get(k) for k in ("step", "mlm_loss", "sbo_loss", "nsp_loss")})
        evals.append(
            {"step": row["step"]}
            | {k.removeprefix("dev_"): v for k, v in row.items() if k.startswith("dev_")}
        )
    return {"train": train, "eval": evals}
