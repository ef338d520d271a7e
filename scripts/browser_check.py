"""Run the real-browser suite (``tests/browser``) by hand, optionally on some notebooks only.

    python scripts/browser_check.py                 # everything, as `make test-browser`
    python scripts/browser_check.py 02_masking qa   # one notebook and one dashboard

It needs Debian's ``chromium`` (``apt-get install -y chromium``) and the pinned ``playwright``
package; screenshots go to ``build/screenshots/``. Extra pytest options follow ``--``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook or dashboard names (pytest -k)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: pytest options")
    args = parser.parse_args(argv)
    command = [sys.executable, "-m", "pytest", "-q", "-rs", str(ROOT / "tests" / "browser")]
    if args.names:
        command += ["-k", " or ".join(args.names)]
    command += [a for a in args.pytest_args if a != "--"]
    env = {**os.environ, "SPANBERT_LAB_BROWSER": "1"}
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
