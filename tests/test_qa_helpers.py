"""Shared helpers for the QA tests: a tiny cased WordPiece tokenizer and unicode-heavy examples.

No tests live here; ``test_qa.py`` and ``test_finetune.py`` import these functions.
"""

from __future__ import annotations

import random
import string
from typing import Any

from transformers import BertTokenizer

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
