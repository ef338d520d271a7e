"""Move library modules and rewrite every reference to them (a maintenance tool for re-layouts).

Usage: ``python scripts/move_modules.py old.dotted=new.dotted [...]`` (names below
``spanbert_lab``; a package moves with everything in it). Runs ``git mv`` for each move, then
rewrites ``spanbert_lab.old`` → ``spanbert_lab.new`` and ``spanbert_lab/old`` →
``spanbert_lab/new`` in the tracked text files (Python, notebooks, Markdown, configs). Longer names
are rewritten first, so ``qa_decoding`` never matches ``qa``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = {".py", ".ipynb", ".md", ".toml", ".cfg", ".json", ".txt", ".yml", ".yaml", ".sh"}
NAMES = {"Makefile", "run"}


def _source(dotted: str) -> Path:
    base = ROOT / "spanbert_lab" / Path(*dotted.split("."))
    return base if base.is_dir() else base.with_suffix(".py")


def _target(dotted: str, is_dir: bool) -> Path:
    base = ROOT / "spanbert_lab" / Path(*dotted.split("."))
    return base if is_dir else base.with_suffix(".py")


def main(argv: list[str]) -> None:
    moves = [arg.split("=", 1) for arg in argv]
    for old, new in moves:
        src = _source(old)
        if not src.exists():
            raise SystemExit(f"nothing to move at {src}")
        dst = _target(new, src.is_dir())
        dst.parent.mkdir(parents=True, exist_ok=True)
        init = dst.parent / "__init__.py"
        if dst.parent != ROOT / "spanbert_lab" and not init.exists():
            init.write_text('"""(package)"""\n')
            subprocess.run(["git", "add", str(init)], check=True, cwd=ROOT)
        subprocess.run(["git", "mv", str(src), str(dst)], check=True, cwd=ROOT)
    patterns = []
    for old, new in sorted(moves, key=lambda m: -len(m[0])):
        for sep in (".", "/"):
            o, n = old.replace(".", sep), new.replace(".", sep)
            patterns.append(
                (
                    re.compile(rf"\bspanbert_lab{re.escape(sep + o)}(?![\w])"),
                    f"spanbert_lab{sep}{n}",
                )
            )
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    for name in files:
        path = ROOT / name
        if not path.is_file() or (path.suffix not in SUFFIXES and path.name not in NAMES):
            continue
        if name.startswith("data/") and path.suffix not in {".md"}:
            continue
        text = path.read_text(encoding="utf-8")
        new_text = text
        for pattern, repl in patterns:
            new_text = pattern.sub(repl, new_text)
        if new_text != text:
            path.write_text(new_text, encoding="utf-8")
            print("rewrote", name)


if __name__ == "__main__":
    main(sys.argv[1:])
