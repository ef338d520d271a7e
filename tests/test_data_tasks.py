"""The span-task datasets: official SQuAD layout, answers at their offsets, disjoint splits."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from spanbert_lab.data import load_classification, load_ner, load_qa, load_squad_json
from spanbert_lab.world.build import make_world
from spanbert_lab.world.tasks_qa import QUESTIONS, make_split

SPLITS = ("train", "dev", "test")


@pytest.fixture(scope="module")
def squad() -> dict[tuple[str, str], dict]:
    return {(s, v): load_squad_json(s, v) for s in SPLITS for v in ("1.1", "2.0")}


def _qas(data: dict):
    for article in data["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                yield article, para, qa


def test_official_squad_layout(squad) -> None:
    for (split, version), data in squad.items():
        assert set(data) == {"version", "data"}, (split, version, set(data))
        assert data["version"] == ("1.1" if version == "1.1" else "v2.0")
        for article, para, qa in _qas(data):
            assert set(article) == {"title", "paragraphs"}
            assert set(para) == {"context", "qas"}
            keys = {"id", "question", "answers"}
            if version == "2.0":
                keys |= {"is_impossible"}
                assert set(qa) in (keys, keys | {"plausible_answers"}), set(qa)
            else:
                assert set(qa) == keys, set(qa)
            for ans in qa["answers"]:
                assert set(ans) == {"text", "answer_start"} and isinstance(ans["answer_start"], int)


def test_every_answer_is_at_its_answer_start(squad) -> None:
    n = 0
    for (split, version), data in squad.items():
        for _, para, qa in _qas(data):
            for ans in qa["answers"] + qa.get("plausible_answers", []):
                start, text = ans["answer_start"], ans["text"]
                got = para["context"][start : start + len(text)]
                assert got == text, f"{split} v{version} {qa['id']}: {text!r} ≠ {got!r}"
                n += 1
    assert n > 10000


def test_sizes_and_unanswerable_share(squad) -> None:
    for split in SPLITS:
        v1 = [qa for _, _, qa in _qas(squad[(split, "1.1")])]
        v2 = [qa for _, _, qa in _qas(squad[(split, "2.0")])]
        assert all(qa["answers"] for qa in v1), f"{split} v1.1 has a question without an answer"
        lo, hi = (3000, 8000) if split == "train" else (400, 800)
        assert lo <= len(v1) <= hi, f"{split}: {len(v1)} v1.1 questions"
        impossible = [qa for qa in v2 if qa["is_impossible"]]
        assert all(not qa["answers"] for qa in impossible)
        share = len(impossible) / len(v2)
        assert 0.25 <= share <= 0.4, f"{split}: {share:.1%} unanswerable"
        assert {qa["id"] for qa in v1} <= {qa["id"] for qa in v2}


def test_splits_use_disjoint_documents_and_subjects(squad) -> None:
    contexts = {s: {p["context"] for _, p, _ in _qas(squad[(s, "2.0")])} for s in SPLITS}
    titles = {s: {a["title"] for a, _, _ in _qas(squad[(s, "2.0")])} for s in SPLITS}
    for a, b in (("train", "dev"), ("train", "test"), ("dev", "test")):
        assert not contexts[a] & contexts[b], f"{a} and {b} share contexts"
        assert not titles[a] & titles[b], f"{a} and {b} share main entities"


def test_answers_are_often_multi_word(squad) -> None:
    lengths = [len(qa["answers"][0]["text"].split()) for _, _, qa in _qas(squad[("train", "1.1")])]
    multi = sum(n > 1 for n in lengths) / len(lengths)
    assert multi >= 0.35, f"only {multi:.0%} of answers have more than one word"


def test_questions_paraphrase_rather_than_copy(squad) -> None:
    """Once the subject's name is removed, a question shares no 4-word run with its context."""
    copied = total = 0
    for _, para, qa in _qas(squad[("dev", "1.1")]):
        ctx = " ".join(re.findall(r"\w+", para["context"].lower()))
        words = re.findall(r"\w+", qa["question"].lower())
        name_words = set(re.findall(r"[A-Z]\w+", qa["question"][1:]))
        words = [w for w in words if w.capitalize() not in name_words]
        grams = [" ".join(words[i : i + 4]) for i in range(len(words) - 3)]
        copied += any(f" {g} " in f" {ctx} " for g in grams)
        total += 1
    assert copied / total < 0.05, f"{copied}/{total} questions copy a 4-word run of the context"


def test_contexts_hold_several_entities_of_the_answer_type() -> None:
    record: list[tuple[str, str, int]] = []
    v1, _ = make_split(make_world(0), "dev", 40, random.Random(3), record=record)
    assert len(record) == sum(len(p["qas"]) for a in v1["data"] for p in a["paragraphs"])
    types = Counter(label for _, label, _ in record)
    assert {"PER", "LOC", "DATE", "ORG", "NUM", "MISC"} <= set(types), types
    few = [(qid, label, n) for qid, label, n in record if n < 2]
    assert not few, f"questions whose context has a single {few[0][1]}: {few[:3]}"
    assert set(r for r, _ in QUESTIONS.items()) >= {"birthplace", "founder", "population"}


def test_ner_is_bio_over_seven_types() -> None:
    ids = {}
    for split in SPLITS:
        ds = load_ner(split)
        names = ds.features["ner_tags"].feature.names
        assert names[0] == "O" and len(names) == 15
        seen: Counter[str] = Counter()
        for tokens, tags in zip(ds["tokens"], ds["ner_tags"], strict=True):
            assert len(tokens) == len(tags) and tokens
            prev = "O"
            for t in (names[i] for i in tags):
                if t.startswith("I-"):
                    assert prev[2:] == t[2:], f"{t} follows {prev}"
                prev = t
                seen[t] += 1
        assert {t for t in seen if t.startswith("B-")} >= {"B-PER", "B-LOC", "B-ORG", "B-DATE", "B-NUM", "B-MISC"}  # fmt: skip
        ids[split] = set(ds["id"])
    assert len(load_ner("train")) >= 3000
    assert not ids["train"] & ids["test"]


def test_classification_has_three_balanced_enough_classes() -> None:
    for split in SPLITS:
        ds = load_classification(split)
        assert ds.features["label"].names == ["negative", "mixed", "positive"]
        counts = Counter(ds["label"])
        assert set(counts) == {0, 1, 2}
        assert max(counts.values()) / len(ds) < 0.5, f"{split}: {counts}"
    assert len(load_classification("train")) >= 2000


def test_flattened_qa_matches_squad_schema() -> None:
    ds = load_qa("dev", "2.0")
    assert ds.column_names == ["id", "title", "context", "question", "answers"]
    row = next(r for r in ds if r["answers"]["text"])
    assert row["context"][row["answers"]["answer_start"][0] :].startswith(row["answers"]["text"][0])
    assert any(not r["answers"]["text"] for r in ds), "no unanswerable question in v2.0 dev"
