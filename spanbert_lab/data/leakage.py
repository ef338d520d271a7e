"""Which QA questions the pretraining corpus has already shown the encoder, verbatim.

The course world writes the pretraining corpus and the QA contexts from the same facts, so some
context sentences occur word for word in the corpus. A question is *leaked* when the context
sentence that holds the first character of its first gold answer is one of them; every other
answerable question is *clean*; an unanswerable question (SQuAD 2.0) is neither. The ablation
study (``study/ablations.md``, "Leakage") reports each QA comparison on both groups.

Sentences are split after ``.``, ``!`` or ``?`` when whitespace and a capital letter or a digit
follow; the corpus files hold one or more sentences per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from spanbert_lab.data.corpus import read_text
from spanbert_lab.runtime import data_dir

__all__ = [
    "context_overlap",
    "corpus_sentences",
    "leaked_questions",
    "question_counts",
    "sentence_spans",
]

_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` character offsets of each sentence of ``text`` (stripped of spaces)."""
    spans, start = [], 0
    for cut in [*(m.start() for m in _BOUNDARY.finditer(text)), len(text)]:
        piece = text[start:cut]
        lead = len(piece) - len(piece.lstrip())
        if piece.strip():
            spans.append((start + lead, start + lead + len(piece.strip())))
        start = cut
    return spans


def corpus_sentences(paths: Iterable[str | Path] | None = None) -> set[str]:
    """Every sentence of the corpus files ``paths`` (plain or gzipped text; default: the course
    pretraining corpus, ``data/corpus/train.txt.gz`` and ``dev.txt.gz``).

    Raises:
        FileNotFoundError: a file is missing.
    """
    if paths is None:
        paths = [data_dir() / "corpus" / f"{split}.txt.gz" for split in ("train", "dev")]
    out: set[str] = set()
    for path in paths:
        for line in read_text(Path(path)).splitlines():
            out.update(line[a:b] for a, b in sentence_spans(line))
    return out


def leaked_questions(squad: dict, sentences: set[str]) -> dict[str, bool | None]:
    """Each question of a SQuAD-layout dict (as :func:`~spanbert_lab.data.load_squad_json`
    returns it, validated): ``True`` leaked, ``False`` clean, ``None`` unanswerable."""
    out: dict[str, bool | None] = {}
    for article in squad["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            spans = sentence_spans(context)
            for qa in paragraph["qas"]:
                answers = qa.get("answers") or []
                if qa.get("is_impossible") or not answers:
                    out[str(qa["id"])] = None
                    continue
                start = int(answers[0]["answer_start"])
                # the sentence holding the answer's first character (or the gap before one)
                a, b = next(((a, b) for a, b in spans if start < b), spans[-1])
                out[str(qa["id"])] = context[a:b] in sentences
    return out


def question_counts(status: dict[str, bool | None]) -> dict[str, int]:
    """Tally :func:`leaked_questions`' answer: ``{"leaked", "clean", "unanswerable", "total"}``."""
    values = list(status.values())
    leaked, clean = sum(v is True for v in values), sum(v is False for v in values)
    return {"leaked": leaked, "clean": clean, "unanswerable": len(values) - leaked - clean,
            "total": len(values)}  # fmt: skip


def context_overlap(squad: dict, sentences: set[str]) -> tuple[int, int, int, int]:
    """``(sentences in the corpus, context sentences, contexts holding one, contexts)``."""
    found = total = hit = contexts = 0
    for article in squad["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            inside = sum(context[a:b] in sentences for a, b in sentence_spans(context))
            found, total = found + inside, total + len(sentence_spans(context))
            hit, contexts = hit + (inside > 0), contexts + 1
    return found, total, hit, contexts
