"""Shared fixtures for the masking, blocks, collate and widget tests (no tests in here).

``wordpiece_tokenizer()`` trains a small WordPiece tokenizer on a synthetic corpus
(deterministic, well under a second): small enough that many words split into several ``##`` pieces.
``course_tokenizer()`` is the course tokenizer from ``data/tokenizer/`` when it has been built,
else the tiny one.
"""

from __future__ import annotations

import functools
import random

from transformers import BertTokenizerFast

SYLLABLES = ["ka", "lo", "mi", "ran", "te", "su", "vor", "ne", "pli", "dax", "or", "an", "is"]


def synthetic_documents(n_docs: int = 12, seed: int = 0) -> list[dict]:
    """Documents shaped like the course corpus: sentences plus entity / noun-phrase char spans."""
    rng = random.Random(seed)
    docs = []
    for _ in range(n_docs):
        sentences, entities, noun_phrases = [], [], []
        for _ in range(rng.randint(3, 9)):
            words = [
                "".join(rng.choice(SYLLABLES) for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])))
                for _ in range(rng.randint(4, 16))
            ]
            words[0] = words[0].capitalize()
            text = " ".join(words) + rng.choice([".", ".", "!", "?"])
            # entity: the first word; noun phrase: words 1..2
            first_end = len(words[0])
            np_start = first_end + 1
            np_end = np_start + len(words[1]) + 1 + len(words[2])
            sentences.append(text)
            entities.append([[0, first_end, "PER"]])
            noun_phrases.append([[np_start, np_end, "NP"]])
        docs.append({"sentences": sentences, "entities": entities, "noun_phrases": noun_phrases})
    return docs


@functools.lru_cache(maxsize=1)
def wordpiece_tokenizer() -> BertTokenizerFast:
    from tokenizers import BertWordPieceTokenizer

    wp = BertWordPieceTokenizer(lowercase=False)
    text = [s for d in synthetic_documents(200, seed=1) for s in d["sentences"]]
    wp.train_from_iterator(text, vocab_size=120, min_frequency=2, show_progress=False)
    return BertTokenizerFast(
        tokenizer_object=wp._tokenizer,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
    )


def course_tokenizer():
    """The course tokenizer when ``data/tokenizer/`` exists, else :func:`wordpiece_tokenizer`."""
    try:
        from spanbert_lab.data import load_tokenizer

        return load_tokenizer()
    except Exception:  # not built yet in this checkout
        return wordpiece_tokenizer()


def course_documents(n_docs: int = 60) -> list[dict]:
    """The first ``n_docs`` training documents of the course corpus when built, else synthetic."""
    try:
        from spanbert_lab.data.loaders import load_corpus

        corpus = load_corpus("train")
        return [dict(corpus[i]) for i in range(min(n_docs, len(corpus)))]
    except Exception:  # no loader yet: read the built files directly, if any
        pass
    try:
        return _read_corpus_files(n_docs)
    except FileNotFoundError:
        return synthetic_documents(n_docs)


def _read_corpus_files(n_docs: int) -> list[dict]:
    import gzip
    import json

    from spanbert_lab.runtime import data_dir

    folder = data_dir() / "corpus"
    with gzip.open(folder / "train.txt.gz", "rt", encoding="utf-8") as f:
        docs = [d.split("\n") for d in f.read().strip().split("\n\n")[:n_docs]]
    rows = [
        {"sentences": d, "entities": [[] for _ in d], "noun_phrases": [[] for _ in d]} for d in docs
    ]
    with gzip.open(folder / "train.annotations.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["doc"] >= n_docs:
                break
            for start, end, kind in record["spans"]:
                key = "noun_phrases" if kind == "NP" else "entities"
                rows[record["doc"]][key][record["sent"]].append([start, end, kind])
    return rows
