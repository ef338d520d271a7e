"""The course's synthetic world and the build of the shipped data from it.

:mod:`~spanbert_lab.world.world_draw` draws a fictional world (people, places, organisations,
events); the ``docs_*`` genres, :mod:`~spanbert_lab.world.reviews` and
:mod:`~spanbert_lab.world.writer` write documents about it with annotations recorded by
construction (:mod:`~spanbert_lab.world.text`); :mod:`~spanbert_lab.world.corpus` and the
``tasks_*`` modules turn them into the corpus and the QA, NER and classification sets;
:mod:`~spanbert_lab.world.build` runs it all and :mod:`~spanbert_lab.world.card` writes the data
card (``make data``). Reading the built data is :mod:`spanbert_lab.data`.
"""
