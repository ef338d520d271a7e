"""The data a course run reads: the shipped course data and a learner's own files.

Loaders (:mod:`~spanbert_lab.data.loaders`) return ``datasets`` objects for the corpus and the
three span tasks, from the shipped files under ``data/`` or from your own files in the usual
formats (:mod:`~spanbert_lab.data.formats`, :mod:`~spanbert_lab.data.conll`, checked by
:mod:`~spanbert_lab.data.validate`); the course tokenizer loads with :func:`load_tokenizer`; the
corpus is packed into pretraining blocks by :mod:`~spanbert_lab.data.blocks`. The synthetic world
that *generates* the shipped data is :mod:`spanbert_lab.world` (``make data`` rebuilds it with
``python -m spanbert_lab.data build --output data``). See ``data/README.md`` (the data card).
"""

from spanbert_lab.data.loaders import (
    flatten_squad,
    load_classification,
    load_corpus,
    load_ner,
    load_qa,
    load_squad_json,
)
from spanbert_lab.data.tokenizer import load_tokenizer

__all__ = [
    "flatten_squad",
    "load_classification",
    "load_corpus",
    "load_ner",
    "load_qa",
    "load_squad_json",
    "load_tokenizer",
]
