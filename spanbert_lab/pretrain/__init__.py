"""Pretraining: the loop, its data, the named objectives, evaluation and what a run leaves behind.

- :mod:`~spanbert_lab.pretrain.loop`: :func:`train`, the plain-torch, step-bounded, resumable loop;
  :mod:`~spanbert_lab.pretrain.config` (:class:`TrainConfig`) and
  :mod:`~spanbert_lab.pretrain.batches` (the data order and the global batches);
- :mod:`~spanbert_lab.pretrain.data`: the corpus packed into blocks, cached on disk;
- :mod:`~spanbert_lab.pretrain.recipes`: the named objectives, a fresh model and a run's data;
- :mod:`~spanbert_lab.pretrain.evaluation`: held-out MLM / SBO loss and accuracy;
- :mod:`~spanbert_lab.pretrain.distributed`: ``torchrun`` data parallelism;
- :mod:`~spanbert_lab.pretrain.export` and :mod:`~spanbert_lab.pretrain.run`: one whole run, the
  model folder and its card.

The command line (``python -m spanbert_lab pretrain``, or ``python -m spanbert_lab.pretrain``)
lives in :mod:`spanbert_lab.cli.pretrain`.
"""

from spanbert_lab.pretrain.batches import epoch_order, global_batches
from spanbert_lab.pretrain.config import Precision, TrainConfig
from spanbert_lab.pretrain.loop import Collator, History, train

__all__ = [
    "Collator",
    "History",
    "Precision",
    "TrainConfig",
    "epoch_order",
    "global_batches",
    "train",
]
