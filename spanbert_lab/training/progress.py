"""Progress for long loops: one plain line per epoch or evaluation, never a progress bar.

Why not ``tqdm``? In Jupyter, ``tqdm.auto`` draws a widget and updates it several times a second.
Every update is a message on the kernel's IOPub channel. A cell that trains for minutes sends
thousands of them; a client that only reads IOPub after the cell has finished (nbval does:
it waits for the execute reply first) finds the channel's high-water mark (1,000 messages at
each end in ZeroMQ) full, and ZeroMQ's publish socket silently *drops* messages, among them
the final "idle" status that nbval waits for. nbval then fails with "Timeout of 5 seconds
exceeded waiting for output" — more often on a busy machine, where the same cell runs longer.
``tests/test_progress.py`` shows the failure mode and that these lines stay far below it.

A :class:`ProgressLog` writes a handful of lines for a whole run, which reads well in a
terminal, in a notebook and in a log file alike.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

__all__ = ["ProgressLog", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``75.3`` -> ``'1 min 15 s'``; ``4.2`` -> ``'4 s'``; hours when they matter."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class ProgressLog:
    """Writes ``label  step 120/400 (30%)  loss 2.31 …  12 s elapsed, ~28 s left`` lines.

    Args:
        label: what is running (``"fine-tuning"``, ``"pretraining"``).
        total_steps: the planned number of steps; the time left is extrapolated from it.
        enabled: ``False`` writes nothing (the loops' ``progress=False``).
        write: where a line goes; standard output by default (what a notebook shows).
        clock: the time source (tests pass a fake one).
    """

    def __init__(
        self,
        label: str,
        total_steps: int,
        *,
        enabled: bool = True,
        write: Callable[[str], None] = _stdout,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if total_steps < 1:
            raise ValueError(f"total_steps must be >= 1, got {total_steps}")
        self.label, self.total_steps, self.enabled = label, total_steps, enabled
        self._write, self._clock = write, clock
        self._start = clock()
        self._start_step: int | None = None
        self.lines: list[str] = []

    def restart(self, step: int = 0) -> None:
        """Start the clock now, at ``step`` (a resumed run starts past 0)."""
        self._start, self._start_step = self._clock(), step

    def line(self, step: int, **values: float | str) -> str:
        """Write one line for ``step`` with ``values`` (floats get 4 significant digits)."""
        if self._start_step is None:
            self._start_step = 0
        elapsed = self._clock() - self._start
        done = step - self._start_step
        parts = [
            self.label,
            f"step {step}/{self.total_steps} ({100 * step / self.total_steps:.0f}%)",
        ]
        parts += [f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items()]
        timing = f"{format_seconds(elapsed)} elapsed"
        if done > 0 and step < self.total_steps:
            left = elapsed / done * (self.total_steps - step)
            timing += f", ~{format_seconds(left)} left"
        parts.append(timing)
        text = "  ".join(parts)
        self.lines.append(text)
        if self.enabled:
            self._write(text)
        return text
