"""Open the course in a real browser, run a notebook and move one of its sliders.

A manual check (not part of ``make test``: it needs Chromium and the ``playwright`` package):

    python scripts/browser_check.py --notebook 01_attention.ipynb --screenshot build/browser.png

It starts JupyterLab the way ``make lab`` does (on a free port, with a token), opens the notebook in
headless Chromium, runs every cell, drags the first slider of the first widget one step to the
right, checks that the widget redrew, saves a screenshot and stops the server.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", default="01_attention.ipynb")
    parser.add_argument("--screenshot", type=Path, default=ROOT / "build" / "browser.png")
    parser.add_argument("--timeout", type=float, default=240.0)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port, token = free_port(), secrets.token_hex(16)
    jupyter = Path(sys.executable).with_name("jupyter")
    server = subprocess.Popen(
        [
            str(jupyter),
            "lab",
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            "--LabApp.expose_app_in_browser=True",
            "--notebook-dir",
            str(ROOT / "notebooks"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(1)
        else:
            raise SystemExit("JupyterLab did not start")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=shutil.which("chromium"),
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                ],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/lab/tree/{args.notebook}?token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            page.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000
            )
            page.keyboard.press("Escape")
            page.locator(".jp-Notebook").click()
            page.wait_for_function("window.jupyterapp !== undefined", timeout=60_000)
            time.sleep(3)  # let the kernel connect
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            time.sleep(5)
            page.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=args.timeout * 1000
            )
            args.screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.screenshot.with_suffix(".run.png")), full_page=False)
            slider = page.locator(
                ".widget-slider .noUi-handle, .widget-slider input[type=range]"
            ).first
            try:
                slider.wait_for(timeout=30_000)
            except Exception:
                page.screenshot(path=str(args.screenshot), full_page=False)
                raise
            slider.scroll_into_view_if_needed()
            readout = page.locator(".widget-readout").first
            before = readout.inner_text()
            slider.focus()
            page.keyboard.press("ArrowRight")
            time.sleep(2)
            after = readout.inner_text()
            args.screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.screenshot), full_page=False)
            errors = page.locator(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
            ).count()
            browser.close()
        print(
            f"slider readout {before!r} -> {after!r}; stderr outputs: {errors}; screenshot: {args.screenshot}"
        )
        return 0 if before != after else 1
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
