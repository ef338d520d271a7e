"""Shared helpers for the QA tests: a tiny cased WordPiece tokenizer and unicode-heavy examples.

No tests live here; ``test_qa.py`` and ``test_finetune.py`` import these functions.
"""

from __future__ import annotations

import random
import string
from pathlib import Path
from typing import Any

import torch
from transformers import BertConfig, BertModel, BertTokenizer

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = [
    "the",
    "a",
    "an",
    "of",
    "in",
    "on",
    "at",
    "to",
    "and",
    "was",
    "is",
    "who",
    "what",
    "where",
    "when",
    "which",
    "city",
    "river",
    "town",
    "café",
    "naïve",
    "straße",
    "Zoë",
    "über",
    "Ångström",
    "São",
    "Paulo",
    "Kraków",
    "Dvořák",
    "façade",
    "résumé",
    "coöperate",
    "Ærø",
    "Ōsaka",
    "東",
    "京",
    "北",
    "Москва",
    "Αθήνα",
    "built",
    "founded",
    "bridge",
    "museum",
    "tower",
    "1066",
    "1889",
    "2024",
    "king",
    "queen",
]
LETTERS = sorted(set("".join(WORDS)) | set(string.ascii_letters + string.digits))


def make_tokenizer() -> BertTokenizer:
    """A fast, cased BERT WordPiece tokenizer over a small vocabulary (words + characters).

    Words outside the vocabulary split into characters (``##`` continuations), so subword
    boundaries appear everywhere; punctuation and unseen symbols map to themselves or ``[UNK]``.
    """
    vocab = SPECIALS + WORDS + LETTERS + [f"##{c}" for c in LETTERS] + list(string.punctuation)
    vocab = list(dict.fromkeys(vocab))
    tokenizer = BertTokenizer(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=False)
    assert tokenizer.is_fast
    return tokenizer


SPACES = [" ", " ", " ", "  ", "\u00a0", "\t", "\n", " \u2009"]
FILLER = [*WORDS, "Quixotic", "xylophone", "ȷump", "naïvely", "—", "«", "»", "(", ")", ",", "."]


def random_example(rng: random.Random, example_id: str, *, n_words: int) -> dict[str, Any]:
    """A long context of unicode-heavy words with odd whitespace, and a gold answer inside it."""
    words = [rng.choice(FILLER) for _ in range(n_words)]
    answer_len = rng.randint(1, 6)
    first = rng.randrange(0, n_words - answer_len)
    pieces: list[str] = []
    start = end = 0
    for i, word in enumerate(words):
        if i:
            pieces.append(rng.choice(SPACES))
        offset = sum(len(p) for p in pieces)
        if i == first:
            start = offset
        pieces.append(word)
        if i == first + answer_len - 1:
            end = offset + len(word)
    context = "".join(pieces)
    text = context[start:end]
    return {
        "id": example_id,
        "title": "t",
        "question": f"What is {rng.choice(WORDS)} {rng.choice(WORDS)}?",
        "context": context,
        "answers": {"text": [text], "answer_start": [start]},
    }


def save_tiny_bert(path: Path) -> Path:
    """A tiny random BERT encoder (seed 0, 2 layers of 32) and the test tokenizer saved as a
    checkpoint folder: the model the fine-tuning golden runs were recorded with."""
    tokenizer = make_tokenizer()
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=37, max_position_embeddings=128,
                        pad_token_id=tokenizer.pad_token_id)  # fmt: skip
    BertModel(config, add_pooling_layer=False).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def qa_examples(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` random QA examples (10-60 words each) drawn from ``seed``."""
    rng = random.Random(seed)
    return [random_example(rng, f"q{seed}-{i}", n_words=rng.randint(10, 60)) for i in range(n)]
