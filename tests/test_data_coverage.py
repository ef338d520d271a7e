"""The tokenizer covers the tasks' language; the corpus contains questions (issue 12, item 1)."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from spanbert_lab.data.corpus import read_text
from spanbert_lab.data.coverage import (
    TASK_SPLITS,
    CoverageCounter,
    questions,
    task_coverage,
    task_texts,
)
from spanbert_lab.data.tokenizer import load_tokenizer, make_tokenizer, train_wordpiece
from spanbert_lab.runtime import repo_root
from spanbert_lab.world.build import make_world
from spanbert_lab.world.card_coverage import coverage_lines
from spanbert_lab.world.corpus import (
    QUESTION_KINDS,
    generate_documents,
    generate_question_documents,
)
from spanbert_lab.world.docs_faq import asked_about
from spanbert_lab.world.tasks_qa import QUESTIONS

DATA = repo_root() / "data"


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer(DATA / "tokenizer")


@pytest.fixture(scope="module")
def coverage(tok):
    return task_coverage(DATA, tok)


@pytest.fixture(scope="module")
def world():
    return make_world(0)


def test_no_unk_in_any_task_split(coverage) -> None:
    assert sorted(coverage) == sorted(TASK_SPLITS)
    for (task, split), c in coverage.items():
        assert c.words > 5000, f"{task}/{split}: only {c.words} words read"
        assert c.unk == 0, f"{task}/{split}: {c.unk} [UNK] from words {c.unk_words[:10]}"
        assert 1.0 <= c.pieces_per_word < 1.3, (
            f"{task}/{split}: {c.pieces_per_word:.3f} pieces/word"
        )


def test_counting_by_word_agrees_with_tokenizing_whole_texts(tok) -> None:
    """The per-word count (each distinct word tokenised once) equals tokenizing each text."""
    counter = CoverageCounter(tok)
    for task, split in (("qa-v2.0", "dev"), ("ner", "test"), ("classification", "dev")):
        texts = list(task_texts(DATA, task, split))[:300]
        ids = tok(texts, add_special_tokens=False)["input_ids"]
        got = counter.texts(texts)
        assert got.pieces == sum(map(len, ids)), f"{task}/{split}: {got.pieces} ≠ tokenizer"
        assert got.unk == sum(x.count(tok.unk_token_id) for x in ids)


def test_coverage_finds_unk_when_a_character_is_missing() -> None:
    """A vocabulary trained on text without '?' — the shipped state before issue 12."""
    vocab = train_wordpiece(["Where was Orla born.", "Orla was born in Vell."] * 3, 300, 1)
    c = CoverageCounter(make_tokenizer(vocab)).texts(["Where was Orla born?", "Orla was in Vell."])
    assert (c.unk, c.unk_words, c.words) == (1, ("?",), 10), c
    cov = {"tasks": {("qa-v1.1", "dev"): c}, "first_words": Counter(["Where"]), "first_split": [], "first_share": 0.0}  # fmt: skip
    lines = "\n".join(coverage_lines(cov))
    assert (
        f"| qa-v1.1 | dev | 10 | {c.pieces} | {c.pieces / 10:.3f} | 1 | {1 / c.pieces:.2%} |"
        in lines
    ), lines
    assert "does not cover" in lines and "No task text holds" not in lines


def test_card_states_zero_unk_for_every_task_split(coverage) -> None:
    card = (DATA / "README.md").read_text(encoding="utf-8")
    assert "No task text holds an `[UNK]`" in card
    for (task, split), c in coverage.items():
        row = f"| {task} | {split} | {c.words:,} | {c.pieces:,} | {c.pieces_per_word:.3f} | 0 | 0.00% |"  # fmt: skip
        assert row in card, f"data/README.md lacks (or misstates) {row}"


def test_question_words_are_whole_wordpieces(tok) -> None:
    assert "?" in tok.get_vocab(), "'?' is not in the vocabulary"
    first = Counter(q.split()[0] for s in ("train", "dev", "test") for q in questions(DATA, s))
    assert {"What", "Where", "Who", "When", "Which", "How", "Whom", "To"} <= set(first), first
    shattered = {w: tok.tokenize(w) for w in first if len(tok.tokenize(w)) > 1}
    assert not shattered, f"question words split into pieces: {shattered}"
    for phrase in ("How many", "In what year", "At what age", "For whom", "To whom"):
        assert len(tok.tokenize(phrase)) == len(phrase.split()), tok.tokenize(phrase)


def test_shipped_corpus_contains_questions() -> None:
    lines = [x for x in read_text(DATA / "corpus" / "train.txt.gz").split("\n") if x]
    asking = [x for x in lines if "?" in x]
    assert len(asking) / len(lines) > 0.08, f"only {len(asking)} of {len(lines)} lines ask"
    openers = Counter(m.group(1) for x in asking for m in re.finditer(r"(?:^|[.?:] )([A-Z][a-z]+) [^.?]*\?", x))  # fmt: skip
    for word in ("What", "Where", "Who", "When", "Which", "How", "Whom", "To", "For", "At", "In"):
        assert openers[word] >= 20, f"{word!r} opens only {openers[word]} questions in the corpus"


def test_question_genres_ask_only_about_training_entities(world) -> None:
    docs = list(generate_question_documents(world, 120, random.Random(5)))
    assert {d.kind for d in docs} == set(QUESTION_KINDS)
    assert all(asked_about(d.focus) for d in docs), [d.focus for d in docs if not asked_about(d.focus)]  # fmt: skip
    assert not asked_about("P10") and not asked_about("L1") and asked_about("O12")
    for d in docs:
        assert any("?" in s for s in d.sentences), f"{d.kind} {d.focus} asks nothing: {d.sentences}"
    lines = [s for d in docs for s in d.sentences]
    assert sum("?" in s for s in lines) / len(lines) > 0.5, "question genres that rarely ask"


def test_no_qa_question_template_in_the_corpus() -> None:
    """The corpus's questions are the genres' own, never the QA task's templates."""
    patterns = [
        re.compile("^" + re.escape(t).replace(r"\{S\}", ".+").replace(r"\{A\}", ".+") + "$")
        for _, templates in QUESTIONS.values()
        for t in templates
    ]
    text = read_text(DATA / "corpus" / "train.txt.gz")
    asked = {m.group(0).strip() for m in re.finditer(r"(?:^|(?<=[.?:] ))[A-Z][^.?\n]*\?", text, re.M)}  # fmt: skip
    assert len(asked) > 1000, len(asked)
    hits = [q for q in asked if any(p.match(q) for p in patterns)]
    assert not hits, f"{len(hits)} corpus questions use a QA template, e.g. {hits[:3]}"
    held_out = set(questions(DATA, "dev")) | set(questions(DATA, "test"))
    assert not held_out & asked, sorted(held_out & asked)[:3]


def test_question_genres_leave_statement_documents_unchanged(world) -> None:
    alone = list(generate_documents(world, 150, random.Random(11)))
    seen: set[str] = set()
    first = list(generate_documents(world, 150, random.Random(11), seen=seen))
    asks = list(generate_question_documents(world, 40, random.Random(12), seen=seen))
    assert [d.sentences for d in first] == [d.sentences for d in alone]
    ask_sents = [s for d in asks for s in d.sentences]
    assert not set(ask_sents) & {s for d in first for s in d.sentences}
    assert len(set(ask_sents)) == len(ask_sents)
