"""Fine-tuning on span tasks: extractive QA, NER and classification, with a plain torch loop.

- :mod:`~spanbert_lab.finetune.loop`: :func:`finetune` (one seed, one task), the loop
  (:func:`train_loop`), :func:`predict`, :func:`evaluate` and :func:`answer_question`;
- :mod:`~spanbert_lab.finetune.models`: a task model from a checkpoint folder (or, opt-in, the hub);
- :mod:`~spanbert_lab.finetune.seeds`: several seeds and their summary;
- :mod:`~spanbert_lab.finetune.own_data`: fine-tuning on a learner's own files.

The tasks themselves (model class, encoder, reader, scorer) are :mod:`spanbert_lab.tasks`.
CLI: ``python -m spanbert_lab finetune …`` (:mod:`spanbert_lab.cli.finetune`).
"""

from spanbert_lab.finetune.loop import (
    FinetuneResult,
    answer_question,
    encode,
    evaluate,
    finetune,
    label_names,
    load_course_split,
    predict,
    train_loop,
)
from spanbert_lab.finetune.models import load_task_model, resolve_model_path
from spanbert_lab.tasks import FinetuneConfig, task_names
from spanbert_lab.training.checkpoint import load_tokenizer_for

__all__ = [
    "FinetuneConfig",
    "FinetuneResult",
    "answer_question",
    "encode",
    "evaluate",
    "finetune",
    "label_names",
    "load_course_split",
    "load_task_model",
    "load_tokenizer_for",
    "predict",
    "resolve_model_path",
    "task_names",
    "train_loop",
]
