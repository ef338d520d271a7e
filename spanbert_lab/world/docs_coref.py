"""The coreference documents: which facts each kind of document (about a person, an
organisation, an event or a place) brings together, and in what order, from
:mod:`~spanbert_lab.world.coref_facts`, written with the coreference writer
(:mod:`~spanbert_lab.world.coref_writer`), whose mention rules make the antecedents resolvable by
context.
"""

from __future__ import annotations

from collections.abc import Callable

from spanbert_lab.world.coref_facts import (
    comparisons,
    event_facts,
    org_facts,
    person_facts,
    pick_people,
    place_facts,
    relations,
)
from spanbert_lab.world.coref_writer import (
    AFTER_RIVAL,
    CONTINUE,
    SAME_GENDER,
    SHIFT,
    CorefWriter,
    Fact,
)
from spanbert_lab.world.corpus import Document
from spanbert_lab.world.tasks_ner import words
from spanbert_lab.world.writer import Sent

__all__ = ["CorefWriter", "write_coref_document"]


def _about(q: str, facts: list[Fact], drop: tuple[str, ...] = ()) -> list[Fact]:
    """``facts`` (about person ``q``) needing ``q`` mentioned, less those named in ``drop``."""
    return [Fact(f.subject, f.needs | {q}, f.write, f.weight, f.name, f.valid)
            for f in facts if f.name not in drop]  # fmt: skip


def _others(cw: CorefWriter, pid: str, k: int) -> list[tuple[str, Callable[[], Sent]]]:
    """Up to ``k`` people related to ``pid``, with the sentence that introduces each; people of
    ``pid``'s gender come first half of the time (so that a pronoun has a rival)."""
    rel = relations(cw, pid)
    ids = sorted(rel)
    cw.rng.shuffle(ids)
    if cw.rng.random() < SAME_GENDER:
        g = cw.world.people[pid].gender
        ids.sort(key=lambda q: cw.world.people[q].gender != g)
    return [(q, rel[q][1]) for q in ids[:k]]


def person_doc(cw: CorefWriter, pid: str) -> tuple[list[Fact], Fact]:
    """A person, 1–3 relatives / colleagues / founders / fellow participants, their facts and
    the seats of their employers."""
    world = cw.world
    facts = person_facts(cw, pid)
    first = facts[0] if cw.rng.random() < 0.5 else facts[1]  # occupation or birth
    people = {pid}
    for q, intro in _others(cw, pid, cw.rng.choice([1, 2, 2, 3])):
        facts.append(Fact(pid, frozenset({pid}), intro, 4.0, "relation"))
        facts += _about(q, person_facts(cw, q))
        people.add(q)
    for o in sorted({world.people[q].employer for q in people} - {""}):
        facts += [f for f in org_facts(cw, o) if f.name == "seat"]
    facts += comparisons(cw, sorted(people))
    return facts, first


def org_doc(cw: CorefWriter, oid: str) -> tuple[list[Fact], Fact]:
    """An organisation, its founder, leader and 0–2 of its staff, and their facts."""
    world = cw.world
    o = world.orgs[oid]
    facts = org_facts(cw, oid)
    first = facts[1] if cw.rng.random() < 0.6 else facts[0]  # seat or founding
    people = {o.founder, o.leader} - {""}
    staff = [q for q in world.staff.get(oid, []) if q not in people]
    g = world.people[o.founder].gender
    for q in pick_people(cw, staff, cw.rng.choice([0, 1, 1, 2]), g):
        facts.append(
            Fact(
                oid,
                frozenset({oid}),
                lambda q=q: cw.say(
                    ["{s} employed {o}.", "{s} counted {o} among {its} staff."],
                    s=cw.org(oid, subject=True),
                    o=cw.person(q, "obj"),
                    its=cw.its(oid),
                ),
                2.0,
                "staff",
            )
        )
        people.add(q)
    for q in sorted(people):
        facts += _about(q, person_facts(cw, q))
    facts += comparisons(cw, sorted(people))
    return facts, first


