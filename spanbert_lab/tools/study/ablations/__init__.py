"""The ablation study (``study/ablations.toml``, issue 22): the paper's Tables 6 and 7 in
miniature, with several pretraining seeds, fine-tuning run to convergence, learning rates that
bracket the optimum, and seed-aware intervals. ``make ablations`` runs it
(``python -m spanbert_lab study --protocol study/ablations.toml run``), resumably.

- :mod:`~spanbert_lab.tools.study.ablations.protocol`: the file, read and checked.
- :mod:`~spanbert_lab.tools.study.ablations.plan`: the runs as command lines, the selection rule.
- :mod:`~spanbert_lab.tools.study.ablations.stages`: stage after stage, resumable, the CPU cap.
- :mod:`~spanbert_lab.tools.study.ablations.report`: ``summary.json`` and ``summary.md``.
"""
