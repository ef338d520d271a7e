"""The generator: annotations by construction, offsets that match, a coherent corpus format."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from spanbert_lab.contracts import ENTITY_TYPES, NP
from spanbert_lab.data.corpus import read_text
from spanbert_lab.runtime import repo_root
from spanbert_lab.world.build import make_world
from spanbert_lab.world.corpus import DOC_KINDS, generate_documents
from spanbert_lab.world.tasks_ner import bio_tags
from spanbert_lab.world.text import Date, concat, ent, join_list, render, sentence

SHIPPED = repo_root() / "data" / "corpus"


@pytest.fixture(scope="module")
def world():
    return make_world(0)


@pytest.fixture(scope="module")
def docs(world):
    return list(generate_documents(world, 400, random.Random(7)))


def test_render_records_offsets_and_nested_noun_phrases() -> None:
    who = ent("Orla Kelby", "PER", "P1")
    town = ent("Upper Vell", "LOC", "L2")
    p = sentence(render("{who} moved to [the small port of {town}].", who=who, town=town))
    assert p.text == "Orla Kelby moved to the small port of Upper Vell."
    got = {(p.text[a:b], t) for a, b, t in p.spans}
    assert got == {
        ("Orla Kelby", "PER"),
        ("Upper Vell", "LOC"),
        ("the small port of Upper Vell", NP),
    }
    assert p.slots["town"] == (38, 48)
    assert [(p.text[a:b], r) for a, b, r in p.refs] == [("Orla Kelby", "P1"), ("Upper Vell", "L2")]
    with pytest.raises(ValueError, match="unbalanced"):
        render("[oops", x="")


def test_lists_and_dates_keep_their_offsets() -> None:
    items = [ent(n, "LOC") for n in ("Ost", "Vell", "Thar")]
    p = join_list(items, oxford=True)
    assert p.text == "Ost, Vell, and Thar"
    assert [p.text[a:b] for a, b, _ in p.spans] == ["Ost", "Vell", "Thar"]
    rng = random.Random(0)
    styles = {Date(1843, 3, 12).render(rng)[0] for _ in range(200)}
    assert {"12 March 1843", "March 12, 1843", "1843", "1843-03-12"} <= styles, styles
    q = concat("in ", ent("1843", "DATE"))
    assert q.text[q.spans[0][0] : q.spans[0][1]] == "1843"


def test_every_mention_text_matches_its_entity(world, docs) -> None:
    """Each recorded entity reference covers exactly that entity's name (or part of it)."""
    checked = 0
    for doc in docs:
        for s in doc.sents:
            text = s.piece.text
            for a, b, rid in s.piece.refs:
                got = text[a:b]
                if rid in world.people:
                    p = world.people[rid]
                    ok = got in (p.name, p.last, p.first)
                else:
                    pool = world.places if rid in world.places else world.orgs
                    pool = pool if rid in pool else world.events
                    ok = got == pool[rid].name
                assert ok, f"reference {rid} covers {got!r} in {text!r}"
                checked += 1
            for a, b, t in s.piece.spans:
                assert 0 <= a < b <= len(text), f"span {(a, b, t)} outside {text!r}"
                assert text[a:b] == text[a:b].strip(), f"span {text[a:b]!r} has outer spaces"
    assert checked > 2000


def test_facts_point_at_mentions_of_their_type(docs) -> None:
    n = 0
    for doc in docs:
        for s in doc.sents:
            spans = set(s.piece.spans)
            for f in s.facts:
                assert (f.start, f.end, f.label) in spans, f"{f} is not a {f.label} mention in {s.piece.text!r}"  # fmt: skip
                n += 1
    assert n > 1000


def test_entities_never_overlap_so_bio_is_exact(docs) -> None:
    for d, doc in enumerate(docs):
        for j, s in enumerate(doc.sents):
            tokens, tags = bio_tags(s.piece.text, list(s.piece.spans), f"doc {d} sentence {j}")
            assert len(tokens) == len(tags)


def test_documents_vary(docs) -> None:
    kinds = Counter(d.kind for d in docs)
    assert set(kinds) == set(DOC_KINDS), kinds
    sentences = [s for d in docs for s in d.sentences]
    assert len(set(sentences)) == len(sentences), "generate_documents(unique=True) repeated a sentence"  # fmt: skip
    first_words = Counter(s.split()[0] for s in sentences)
    assert len(first_words) > 300, f"only {len(first_words)} distinct sentence openings"
    assert any(" she " in f" {s} " or " he " in f" {s} " for s in sentences), "no pronouns"


def test_shipped_corpus_format_and_annotations() -> None:
    """One sentence per line, blank line between documents, one annotation per sentence."""
    for split in ("train", "dev"):
        text = read_text(SHIPPED / f"{split}.txt.gz")
        assert text.endswith("\n") and "\n\n\n" not in text
        docs = [block.split("\n") for block in text.rstrip("\n").split("\n\n")]
        lines = read_text(SHIPPED / f"{split}.annotations.jsonl.gz").splitlines()
        assert len(lines) == sum(len(d) for d in docs), f"{split}: annotations ≠ sentences"
        types: Counter[str] = Counter()
        for line in lines[:20000]:
            rec = json.loads(line)
            sent = docs[rec["doc"]][rec["sent"]]
            for a, b, t in rec["spans"]:
                assert 0 <= a < b <= len(sent) and sent[a:b].strip() == sent[a:b], (sent, a, b, t)
                types[t] += 1
        assert set(types) == {*ENTITY_TYPES, NP}, types


def test_shipped_corpus_never_repeats_a_sentence() -> None:
    train = [s for s in read_text(SHIPPED / "train.txt.gz").split("\n") if s]
    dev = [s for s in read_text(SHIPPED / "dev.txt.gz").split("\n") if s]
    assert len(set(train)) == len(train), f"{len(train) - len(set(train))} repeated train sentences"  # fmt: skip
    assert not set(train) & set(dev), "train and dev share sentences"
