"""The data card's tokenizer-coverage section: ``[UNK]`` and WordPieces per word of every task
split, and how the QA questions begin (figures from :mod:`spanbert_lab.data.coverage`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from spanbert_lab.data.coverage import questions, task_coverage
from spanbert_lab.data.tokenizer import load_tokenizer

__all__ = ["coverage_lines", "coverage_stats"]


def coverage_stats(out: Path) -> dict:
    """``[UNK]`` and WordPieces per word of every task split; how QA questions begin."""
    tok = load_tokenizer(out / "tokenizer")
    first = Counter(
        q.split()[0] for split in ("train", "dev", "test") for q in questions(out, split)
    )
    words = sorted(first)
    split_words = [
        w
        for w, ids in zip(words, tok(words, add_special_tokens=False)["input_ids"], strict=True)
        if len(ids) > 1
    ]
    return {
        "tasks": task_coverage(out, tok),
        "first_words": first,
        "first_split": split_words,
        "first_share": sum(first[w] for w in split_words) / sum(first.values()),
    }


def coverage_lines(cov: dict) -> list[str]:
    """The card's tokenizer-coverage section."""
    lines = ["\n### Tokenizer coverage of the task texts\n"]
    lines.append(
        "What a fine-tuned model reads (QA: contexts and questions; NER: the words; classification: the reviews), in words of BERT's pre-tokenisation:\n"
    )
    lines.append("| task | split | words | WordPieces | WordPieces per word | [UNK] | [UNK] rate |")
    lines.append("|---|---|---|---|---|---|---|")
    for (task, split), r in cov["tasks"].items():
        lines.append(
            f"| {task} | {split} | {r.words:,} | {r.pieces:,} | {r.pieces_per_word:.3f} | {r.unk:,} | {r.unk_rate:.2%} |"
        )
    unk = sum(r.unk for r in cov["tasks"].values())
    verdict = (
        "No task text holds an `[UNK]`"
        if unk == 0
        else f"**{unk:,} `[UNK]` WordPieces**: the tokenizer does not cover the tasks"
    )
    lines.append(
        f"\n- {verdict}; every character of the corpus is in the vocabulary both word-initially and as a `##` continuation."
    )
    top = ", ".join(f"{w} ({n:,})" for w, n in cov["first_words"].most_common(12))
    split = ", ".join(cov["first_split"]) or "none"
    lines.append(
        f"- QA questions begin with: {top}. First words split into more than one WordPiece: {split} ({cov['first_share']:.1%} of questions)."
    )
    return lines
