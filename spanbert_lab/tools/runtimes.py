"""The course's measured notebook runtimes: one file, written by the build, read everywhere else.

``scripts/build_notebooks.py`` executes each notebook and records how long it took (and its
slowest cell) in ``notebooks/runtimes.json``. The README's course map and notebook 00 state
runtimes *from that file*, and ``tests/test_runtimes.py`` fails when a stated runtime and the
measured one disagree by more than a factor of two, so the course never promises a learner one
minute for a lesson that takes five.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from spanbert_lab.runtime import repo_root

__all__ = [
    "cell_seconds",
    "format_runtime",
    "load_runtimes",
    "parse_runtime",
    "readme_runtimes",
    "record_runtime",
    "runtime_table",
    "runtimes_path",
    "update_readme",
]

_ROW = re.compile(
    r"^\| \[`(?P<name>[0-9a-z_]+)`\]\(notebooks/(?P=name)\.ipynb\) \|(?P<mid>.*)\| (?P<time>[^|]*) \|$"
)


def runtimes_path() -> Path:
    """``notebooks/runtimes.json`` in the course checkout."""
    return repo_root() / "notebooks" / "runtimes.json"


def load_runtimes(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """``{notebook: {"seconds", "slowest_cell_s", "cells", "built"}}`` ({} before the first build).

    Raises:
        ValueError: the file exists but is not the JSON object the build writes.
    """
    path = path or runtimes_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err}); rebuild with `make notebooks`") from err
    if not isinstance(data, dict) or not isinstance(data.get("notebooks"), dict):
        raise ValueError(f"{path}: expected an object with a 'notebooks' mapping")
    return data["notebooks"]


def cell_seconds(nb: Mapping[str, Any]) -> list[float]:
    """Execution time of every executed code cell, from the timing nbclient stores in metadata."""
    out = []
    for cell in nb["cells"]:
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.get("cell_type") == "code" and "shell.execute_reply" in timing:
            start = timing.get("iopub.execute_input") or timing.get("shell.execute_reply.started")
            if start is None:
                continue
            seconds = _timestamp(timing["shell.execute_reply"]) - _timestamp(start)
            out.append(round(seconds.total_seconds(), 2))
    return out


def _timestamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def record_runtime(
    name: str, seconds: float, cells: list[float], path: Path | None = None
) -> dict[str, Any]:
    """Store one notebook's build time (whole notebook and slowest cell) in ``runtimes.json``."""
    path = path or runtimes_path()
    data: dict[str, Any] = {"notebooks": load_runtimes(path)}
    entry = {
        "seconds": round(seconds, 1),
        "slowest_cell_s": round(max(cells, default=0.0), 1),
        "cells": len(cells),
        "built": dt.date.today().isoformat(),
    }
    data["notebooks"][name] = entry
    data["notebooks"] = dict(sorted(data["notebooks"].items()))
    data["machine"] = (
        f"{platform.machine()}, {torch.get_num_threads()} torch threads in the builder"
    )
    data["profile"] = "fast"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return entry


def format_runtime(seconds: float) -> str:
    """How the course states a runtime: ``~5 s``, ``~40 s``, ``~1.5 min``, ``~4 min``."""
    if seconds < 55:
        return f"~{max(5, round(seconds / 5) * 5)} s"
    minutes = seconds / 60
    if minutes < 3:
        return f"~{round(minutes * 2) / 2:g} min"
    return f"~{round(minutes):d} min"


def parse_runtime(text: str) -> float:
    """Seconds stated by a runtime text (``~40 s``, ``~1.5 min``, ``6–7 min``: the midpoint).

    Raises:
        ValueError: no duration in ``text``.
    """
    match = re.search(r"(\d+(?:\.\d+)?)(?:\s*[–-]\s*(\d+(?:\.\d+)?))?\s*(s|sec|min)\b", text)
    if match is None:
        raise ValueError(f"no runtime in {text!r}")
    low = float(match.group(1))
    high = float(match.group(2)) if match.group(2) else low
    return (low + high) / 2 * (60 if match.group(3) == "min" else 1)


def readme_runtimes(readme: Path | None = None) -> dict[str, str]:
    """The runtime column of the README's course map, ``{notebook: "~40 s"}``."""
    readme = readme or repo_root() / "README.md"
    rows = (_ROW.match(line) for line in readme.read_text(encoding="utf-8").splitlines())
    return {m["name"]: m["time"].strip() for m in rows if m}


def update_readme(readme: Path | None = None, runtimes: Mapping[str, Any] | None = None) -> int:
    """Rewrite the README course map's runtime column from ``runtimes.json``; rows changed."""
    readme = readme or repo_root() / "README.md"
    runtimes = load_runtimes() if runtimes is None else runtimes
    lines, changed = readme.read_text(encoding="utf-8").splitlines(keepends=True), 0
    for i, line in enumerate(lines):
        match = _ROW.match(line.rstrip("\n"))
        if match and match["name"] in runtimes:
            stated = format_runtime(runtimes[match["name"]]["seconds"])
            new = f"| [`{match['name']}`](notebooks/{match['name']}.ipynb) |{match['mid']}| {stated} |\n"
            changed += new != line
            lines[i] = new
    readme.write_text("".join(lines), encoding="utf-8")
    return changed


def runtime_table(runtimes: Mapping[str, Any] | None = None) -> str:
    """A Markdown table of the measured runtimes, for notebook 00."""
    runtimes = load_runtimes() if runtimes is None else runtimes
    rows = ["| notebook | runtime on a 2-core CPU | slowest cell |", "|---|---|---|"]
    for name, entry in runtimes.items():
        rows.append(
            f"| `{name}` | {format_runtime(entry['seconds'])} | {entry['slowest_cell_s']:.0f} s |"
        )
    total = sum(entry["seconds"] for entry in runtimes.values())
    rows.append(f"| **all** | {format_runtime(total)} | |")
    return "\n".join(rows)
