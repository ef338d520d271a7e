"""Shared fixtures. Tests never use the network."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest
import torch

# The suite's tensors are tiny: one intra-op thread is faster than two fighting over two cores.
torch.set_num_threads(1)

_WORDS = (
    "the a of and to in is was it he she they that with for on by at from as The A He She They It "
    "Maria Paris city river team won match sat cat dog mat Ald Bren ##ov ##ia ##ek ##s ##ed ##ing "
    ". , ' - ( ) ! ? 1 2 3 4 5 6 7 8 9 0"
).split()


@pytest.fixture(scope="session")
def tiny_tokenizer():
    """A small cased WordPiece tokenizer (BERT special tokens), built without any download."""
    from spanbert_lab.data.tokenizer import make_tokenizer

    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *dict.fromkeys(_WORDS)]
    tokenizer = make_tokenizer({token: i for i, token in enumerate(tokens)})
    assert tokenizer.tokenize("Maria sat")[0] == "Maria", "the fixture vocabulary was not applied"
    return tokenizer
