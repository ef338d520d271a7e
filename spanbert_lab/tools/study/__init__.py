"""The controlled pretraining study: does pretraining pay, and do span masking and the SBO add
to it? Its protocol is ``study/protocol.toml`` (fixed before any result); ``make study`` runs it
(``python -m spanbert_lab study run``), resumably.

- :mod:`~spanbert_lab.tools.study.protocol`: the protocol file, read and checked.
- :mod:`~spanbert_lab.tools.study.plan`: the runs as command lines of the course CLI.
- :mod:`~spanbert_lab.tools.study.runner`: runs them, ``jobs`` at a time, skipping what is done.
- :mod:`~spanbert_lab.tools.study.stages`: pilot → pretraining → fine-tuning.
- :mod:`~spanbert_lab.tools.study.report` and :mod:`~spanbert_lab.tools.study.summary`: the selection rule,
  means and spreads, paired-bootstrap intervals, the summary files.
"""
