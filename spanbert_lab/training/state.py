"""The position of a training loop: exactly what a checkpoint holds besides the weights and the
optimiser/scheduler states."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spanbert_lab.training.history import History


@dataclass
class LoopState:
    """Where a loop is.

    Attributes:
        step: optimiser updates done.
        epoch: the current epoch (from 0).
        batch_in_epoch: batches of ``epoch`` already used.
        history: the records so far.
        rng_states: one ``checkpoint.capture_rng_state()`` per process, by rank (filled when
            saving, read when resuming).
    """

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    history: History = field(default_factory=History)
    rng_states: list[dict[str, Any]] = field(default_factory=list)

    def checkpoint_fields(self) -> dict[str, Any]:
        """The loop's part of ``trainer_state.pt`` (``step`` and ``rng_states`` are passed to
        ``save_checkpoint`` by name)."""
        return {
            "epoch": self.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "history": {"train": self.history.train, "eval": self.history.eval},
        }

    @classmethod
    def from_checkpoint(cls, state: Mapping[str, Any]) -> LoopState:
        """The loop state stored by ``save_checkpoint`` (what ``load_checkpoint`` returns)."""
        missing = [k for k in ("step", "epoch", "batch_in_epoch", "history") if k not in state]
        if missing:
            raise ValueError(f"checkpoint state lacks {missing}: not a training checkpoint")
        history = History(
            train=list(state["history"]["train"]), eval=list(state["history"]["eval"])
        )
        return cls(
            step=int(state["step"]),
            epoch=int(state["epoch"]),
            batch_in_epoch=int(state["batch_in_epoch"]),
            history=history,
            rng_states=list(state.get("rng_states", [])),
        )
