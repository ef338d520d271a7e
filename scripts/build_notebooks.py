"""Build the course notebooks from their sources and store them executed, with outputs.

Each notebook is written as a plain Python file in the "percent" format under
``notebooks/source/`` (easy to review and diff)::

    # %% [markdown]
    # # A title
    # Some prose.

    # %% tags=["nbval-ignore-output"]
    train(...)

This script turns ``notebooks/source/NN_name.py`` into ``notebooks/NN_name.ipynb``, formats it
with ruff, executes it top to bottom in a fresh kernel from ``notebooks/`` (the fast profile, hub
offline) and stores it with its outputs. ``tests/test_notebook_sources.py`` checks that the stored
notebooks still match their sources.

It is also the one source of the course's runtimes: each build records the notebook's execution
time and its slowest cell in ``notebooks/runtimes.json`` and rewrites the runtime column of the
README's course map from that file (``spanbert_lab.tools.runtimes`` reads it for notebook 00 and the
tests). Build on a quiet machine: the numbers are what learners are told to expect.

Usage: ``python scripts/build_notebooks.py [NN_name ...]`` (all notebooks when none is given).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from spanbert_lab.tools.runtimes import cell_seconds, record_runtime, update_readme

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "source"
CELL = re.compile(r"^# %%(?P<md> \[markdown\])?(?:\s+tags=(?P<tags>\[.*\]))?\s*$")


def parse_source(text: str) -> list[nbformat.NotebookNode]:
    """Cells of a percent-format source, in order."""
    cells: list[nbformat.NotebookNode] = []
    kind, tags, lines = None, [], []

    def flush() -> None:
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(_uncomment(line) for line in body.splitlines())
            cell = nbformat.v4.new_markdown_cell(body)
        else:
            cell = nbformat.v4.new_code_cell(body)
        if tags:
            cell.metadata["tags"] = tags
        cells.append(cell)

    for line in text.splitlines():
        match = CELL.match(line)
        if match:
            flush()
            kind = "markdown" if match.group("md") else "code"
            tags = json.loads(match.group("tags")) if match.group("tags") else []
            lines = []
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def _uncomment(line: str) -> str:
    if line.startswith("# "):
        return line[2:]
    return line[1:] if line.startswith("#") else line


def build(name: str, *, timeout: int = 900) -> float:
    """Convert, format, execute and store one notebook; return the execution time in seconds."""
    source = SOURCES / f"{name}.py"
    target = NOTEBOOKS / f"{name}.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = parse_source(source.read_text(encoding="utf-8"))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, target)
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(target)], check=True)
    nb = nbformat.read(target, as_version=4)
    env_before = dict(os.environ)
    os.environ.update(
        {
            "SPANBERT_LAB_PROFILE": "fast",
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PYTHONHASHSEED": "0",
            "TQDM_DISABLE": os.environ.get("TQDM_DISABLE", ""),
        }
    )
    start = time.perf_counter()
    try:
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS)}},
            store_widget_state=True,
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None) if not _has_widgets(nb) else None
    nbformat.write(nb, target)
    record_runtime(name, elapsed, cell_seconds(nb))
    return elapsed


def _has_widgets(nb: nbformat.NotebookNode) -> bool:
    return any(
        "application/vnd.jupyter.widget-view+json" in out.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build and execute the course notebooks.")
    parser.add_argument("names", nargs="*", help="notebook names without extension (default: all)")
    args = parser.parse_args(argv)
    # 00_welcome shows the measured runtimes of the others: when building all, build it last.
    names = args.names or sorted(
        (p.stem for p in SOURCES.glob("*.py")), key=lambda n: (n == "00_welcome", n)
    )
    for name in names:
        name = Path(name).stem
        if not (SOURCES / f"{name}.py").exists():
            parser.exit(2, f"error: no source notebooks/source/{name}.py\n")
        seconds = build(name)
        slowest = max(cell_seconds(nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)))
        print(f"{name}: executed in {seconds:.0f} s (slowest cell {slowest:.0f} s)")
    update_readme()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
