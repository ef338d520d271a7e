"""Shared fixtures. Tests never use the network."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


import pytest


@pytest.fixture(scope="session")
def tiny_tokenizer(tmp_path_factory):
    """A small cased WordPiece tokenizer (BERT special tokens), built without any download."""
    from transformers import BertTokenizerFast

    words = [
        "the",
        "a",
        "of",
        "and",
        "to",
        "in",
        "is",
        "was",
        "it",
        "he",
        "she",
        "they",
        "that",
        "with",
        "for",
        "on",
        "by",
        "at",
        "from",
        "as",
        "The",
        "A",
        "He",
        "She",
        "They",
        "It",
        "Maria",
        "Paris",
        "city",
        "river",
        "team",
        "won",
        "match",
        "sat",
        "cat",
        "dog",
        "mat",
        "Ald",
        "Bren",
        "##ov",
        "##ia",
        "##ek",
        "##s",
        "##ed",
        "##ing",
        ".",
        ",",
        "'",
        "-",
        "(",
        ")",
        "!",
        "?",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "0",
    ]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *dict.fromkeys(words)]
    path = tmp_path_factory.mktemp("tokenizer") / "vocab.txt"
    path.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    return BertTokenizerFast(vocab_file=str(path), do_lower_case=False)
