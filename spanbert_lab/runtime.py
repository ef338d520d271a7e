"""Runtime helpers: one setup call per notebook, the device helper and the course profile.

Every notebook starts with ``setup_notebook()``. It fixes the seeds, the thread count and
deterministic algorithms, sets the progress-bar and plot defaults, and returns a small
:class:`Runtime` record (device, profile, seed) instead of printing anything machine-specific.

The *profile* is read in one place, :func:`get_profile`: ``fast`` (the default, what CI runs and
what the stored notebook outputs show) or ``full`` (larger runs for learners with time or a GPU),
chosen with the environment variable ``SPANBERT_LAB_PROFILE``.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch

Profile = Literal["fast", "full"]
PROFILE_ENV = "SPANBERT_LAB_PROFILE"
_PROFILES: tuple[Profile, ...] = ("fast", "full")


@dataclass(frozen=True)
class Runtime:
    """What ``setup_notebook`` fixed: the device to use, the profile and the seed."""

    device: torch.device
    profile: Profile
    seed: int

    def __repr__(self) -> str:  # stable text, so that nbval can compare it on any machine
        return f"Runtime(profile={self.profile!r}, seed={self.seed})"


def get_profile() -> Profile:
    """The course profile from ``$SPANBERT_LAB_PROFILE`` (``fast`` when unset).

    Raises:
        ValueError: the variable holds something other than ``fast`` or ``full``.
    """
    value = os.environ.get(PROFILE_ENV, "fast").strip().lower() or "fast"
    if value not in _PROFILES:
        raise ValueError(f"{PROFILE_ENV}={value!r} is not a profile; choose one of {_PROFILES}")
    return value  # type: ignore[return-value]


def get_device(prefer: str | None = None) -> torch.device:
    """The best available device: CUDA, then Apple MPS, then CPU.

    Args:
        prefer: force a device (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``); ``None`` picks.

    Raises:
        ValueError: ``prefer`` names a device that is not available here.
    """
    if prefer is not None:
        device = torch.device(prefer)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {prefer!r} requested but CUDA is not available")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise ValueError(f"device {prefer!r} requested but MPS is not available")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's *global* generators.

    Library code never draws from these (it takes explicit ``torch.Generator`` objects); this only
    makes the learner's own notebook code repeatable.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def setup_notebook(
    seed: int = 0,
    *,
    threads: int | None = 1,
    deterministic: bool = True,
    device: str | None = None,
) -> Runtime:
    """The one call at the top of every notebook.

    Seeds the global generators, sets torch's thread count (one by default), turns on
    deterministic algorithms, turns widget progress bars off and sets the course's plot style.
    Prints nothing.

    One thread is the default on purpose. The course's models are tiny, so a second thread saves
    little on an idle machine; on a busy one it is ruinous: OpenMP's threads wait for each other
    at every operation, and a step of notebook 03's toy model measured 16 ms with one thread and
    978 ms with two while another process kept one of the two cores busy.

    Args:
        seed: seed for the global generators.
        threads: torch intra-op threads (1 by default, see above); ``None`` leaves torch's default.
        deterministic: call ``torch.use_deterministic_algorithms(True, warn_only=True)``.
        device: force a device (see :func:`get_device`).

    Returns:
        A :class:`Runtime` with the chosen device, the profile and the seed.
    """
    seed_everything(seed)
    if threads is not None:
        torch.set_num_threads(threads)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _quiet_progress_bars()
    _set_plot_style()
    return Runtime(device=get_device(device), profile=get_profile(), seed=seed)


def repo_root() -> Path:
    """The course checkout (the folder holding ``data/`` and ``notebooks/``)."""
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The course's shipped data folder, overridable with ``$SPANBERT_LAB_DATA``."""
    override = os.environ.get("SPANBERT_LAB_DATA")
    return Path(override) if override else repo_root() / "data"


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' load report and progress bars while loading a checkpoint.

    A course checkpoint loaded into another class (say ``BertModel``) legitimately leaves head
    weights unused; the report would fill the notebook and print machine paths.
    """
    # imported here: `import spanbert_lab` (this module) must not pay for transformers
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        with transformers_bars_off():
            yield
    finally:
        hf_logging.set_verbosity(verbosity)


@contextlib.contextmanager
def transformers_bars_off() -> Iterator[None]:
    """Switch transformers' progress bars off for the ``with`` block only (e.g. the "Writing
    model shards" bar of ``save_pretrained``), then back to what they were."""
    from transformers.utils import logging as hf_logging  # see quiet_transformers

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def _quiet_progress_bars() -> None:
    # The course's loops print one line per epoch (spanbert_lab.training.progress). A third-party bar
    # (datasets, transformers) in a notebook would be a widget updated several times a second,
    # flooding the kernel's IOPub channel (see progress.py): switch those off. Imported here:
    # both are optional and heavy, and this module is imported by `import spanbert_lab`.
    with contextlib.suppress(ImportError):
        import datasets

        datasets.disable_progress_bars()
    with contextlib.suppress(ImportError):
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


def _set_plot_style() -> None:
    import matplotlib as mpl  # imported here: only notebooks need plots (`import spanbert_lab`)

    # In a notebook kernel, draw inline even when $MPLBACKEND asks for a headless backend.
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython ships with the course environment
        shell = None
    if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
        shell.run_line_magic("matplotlib", "inline")

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 120,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "image.cmap": "viridis",
        }
    )
