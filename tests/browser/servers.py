"""Start JupyterLab (as ``make lab`` does) and Voilà (as ``make classroom`` does) for the tests.

Each server gets a free port on 127.0.0.1 and runs until the test session ends. JupyterLab serves
a temporary copy of the notebooks, so that running cells (and JupyterLab's autosave) can never
touch the stored notebooks, and its own settings folder (full rendering of every cell).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Server:
    """A running server: ``url`` (no trailing slash) and the ``token`` to add to every request."""

    url: str
    token: str

    def page(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return (
            f"{self.url}/{path.lstrip('/')}{sep}token={self.token}"
            if self.token
            else (f"{self.url}/{path.lstrip('/')}")
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    env.update(extra)
    return env


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"server not up after {timeout:.0f} s:\n{log.read_text()[-2000:]}")


@contextmanager
def _running(command: list[str], env: dict[str, str], probe: str, log: Path) -> Iterator[None]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            _wait(probe, proc, log)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def jupyterlab(workdir: Path, notebooks: list[Path]) -> Iterator[Server]:
    """JupyterLab with ``make lab``'s flags over a copy of ``notebooks`` in ``workdir``."""
    served = workdir / "notebooks"
    served.mkdir(parents=True)
    for path in notebooks:
        shutil.copy2(path, served / path.name)
    settings = workdir / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Render every cell (no virtual scrolling), so that every output is in the page to check.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = free_port(), secrets.token_hex(16)
    command = [str(BIN / "jupyter"), "lab", f"--notebook-dir={served}", "--ip=127.0.0.1"]
    command += [f"--port={port}", "--no-browser", f"--IdentityProvider.token={token}"]
    command += ["--LabApp.expose_app_in_browser=True"]  # window.jupyterapp, to run all cells
    if os.getuid() == 0:
        command.append("--allow-root")
    env = _env(
        JUPYTERLAB_SETTINGS_DIR=str(workdir / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(workdir / "lab-workspaces"),
    )
    server = Server(f"http://127.0.0.1:{port}", token)
    with _running(command, env, server.page("api/status"), workdir / "jupyterlab.log"):
        yield server


@contextmanager
def voila(workdir: Path) -> Iterator[Server]:
    """Voilà over ``classroom/`` with the course's offline template, as ``make classroom``."""
    port = free_port()
    command = [str(BIN / "voila"), str(ROOT / "classroom"), "--no-browser", f"--port={port}"]
    command += ["--Voila.ip=127.0.0.1", "--template=classroom"]
    env = _env(JUPYTER_PATH=str(ROOT / "classroom" / ".jupyter"))
    server = Server(f"http://127.0.0.1:{port}", "")
    with _running(command, env, server.page(""), workdir / "voila.log"):
        yield server
