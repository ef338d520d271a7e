"""The leaked/clean split of QA questions (spanbert_lab.data.leakage): a question is leaked
when the context sentence holding its first answer occurs verbatim in the pretraining corpus."""

from __future__ import annotations

from pathlib import Path

from spanbert_lab.data import load_squad_json
from spanbert_lab.data.leakage import (
    context_overlap,
    corpus_sentences,
    leaked_questions,
    question_counts,
    sentence_spans,
)


def _squad(context: str, answers: dict[str, int | None]) -> dict:
    qas = [
        {"id": q, "question": "?", "answers": [] if at is None else [{"text": context[at], "answer_start": at}],
         "is_impossible": at is None}
        for q, at in answers.items()
    ]  # fmt: skip
    return {
        "version": "2.0",
        "data": [{"title": "t", "paragraphs": [{"context": context, "qas": qas}]}],
    }


def test_sentences_split_before_a_capital_or_a_digit_only():
    text = "Ana met Dr. smith in 1901. 1902 was dry!  Why? no."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Ana met Dr. smith in 1901.", "1902 was dry!", "Why? no."
    ]  # fmt: skip


def test_a_question_is_leaked_by_its_answer_sentence_not_by_its_context(tmp_path):
    context = "Ana was born in Vik. She moved to Oslo in 1901. Nobody knows why."
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("Unrelated line. She moved to Oslo in 1901.\nAna was born in Vik, once.\n")
    sentences = corpus_sentences([corpus])
    assert "She moved to Oslo in 1901." in sentences
    status = leaked_questions(
        _squad(context, {"where": context.index("Oslo"), "born": context.index("Vik"),
                         "first": context.index("She"), "gap": context.index(" Nobody"), "none": None}),
        sentences,
    )  # fmt: skip
    # "Vik" sits in a sentence the corpus only holds with a different ending: clean
    assert status == {"where": True, "born": False, "first": True, "gap": False, "none": None}
    assert question_counts(status) == {"leaked": 2, "clean": 2, "unanswerable": 1, "total": 5}


def test_the_course_test_set_as_the_ablation_protocol_states_it():
    """The counts study/ablations.md reports: 62 of the 532 QA v1.1 test questions are leaked;
    QA v2.0's test set adds 265 unanswerable ones."""
    status = leaked_questions(load_squad_json("test", "1.1"), corpus_sentences())
    assert len(status) == 532 and sum(v is True for v in status.values()) == 62
    v2 = leaked_questions(load_squad_json("test", "2.0"), corpus_sentences())
    assert sum(v is None for v in v2.values()) == 265 and sum(v is True for v in v2.values()) == 62


def test_the_data_cards_leakage_counts_are_the_datas():
    """data/README.md states, per QA split, the context sentences found in the corpus and the
    leaked questions (the figure beside them is drawn from the same counts)."""
    card = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text("utf-8")
    line = next(ln for ln in card.splitlines() if ln.startswith("- Leakage: the QA contexts"))
    sentences = corpus_sentences()
    for split in ("train", "dev", "test"):
        squad = load_squad_json(split, "1.1")
        found, total, hit, contexts = context_overlap(squad, sentences)
        status = leaked_questions(squad, sentences)
        leaked = sum(v is True for v in status.values())
        stated = (
            f"{split} {found:,} of {total:,} ({100 * found / total:.1f}%; "
            f"{hit} of {contexts} contexts hold one)"
        )
        assert stated in line, stated
        assert f"{split} {leaked:,} of {len(status):,}" in line.split("(*leaked*")[1], split
