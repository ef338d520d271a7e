"""One history format for every training loop: a record per update, a record per evaluation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict


class TrainRecord(TypedDict, total=False):
    """One optimiser update. ``step`` counts updates done, from 1; ``epoch`` from 0. Pretraining
    adds its loss terms (``mlm_loss``, ``sbo_loss``, ``nsp_loss``; ``None`` when not trained),
    ``tokens`` and ``elapsed_s`` (wall time, the only non-reproducible field)."""

    kind: str
    step: int
    epoch: int
    loss: float
    lr: float
    grad_norm: float
    mlm_loss: float | None
    sbo_loss: float | None
    nsp_loss: float | None
    tokens: int
    elapsed_s: float


EvalRecord = dict[str, Any]
"""One evaluation: ``{"kind": "eval", "step", "mlm_loss", "mlm_accuracy", …}``."""


@dataclass
class History:
    """What a training loop returns: one record per update and one per evaluation.

    Attributes:
        train: per update, a :class:`TrainRecord`.
        eval: per evaluation, an :data:`EvalRecord`.
        stopped_by: ``"max_steps"`` or ``"time_budget"``.
        wall_time_s: wall time of this call (a resumed run counts only its own part).
    """

    train: list[TrainRecord] = field(default_factory=list)
    eval: list[EvalRecord] = field(default_factory=list)
    stopped_by: str = "max_steps"
    wall_time_s: float = 0.0

    @property
    def steps(self) -> list[int]:
        """The step of every update."""
        return [r["step"] for r in self.train]

    @property
    def losses(self) -> list[float]:
        """The total training loss of every update."""
        return [r["loss"] for r in self.train]

    def to_dict(self) -> dict[str, Any]:
        """Plain values (what ``json.dumps`` and checkpoints take)."""
        return asdict(self)
