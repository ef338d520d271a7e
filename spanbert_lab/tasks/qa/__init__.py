"""Extractive question answering (SQuAD 1.1 / 2.0), from examples to scores.

- :mod:`~spanbert_lab.tasks.qa.examples`: the SQuAD-layout examples, checked and listed;
- :mod:`~spanbert_lab.tasks.qa.features`: windows over the passage and their training labels;
- :mod:`~spanbert_lab.tasks.qa.decoding`: logits back to n-best answer spans (SQuAD 2.0 null scores);
- :mod:`~spanbert_lab.tasks.qa.metric`: the official SQuAD v1.1 / v2.0 scores;
- :mod:`~spanbert_lab.tasks.qa.spec`: the fine-tuning task (``TASK``) that ties them together.
"""

from spanbert_lab.tasks.qa.spec import TASK

__all__ = ["TASK"]
