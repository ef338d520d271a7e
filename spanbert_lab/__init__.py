"""spanbert-lab: SpanBERT built from the ground up, as a small tested library behind a course.

The public surface here is deliberately short (:func:`setup_notebook`, :func:`get_device`,
:func:`get_profile`); everything else is reachable by module path, in folders that follow the
data flow, each importing only the layers below it: ``data`` (the course data and your own files)
and ``masking`` → ``model`` (the networks) and ``world`` (the generator of the course data) →
``training`` (what both loops share) → ``pretrain`` and ``tasks`` → ``finetune`` →
``applications`` → ``course`` (exercises, widgets, plots) → ``tools`` (study, grading) → ``cli``.
``runtime``, ``contracts`` and ``stats`` sit under everything. The layers are stated and checked in
``tests/test_architecture.py``; ``docs/DEVELOPING.md`` says where to change what.
"""

from spanbert_lab.runtime import get_device, get_profile, setup_notebook

__all__ = ["get_device", "get_profile", "setup_notebook"]
__version__ = "0.1.0"
