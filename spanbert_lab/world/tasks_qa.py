"""Extractive QA in the official SQuAD layouts (v1.1 and v2.0), from the world's documents.

Each context is one generated document. Its questions ask about facts the document states (the
writer recorded each fact's answer offsets while writing it), phrased with question templates
that do not copy the sentence templates ("Where did X pass away?" against "X died in Y").
A fact is only asked about when the context holds at least two mentions of the answer's type,
so the model has to pick the right person, date or town, not just the only one.

SQuAD 2.0 adds unanswerable questions (about a third), built from distractors in two ways:
a relation of an entity the context mentions but says nothing about in that respect (the world
knows the answer, the text does not), or an answerable question with its subject swapped for a
same-kind entity absent from the context (its original answer kept as ``plausible_answers``).

Train, dev and test contexts come from disjoint documents whose main entities are disjoint too.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from spanbert_lab.data.corpus import write_bytes
from spanbert_lab.world.corpus import Document, write_document
from spanbert_lab.world.world import World
from spanbert_lab.world.writer import Fact, Writer

SPLIT_DOCS = {"train": 900, "dev": 90, "test": 90}
MAX_ANSWERABLE = 6

# relation -> (subject kind, question templates). {S} subject, {A} the relation's argument.
QUESTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "birth_date": (
        "person",
        (
            "When was {S} born?",
            "What is {S}'s date of birth?",
            "On what date did {S}'s life begin?",
        ),
    ),
    "birth_year": ("person", ("In what year was {S} born?", "Which year saw the birth of {S}?")),
    "death_year": ("person", ("In which year did {S} die?", "When did {S}'s life come to an end?")),
    "birthplace": (
        "person",
        (
            "What is the birthplace of {S}?",
            "Which town is {S} a native of?",
            "Where did {S}'s life start?",
            "Where does {S} come from originally?",
        ),
    ),
    "death_date": (
        "person",
        (
            "When did {S} pass away?",
            "On what date did {S} die?",
            "What was the date of {S}'s death?",
        ),
    ),
    "deathplace": (
        "person",
        ("Where did {S} pass away?", "In which place did {S}'s life end?", "Where did {S} die?"),
    ),
    "age_at_death": (
        "person",
        ("How old was {S} at the time of death?", "At what age did {S} die?"),
    ),
    "parent": (
        "person",
        ("Who is named as a parent of {S}?", "Which of {S}'s parents does the text mention?"),
    ),
    "residence": (
        "person",
        ("Where did {S} make a home?", "In which town did {S} live?", "Where was {S} living?"),
    ),
    "school": (
        "person",
        (
            "Which institution educated {S}?",
            "Where did {S} study?",
            "At which college was {S} a student?",
        ),
    ),
    "employer": (
        "person",
        ("Which organisation employed {S}?", "For whom did {S} work?", "Who was {S}'s employer?"),
    ),
    "employer_year": (
        "person",
        (
            "When did {S} take up a post with an employer?",
            "In which year did {S} join the staff of an organisation?",
        ),
    ),
    "spouse": (
        "person",
        ("Whom did {S} marry?", "Who was {S}'s husband or wife?", "To whom was {S} married?"),
    ),
    "children": (
        "person",
        ("How many children did {S} have?", "How many sons and daughters did {S} raise?"),
    ),
    "work": ("person", ("Which work by {S} came out in {A}?", "What did {S} publish in {A}?")),
    "work_year": (
        "person",
        ("When did {S}'s {A} appear?", "In what year was {A} by {S} published?"),
    ),
    "award": ("person", ("Which honour did {S} receive?", "What prize was given to {S}?")),
    "award_year": (
        "person",
        ("When was {S} honoured with a prize?", "In what year did {S} win an award?"),
    ),
    "event_date": (
        "event",
        ("When did {S} take place?", "What was the date of {S}?", "When did {S} happen?"),
    ),
    "event_place": (
        "event",
        (
            "Where did {S} take place?",
            "What was the location of {S}?",
            "In which town did {S} happen?",
        ),
    ),
    "organiser": ("event", ("Which organisation was behind {S}?", "Who was responsible for {S}?")),
    "count": (
        "event",
        ("How many {A} were involved in {S}?", "What was the number of {A} in {S}?"),
    ),
    "days": ("event", ("How many days did {S} last?", "For how long, in days, did {S} go on?")),
    "region": ("place", ("In which province is {S}?", "Which region is {S} part of?")),
    "river": ("place", ("On which river does {S} lie?", "Which river flows past {S}?")),
    "population": (
        "place",
        (
            "What was the population of {S}?",
            "How many people lived in {S}?",
            "How many inhabitants did {S} have?",
        ),
    ),
    "founded": (
        "place|org",
        ("When was {S} founded?", "In what year did {S} come into being?", "When was {S} set up?"),
    ),
    "elevation": ("place", ("How high above sea level is {S}?", "What is the altitude of {S}?")),
    "distance": (
        "place",
        ("How far is {S} from {A}?", "What is the distance between {S} and {A}?"),
    ),
    "mayor": ("place", ("Who was mayor of {S}?", "Who held the office of mayor in {S}?")),
    "hq": (
        "org",
        (
            "Where is {S} based?",
            "In which town does {S} have its head office?",
            "Where is the seat of {S}?",
        ),
    ),
    "founder": ("org", ("Who founded {S}?", "Who established {S}?", "Who started {S}?")),
    "employees": (
        "org",
        (
            "How many people work for {S}?",
            "How large is the staff of {S}?",
            "How many employees does {S} have?",
        ),
    ),
    "leader": ("org", ("Who heads {S}?", "Who is in charge of {S}?", "Who leads {S}?")),
}
_KIND = {"P": "person", "L": "place", "O": "org", "E": "event"}
_SWAPPABLE = {r for r in QUESTIONS if r not in ("work_year",)}
_NOT_ASKED = ("work", "work_year", "distance", "count", "event_date", "parent")
# A relation counts as stated when any relation of its group is (a year answers "when born?").
_IMPLIED = {
    "birth_date": {"birth_date", "birth_year"},
    "birth_year": {"birth_date", "birth_year"},
    "death_date": {"death_date", "death_year"},
    "death_year": {"death_date", "death_year"},
    "age_at_death": {"age_at_death", "death_date", "death_year"},
    # "a brewer from X" is recorded as a residence or a birthplace: never call either unstated
    "birthplace": {"birthplace", "residence"},
    "residence": {"birthplace", "residence"},
}


def subject_name(world: World, eid: str) -> str:
    """How a question names entity ``eid`` (full names; ``the`` before events and most orgs)."""
    if eid in world.people:
        return world.people[eid].name
    if eid in world.places:
        return world.places[eid].name
    if eid in world.orgs:
        name = world.orgs[eid].name
        return name if " & " in name else "the " + name
    return "the " + world.events[eid].name


def question_text(world: World, fact: Fact, rng: random.Random) -> str:
    """A paraphrased question for ``fact`` (template drawn from ``rng``)."""
    template = rng.choice(QUESTIONS[fact.relation][1])
    q = template.replace("{S}", subject_name(world, fact.subject)).replace("{A}", fact.arg)
    return q[0].upper() + q[1:]


def _context(doc: Document) -> tuple[str, list[Fact], list[tuple[int, int, str]], list[str]]:
    """Join a document into one context; facts and spans get context offsets; mentioned ids."""
    parts, facts, spans, ids = [], [], [], []
    pos = 0
    for s in doc.sents:
        p = s.piece
        parts.append(p.text)
        facts += [
            Fact(f.relation, f.subject, f.start + pos, f.end + pos, f.label, f.arg) for f in s.facts
        ]
        spans += [(a + pos, b + pos, t) for a, b, t in p.spans]
        ids += [r for _, _, r in p.refs]
        pos += len(p.text) + 1
    return " ".join(parts), facts, spans, ids


def _split_pool(world: World, split: str, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """(kind, entity id) pairs whose documents belong to ``split`` (ids bucketed by number)."""
    bucket = {"test": (0,), "dev": (1,), "train": tuple(range(2, 10))}[split]
    pools = {
        "person": world.people,
        "place": world.places,
        "org": world.orgs,
        "event": world.events,
    }
    return [(k, e) for k in kinds for e in pools[k] if int(e[1:]) % 10 in bucket]


def make_split(
    world: World,
    split: str,
    n_docs: int,
    rng: random.Random,
    record: list[tuple[str, str, int]] | None = None,
) -> tuple[dict, dict]:
    """The v1.1 and v2.0 SQuAD dicts of one split (``n_docs`` contexts), drawn with ``rng``.

    ``record``, when given, receives ``(question id, answer type, distinct mentions of that
    type in the context)`` for every answerable question (the tests check the distractors).
    """

    w = Writer(world, rng)
    pool = _split_pool(world, split, ("person", "person", "place", "org", "event"))
    articles_v1, articles_v2 = [], []
    n = 0
    while len(articles_v1) < n_docs:
        kind, focus = rng.choice(pool)
        doc = write_document(w, kind, focus)
        context, facts, spans, ids = _context(doc)
        by_label: dict[str, set[str]] = {}
        for a, b, t in spans:
            by_label.setdefault(t, set()).add(context[a:b])
        stated = {(f.relation, f.subject, f.arg) for f in facts}
        groups: dict[tuple[str, str, str], list[Fact]] = {}
        for f in facts:
            if f.relation in QUESTIONS and len(by_label.get(f.label, ())) >= 2:
                groups.setdefault((f.relation, f.subject, f.arg), []).append(f)
        keys = rng.sample(sorted(groups), min(MAX_ANSWERABLE, len(groups)))
        if len(keys) < 2:
            continue
        qid = f"{split}-{n:05d}"
        n += 1
        qas_v1, qas_v2 = [], []
        for j, key in enumerate(keys):
            fs = groups[key] if split != "train" else groups[key][:1]
            answers, seen = [], set()
            for f in fs:
                if (f.start, f.end) not in seen:
                    seen.add((f.start, f.end))
                    answers.append({"text": context[f.start : f.end], "answer_start": f.start})
            q = {
                "id": f"{qid}-{j}",
                "question": question_text(world, fs[0], rng),
                "answers": answers,
            }
            qas_v1.append(q)
            qas_v2.append({**q, "is_impossible": False})
            if record is not None:
                record.append((q["id"], fs[0].label, len(by_label[fs[0].label])))
        extra = _unanswerable(world, context, stated, ids, keys, groups, rng)
        for j, q in enumerate(extra):
            qas_v2.append({"id": f"{qid}-u{j}", **q})
        title = subject_name(world, focus).removeprefix("the ").replace(" ", "_")
        articles_v1.append({"title": title, "paragraphs": [{"context": context, "qas": qas_v1}]})
        articles_v2.append({"title": title, "paragraphs": [{"context": context, "qas": qas_v2}]})
    return {"version": "1.1", "data": articles_v1}, {"version": "v2.0", "data": articles_v2}


def _unanswerable(
    world: World,
    context: str,
    stated: set[tuple[str, str, str]],
    ids: list[str],
    keys: list[tuple[str, str, str]],
    groups: dict[tuple[str, str, str], list[Fact]],
    rng: random.Random,
) -> list[dict]:
    """About half as many unanswerable questions as answerable ones (see the module docstring)."""
    out: list[dict] = []
    want = max(1, round(len(keys) / 2))
    mentioned = sorted(set(ids))
    asked: set[str] = set()
    for _ in range(8 * want):
        if len(out) >= want:
            break
        if rng.random() < 0.5:  # (a) a mentioned entity, a relation the context does not state
            eid = rng.choice(mentioned)
            kind = _KIND[eid[0]]
            rels = [
                r for r, (k, _) in QUESTIONS.items() if kind in k.split("|") and r not in _NOT_ASKED
            ]
            rel = rng.choice(rels)
            said = {s[0] for s in stated if s[1] == eid}
            if any(r in said for r in _IMPLIED.get(rel, {rel})):
                continue
            fact = Fact(rel, eid, 0, 0, "")
            plausible = None
        else:  # (b) an answerable question about a same-kind entity absent from the context
            key = rng.choice(keys)
            if key[0] not in _SWAPPABLE:
                continue
            orig = groups[key][0]
            kind = _KIND[orig.subject[0]]
            pool = {
                "person": world.people,
                "place": world.places,
                "org": world.orgs,
                "event": world.events,
            }[kind]
            other = rng.choice(list(pool))
            if other in mentioned or subject_name(world, other).removeprefix("the ") in context:
                continue
            fact = Fact(orig.relation, other, 0, 0, orig.label, orig.arg)
            plausible = [{"text": context[orig.start : orig.end], "answer_start": orig.start}]
        q = question_text(world, fact, rng)
        if q in asked:
            continue
        asked.add(q)
        item: dict = {"question": q, "answers": [], "is_impossible": True}
        if plausible is not None:
            item["plausible_answers"] = plausible
        out.append(item)
    return out


def write_qa(out: Path, world: World, rng: random.Random) -> None:
    """Write ``squad-v1.1-<split>.json.gz`` and ``squad-v2.0-<split>.json.gz`` for each split.

    The files are the official layout, gzipped (``gunzip -k`` gives the usual ``.json``).
    """
    for split, n_docs in SPLIT_DOCS.items():
        split_rng = random.Random(rng.getrandbits(64))
        v1, v2 = make_split(world, split, n_docs, split_rng)
        for version, data in (("1.1", v1), ("2.0", v2)):
            text = json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":"))
            write_bytes(out / f"squad-v{version}-{split}.json.gz", (text + "\n").encode("utf-8"))
