"""Tooling around the course that a learner never imports: the controlled pretraining study
(:mod:`~spanbert_lab.tools.study`), grading of handed-in notebooks
(:mod:`~spanbert_lab.tools.grade`), the student edition of the notebooks
(:mod:`~spanbert_lab.tools.student`) and the measured notebook runtimes
(:mod:`~spanbert_lab.tools.runtimes`).
"""
