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
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


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


class PageLog:
    """Console errors, uncaught page errors and requests that left the machine."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.external: list[str] = []

    def problems(self) -> list[str]:
        return [f"console error: {e}" for e in self.errors] + [
            f"request to another host: {u}" for u in self.external
        ]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when == "call":
        item.failed_call = outcome.get_result().failed


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    log = PageLog()
    pg = context.new_page()
    pg.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda err: log.errors.append(f"uncaught: {err}"))
    pg.on("request", lambda r: None if r.url.startswith(LOCAL) else log.external.append(r.url))
    pg.log = log  # type: ignore[attr-defined]
    yield pg
    if getattr(request.node, "failed_call", False):  # what the page showed when the test failed
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() else "-" for c in request.node.name)
        pg.screenshot(path=str(SHOTS / f"FAILED-{name}.png"), full_page=True)
    context.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    """``build/screenshots/``, emptied at the start of the session."""
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS
