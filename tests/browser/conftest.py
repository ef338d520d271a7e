"""Real-browser tests (headless Chromium driven by playwright): ``make test-browser``.

Not collected by the plain ``pytest tests`` run: they need Debian's ``chromium`` and start servers,
so they run only with ``SPANBERT_LAB_BROWSER=1`` (what ``make test-browser`` sets).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

if os.environ.get("SPANBERT_LAB_BROWSER") != "1":
    collect_ignore_glob = ["test_*.py"]

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    """``build/screenshots/``, emptied at the start of the session."""
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS
