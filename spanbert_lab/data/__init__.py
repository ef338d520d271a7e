"""The course's own data: a fictional world, its corpus, tokenizer and span-task datasets.

Regenerate everything with ``make data`` (``python -m spanbert_lab.data build --output data``);
load it with the functions re-exported here. See ``data/README.md`` (the data card).
"""

from spanbert_lab.data.loaders import (
    load_classification,
    load_corpus,
    load_ner,
    load_qa,
    load_squad_json,
)
from spanbert_lab.data.squad_rows import flatten_squad
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
