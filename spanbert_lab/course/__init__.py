"""What the notebooks show a learner: exercises with checkers (:mod:`~spanbert_lab.course.exercises`),
interactive explorers (:mod:`~spanbert_lab.course.widgets`) and figures
(:mod:`~spanbert_lab.course.plots`), one module per concept; they sit on top of the library and
nothing in the library imports them.
"""