def event_doc(cw: CorefWriter, eid: str) -> tuple[list[Fact], Fact]:
    """An event, its organiser and up to three participants, and their facts."""
    world = cw.world
    e = world.events[eid]
    facts = event_facts(cw, eid)
    for q in e.participants[:3]:
        facts.append(
            Fact(
                q,
                frozenset({eid}),
                lambda q=q: cw.say(
                    ["{o} took part in {s}.", "{o} was among [those at {s}]."],
                    o=cw.person(q, subject=True),
                    s=cw.event(eid),
                ),
                2.0,
                "participant",
            )
        )
        facts += _about(q, person_facts(cw, q))
    facts += comparisons(cw, e.participants[:3])
    return facts, facts[0]


def place_doc(cw: CorefWriter, lid: str) -> tuple[list[Fact], Fact]:
    """A place, 1–3 people born there, its mayor, and their facts."""
    world = cw.world
    pl = world.places[lid]
    facts = place_facts(cw, lid)
    people: set[str] = set()
    natives = world.natives.get(lid, [])
    g = cw.rng.choice("fm")
    for q in pick_people(cw, natives, cw.rng.choice([2, 2, 3]), g):

        def born(q: str = q) -> Sent:
            d, prep = cw.date(world.people[q].born)
            return cw.say(
                ["{o} was born in {s} {prep} {d}.", "{o} was born {prep} {d} in {s}."],
                o=cw.person(q, subject=True),
                s=cw.place(lid),
                prep=prep,
                d=d,
            )

        facts.append(Fact(q, frozenset({lid}), born, 2.0, "native"))
        facts += _about(q, person_facts(cw, q), drop=("birth",))
        people.add(q)
    if pl.mayor and pl.mayor not in people:
        facts.append(
            Fact(
                pl.mayor,
                frozenset({lid}),
                lambda: cw.say(
                    ["{o} served as [mayor of {s}].", "{o} was [mayor of {s}] for a time."],
                    o=cw.person(pl.mayor, subject=True),
                    s=cw.place(lid),
                ),
                1.5,
                "mayor",
            )
        )
        facts += _about(pl.mayor, person_facts(cw, pl.mayor))
        people.add(pl.mayor)
    facts += comparisons(cw, sorted(people))
    return facts, facts[0]


DOCS = {"person": person_doc, "org": org_doc, "event": event_doc, "place": place_doc}


def write_coref_document(
    cw: CorefWriter, kind: str, focus: str, max_sentences: int, max_words: int
) -> Document:
    """A document of ``kind`` about ``focus``: its opening fact, then facts drawn one at a time
    among those whose entities have been mentioned (the previous sentence's subject and
    entities favoured), until ``max_sentences`` or the next sentence would pass ``max_words``."""
    cw.start()
    facts, first = DOCS[kind](cw, focus)
    pool = [f for f in facts if f is not first]
    sents = [first.write()]
    n_words = len(words(sents[0].piece.text))
    while len(sents) < max_sentences:
        seen = set(cw.st.seen)
        ready = [f for f in pool if f.needs <= seen and (f.valid is None or f.valid())]
        if not ready:
            break
        st = cw.st
        people = cw.world.people
        rival = st.prev_subject in people and any(
            q in people and q != st.prev_subject
            and people[q].gender == people[st.prev_subject].gender
            for q in st.prev_entities
        )  # fmt: skip
        cont = CONTINUE * (AFTER_RIVAL if rival else 1.0)
        weights = [
            f.weight
            * (
                cont
                if f.subject == st.prev_subject
                else SHIFT
                if f.subject in st.prev_entities
                else 1.0
            )
            for f in ready
        ]
        fact = cw.rng.choices(ready, weights=weights)[0]
        pool.remove(fact)
        sent = fact.write()
        n_words += len(words(sent.piece.text))
        if n_words > max_words:
            break
        sents.append(sent)
    return Document(kind, focus, sents)
