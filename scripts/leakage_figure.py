"""Draw the data card's leakage figure: for each QA v1.1 split, how many questions are leaked
(their answer sentence occurs verbatim in the pretraining corpus) and how many are clean.

The counts come from ``spanbert_lab.data.leakage`` (the split ``study/ablations.md`` defines);
``data/README.md`` shows the figure and states the same counts::

    .venv/bin/python scripts/leakage_figure.py [docs/img/leakage.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from spanbert_lab.course.plots.ablations import plot_leakage
from spanbert_lab.data import load_squad_json
from spanbert_lab.data.leakage import corpus_sentences, leaked_questions, question_counts


def leakage_counts() -> dict[str, dict[str, int]]:
    """``{split: {"leaked": n, "clean": m}}`` over the QA v1.1 questions of each split."""
    sentences = corpus_sentences()
    counts = {}
    for split in ("train", "dev", "test"):
        n = question_counts(leaked_questions(load_squad_json(split, "1.1"), sentences))
        counts[split] = {"leaked": n["leaked"], "clean": n["clean"]}
    return counts


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/img/leakage.png")
    counts = leakage_counts()
    fig = plot_leakage(
        counts,
        title="QA v1.1 questions whose answer sentence\nthe pretraining corpus holds verbatim",
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110, metadata={"Software": None})
    for split, c in counts.items():
        print(f"{split}: {c['leaked']} of {c['leaked'] + c['clean']} leaked")
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
