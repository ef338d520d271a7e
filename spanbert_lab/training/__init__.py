"""What pretraining and fine-tuning share: one optimiser update (:func:`train_step`), one history
format (:class:`History`) and one loop state (:class:`LoopState`, exactly what a checkpoint holds).
"""

from spanbert_lab.training.history import EvalRecord, History, TrainRecord
from spanbert_lab.training.state import LoopState
from spanbert_lab.training.step import StepResult, autocast_for, train_step

__all__ = [
    "EvalRecord",
    "History",
    "LoopState",
    "StepResult",
    "TrainRecord",
    "autocast_for",
    "train_step",
]
