"""The coreference documents' own writer: several people, organisations and places per document,
mentioned the way a reader resolves by context, not by "the subject" or "the nearest of its type".

The corpus's writer (:class:`~spanbert_lab.world.writer.Writer`) keeps one entity in focus and
uses a pronoun or "the company" only for it; a document of that kind is solved by the nearest
compatible mention. This writer is used by the coreference task alone (so the corpus and the other
task sets are untouched) and describes the same world truthfully, with 2–4 people (relatives,
colleagues, founders, fellow participants — often of the same gender), their organisations and
places. Each later mention takes a form drawn among those a reader could resolve, by these rules:

- a **pronoun** opening a sentence (``She``, ``His``) continues the previous sentence's subject,
  even when a person of the same gender was mentioned after it (the pronoun then is not the
  nearest compatible mention's); otherwise a pronoun is used only where its gender picks one
  person: the only one of that gender in the previous sentence (opening a sentence) or in the
  document so far (anywhere);
- a **description** of a person (``the painter``) only once the text has stated that occupation,
  and only when no other person of the document has it; of an organisation (``the bank``) or an
  event (``the festival``) only when no other of the document's organisations / events is of that
  kind; of a place (``the port``) only once the text has stated its kind, and only when no other
  place of the document is of that kind;
- ``its`` only for the subject of its own sentence or (opening a sentence) of the previous one;
- a **first name** or **surname** alone only when no other person of the document shares it
  (relatives share surnames; the full name is used again then);
- a full name always.

Every sentence states facts of the world (relations, dates, places, counts) about the entities it
names, and every mention records the entity it was written for, so the gold clusters are exact by
construction. Templates always put a sentence's subject first; slots are filled in text order, so
"first mention" and "previous sentence" mean what they say.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from spanbert_lab.world.corpus import Document
from spanbert_lab.world.tasks_ner import words
from spanbert_lab.world.text import (
    Date,
    Piece,
    article,
    concat,
    date_piece,
    ent,
    number_words,
    refer,
    render,
)
from spanbert_lab.world.text import _parse as parse_template
from spanbert_lab.world.text import sentence as finish
from spanbert_lab.world.world import Org, World
from spanbert_lab.world.writer import _EVENT_NOUN, _ORG_NOUN, Sent

__all__ = ["CorefWriter", "write_coref_document"]

Slot = Piece | str | Callable[[], Piece | str]

FORM_WEIGHTS = {"pronoun": 2.0, "nominal": 3.0, "first": 0.8, "surname": 0.5, "name": 0.3}
"""Relative odds of a later mention's form among those the rules allow (see the module doc)."""
RIVAL = 3.0
"""How much likelier a pronoun is where it continues the previous subject past a person of the
same gender mentioned after it."""
SAME_GENDER = 0.85
"""Chance that a person's relatives and colleagues of the same gender join the document first."""
APPOSITIVE = 0.6
"""Chance that a person's first mention (not as a possessive) states their occupation."""
CONTINUE, SHIFT, AFTER_RIVAL = 4.0, 2.0, 3.0
"""How much likelier the next sentence is about the previous sentence's subject (continue) or
another entity of the previous sentence (shift) than about an earlier entity; continuing is
``AFTER_RIVAL`` times likelier again when a person of the subject's gender followed it."""
COMPARE_SAME = 2.5
"""Odds of a comparison of two people's dates ("born in 1850, three years after Clara Vell") when
they are of the same gender, against 1 when not."""


def _a(noun: str) -> str:
    return f"{article(noun)} {noun}"


@dataclass
class Fact:
    """One sentence to be written: about ``subject``, needing ``needs`` already mentioned."""

    subject: str
    needs: frozenset[str]
    write: Callable[[], Sent]
    weight: float = 1.0
    name: str = ""
    valid: Callable[[], bool] | None = None  # still worth writing (not stated already)


@dataclass
class _State:
    seen: list[str] = field(default_factory=list)  # entities in order of first mention
    prev_subject: str = ""
    prev_entities: list[str] = field(default_factory=list)
    subject: str = ""
    entities: list[str] = field(default_factory=list)  # of the sentence being written
    occupation_stated: set[str] = field(default_factory=set)
    kind_stated: set[str] = field(default_factory=set)
    done: set[tuple[str, str]] = field(default_factory=set)  # (entity, fact) already stated


class CorefWriter:
    """Writes one coreference document at a time (see the module docstring for the rules).

    Args:
        world: the world to describe.
        rng: every choice (facts, order, forms, phrasing) is drawn from it.
    """

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.st = _State()

    # --------------------------------------------------------------------------- bookkeeping

    def start(self) -> None:
        """Forget the previous document."""
        self.st = _State()

    def _note(self, eid: str, subject: bool) -> None:
        st = self.st
        if eid not in st.seen:
            st.seen.append(eid)
        st.entities.append(eid)
        if subject and not st.subject:
            st.subject = eid

    def _opening(self) -> bool:
        """Whether nothing of the current sentence has been mentioned yet."""
        return not self.st.entities

    def say(self, templates: list[str], **slots: Slot) -> Sent:
        """Render one of ``templates``, filling its slots in text order (a callable slot is
        called when reached), and close the sentence (its subject becomes the previous one)."""
        template = self.rng.choice(templates)
        values: dict[str, Piece | str] = {}
        for op, name in parse_template(template):
            if op == "slot" and name not in values:
                value = slots[name]
                values[name] = value() if callable(value) else value
        piece = _tidy(finish(render(template, **values)))
        st = self.st
        st.prev_subject, st.prev_entities = st.subject, st.entities
        st.subject, st.entities = "", []
        return Sent(piece)

    # --------------------------------------------------------------------------- mentions

    def person(
        self, pid: str, case: str = "subj", subject: bool = False, app: bool = True
    ) -> Callable[[], Piece]:
        """A callable slot: person ``pid`` in ``case`` (``subj``, ``obj``, ``pos``)."""
        return lambda: self._person(pid, case, subject, app)

    def _person(self, pid: str, case: str, subject: bool, app: bool) -> Piece:
        p = self.world.people[pid]
        st = self.st
        opening = self._opening()
        if pid not in st.seen:
            self._note(pid, subject)
            name = ent(p.name, "PER", pid, "name")
            if case == "pos":
                return concat(name, "'s")
            if app and pid not in st.occupation_stated and self.rng.random() < APPOSITIVE:
                st.occupation_stated.add(pid)
                return concat(name, ", ", render("[{a}]", a=_a(p.occupation)), ",")
            return name
        forms = self._person_forms(pid, case, opening)
        form = self.rng.choices(list(forms), weights=list(forms.values()))[0]
        self._note(pid, subject)
        if form == "pronoun":
            return self.pronoun(pid, case)
        if form == "nominal":
            piece = refer(render("[the {o}]", o=p.occupation), pid, "nominal")
        else:
            text = {"name": p.name, "first": p.first, "surname": p.last}[form]
            piece = ent(text, "PER", pid, form)
        return concat(piece, "'s") if case == "pos" else piece

    def _person_forms(self, pid: str, case: str, opening: bool) -> dict[str, float]:
        p = self.world.people[pid]
        st = self.st
        others = [self.world.people[q] for q in st.seen if q in self.world.people and q != pid]
        seen_people = [q for q in st.seen if q in self.world.people]
        same_gender_seen = [q for q in seen_people if self.world.people[q].gender == p.gender]
        prev_people = [q for q in st.prev_entities if q in self.world.people]
        prev_same = {q for q in prev_people if self.world.people[q].gender == p.gender}
        forms = {"name": FORM_WEIGHTS["name"]}
        if opening and case in ("subj", "pos"):
            pronoun = pid == st.prev_subject or (prev_same == {pid}) or same_gender_seen == [pid]
        else:
            in_sentence = [q for q in st.entities if q in self.world.people]
            pronoun = same_gender_seen == [pid] and pid not in in_sentence
        if pronoun:
            # continuing the subject past a rival of the same gender: the case that needs context
            cont = opening and pid == st.prev_subject
            rival = cont and len(prev_same) > 1
            forms["pronoun"] = FORM_WEIGHTS["pronoun"] * (RIVAL if rival else 2.0 if cont else 1.0)
        if pid in st.occupation_stated and all(q.occupation != p.occupation for q in others):
            forms["nominal"] = FORM_WEIGHTS["nominal"]
        if all(q.first != p.first for q in others):
            forms["first"] = FORM_WEIGHTS["first"]
        if all(q.last != p.last for q in others):
            forms["surname"] = FORM_WEIGHTS["surname"]
        return forms

    def pronoun(self, pid: str, case: str = "subj") -> Piece:
        """``she``/``he``, ``her``/``him``, ``her``/``his`` for person ``pid``."""
        word = {"subj": ("she", "he"), "obj": ("her", "him"), "pos": ("her", "his")}[case]
        return refer(word[0] if self.world.people[pid].gender == "f" else word[1], pid, "pronoun")

    def bound(self, pid: str) -> Callable[[], Piece]:
        """A callable slot: ``her``/``his`` for the subject ``pid`` of the same sentence, written
        right after it (no other person in between)."""

        def make() -> Piece:
            self._note(pid, False)
            return self.pronoun(pid, "pos")

        return make

    def its(self, eid: str) -> Callable[[], Piece]:
        """A callable slot: ``its`` for ``eid``, the sentence's (or, opening it, the previous
        sentence's) subject."""

        def make() -> Piece:
            self._note(eid, False)
            return refer("its", eid, "pronoun")

        return make

    def _kind_unique(self, eid: str, kind_of: Callable[[str], str | None]) -> bool:
        """Whether no other entity mentioned so far is of ``eid``'s kind."""
        kind = kind_of(eid)
        return all(kind_of(e) != kind for e in self.st.seen if e != eid)

    def org(self, oid: str, subject: bool = False) -> Callable[[], Piece]:
        """A callable slot: the organisation's name (``the`` outside the span), or "the bank"."""

        def make() -> Piece:
            o = self.world.orgs[oid]
            kind = lambda e: self.world.orgs[e].kind if e in self.world.orgs else None  # noqa: E731
            later = oid in self.st.seen
            self._note(oid, subject)
            if later and self._kind_unique(oid, kind) and self.rng.random() < 0.7:
                return refer(render("[" + _ORG_NOUN[o.kind] + "]"), oid, "nominal")
            name = ent(o.name, "ORG", oid)
            return name if (" & " in o.name) else concat("the ", name)

        return make

    def event(self, eid: str, subject: bool = False) -> Callable[[], Piece]:
        """A callable slot: ``the`` + the event's name, or "the festival"."""

        def make() -> Piece:
            e = self.world.events[eid]
            kind = lambda x: self.world.events[x].kind if x in self.world.events else None  # noqa: E731
            later = eid in self.st.seen
            self._note(eid, subject)
            if later and self._kind_unique(eid, kind) and self.rng.random() < 0.7:
                return refer(render("[" + _EVENT_NOUN[e.kind] + "]"), eid, "nominal")
            return concat("the ", ent(e.name, "EVENT", eid))

        return make

    def place(self, lid: str, subject: bool = False, app: bool = False) -> Callable[[], Piece]:
        """A callable slot: the place's name (with ``app``, sometimes ", a port in Vesmark,"),
        or "the port" once its kind has been stated."""

        def make() -> Piece:
            pl = self.world.places[lid]
            st = self.st
            kind = lambda x: self.world.places[x].kind if x in self.world.places else None  # noqa: E731
            later = lid in st.seen
            self._note(lid, subject)
            unique = later and lid in st.kind_stated and self._kind_unique(lid, kind)
            if unique and self.rng.random() < 0.7:
                return refer(render("[the {k}]", k=pl.kind), lid, "nominal")
            name = ent(pl.name, "LOC", lid)
            if not later and app and self.rng.random() < 0.5:
                st.kind_stated.add(lid)
                where = self.rng.choice(
                    [
                        render("[{a} in {r}]", a=_a(pl.kind), r=ent(pl.region, "LOC")),
                        render("[{a} on the {r} river]", a=_a(pl.kind), r=ent(pl.river, "LOC")),
                    ]
                )
                return concat(name, ", ", where, ",")
            return name

        return make

    def date(self, d: Date, precision: str | None = None) -> tuple[Piece, str]:
        """A DATE mention in a random style and its preposition (``in``/``on``)."""
        return date_piece(d, self.rng, precision)


def _tidy(piece: Piece) -> Piece:
    """``…, a painter,.`` → ``…, a painter.`` (an appositive that ended the sentence; a noun
    phrase that closed after its comma closes before it)."""
    if not piece.text.endswith(",."):
        return piece
    cut = len(piece.text) - 2
    if any(e > cut for _, e, _, _ in piece.mentions):
        raise ValueError(f"a mention covers the comma cut from {piece.text!r}")
    spans = tuple((s, min(e, cut), t) for s, e, t in piece.spans)
    return Piece(piece.text[:cut] + ".", spans, piece.refs, piece.slots, piece.mentions)


# ------------------------------------------------------------------------------- facts


def _person_facts(cw: CorefWriter, pid: str) -> list[Fact]:
    """Single facts about person ``pid`` (subject first), each needing ``pid`` mentioned."""
    world = cw.world
    p = world.people[pid]
    s = lambda case="subj": cw.person(pid, case, subject=True)  # noqa: E731
    out: list[Fact] = []

    def fact(
        write: Callable[[], Sent], weight: float = 1.0, valid: Callable[[], bool] | None = None
    ) -> None:
        out.append(Fact(pid, frozenset({pid}), write, weight, write.__name__, valid))

    def occupation() -> Sent:
        sent = cw.say(
            ["{s} was [{a_occ}] from {reg}.", "{s} worked as [{a_occ}].", "{s} was [{a_occ}]."],
            s=cw.person(pid, subject=True, app=False),
            a_occ=_a(p.occupation),
            reg=ent(world.places[p.birthplace].region, "LOC"),
        )
        cw.st.occupation_stated.add(pid)
        return sent

    fact(occupation, 1.5, lambda: pid not in cw.st.occupation_stated)

    def birth() -> Sent:
        d, prep = cw.date(p.born)
        return cw.say(
            [
                "{s} was born in {bp} {prep} {d}.",
                "{s} was born {prep} {d} in {bp}.",
                "{pos} birth took place in {bp} {prep} {d}.",
            ],
            s=s(),
            pos=s("pos"),
            bp=cw.place(p.birthplace, app=True),
            prep=prep,
            d=d,
        )

    fact(birth)
    if p.residence != p.birthplace:
        fact(
            lambda: cw.say(
                [
                    "{s} later settled in {res}.",
                    "{s} made [a home] in {res}.",
                    "{s} lived in {res}.",
                ],
                s=s(),
                res=cw.place(p.residence, app=True),
            )
        )
    if p.employer:

        def employer() -> Sent:
            cw.st.done.add((pid, "employer"))
            return cw.say(
                [
                    "{s} worked for {emp}.",
                    "{s} spent [most of {pos} career] at {emp}.",
                    "{s} was employed by {emp}.",
                ],
                s=s(),
                pos=cw.bound(pid),
                emp=cw.org(p.employer),
            )

        fact(employer, 1.0, lambda: (pid, "employer") not in cw.st.done)
    if p.school:
        fact(
            lambda: cw.say(
                ["{s} studied at {school}.", "{s} was educated at {school}."],
                s=s(),
                school=cw.org(p.school),
            )
        )
    if p.died is not None:

        def death() -> Sent:
            d, prep = cw.date(p.died)
            return cw.say(
                [
                    "{s} died in {dp} {prep} {d}.",
                    "{s} died {prep} {d} in {dp}.",
                    "{s} spent [{pos} final years] in {dp} and died there {prep} {d}.",
                ],
                s=s(),
                pos=cw.bound(pid),
                dp=cw.place(p.deathplace, app=True),
                prep=prep,
                d=d,
            )

        fact(death)
    if p.works:
        title, year = p.works[0]
        fact(
            lambda: cw.say(
                ["{s} published {t} in {y}.", "{s} wrote {t}, which appeared in {y}."],
                s=s(),
                t=ent(title, "MISC"),
                y=ent(str(year), "DATE"),
            )
        )
    if p.award is not None:
        name, year = p.award
        fact(
            lambda: cw.say(
                ["{s} received the {aw} in {y}.", "{s} was awarded the {aw} in {y}."],
                s=s(),
                aw=ent(name, "MISC"),
                y=ent(str(year), "DATE"),
            )
        )
    return out


def _employer_relation(
    cw: CorefWriter, pid: str, s: Callable[[], Piece]
) -> dict[str, tuple[str, Callable[[], Sent]]]:
    """A colleague of ``pid`` at the same employer, or the employer's founder (one of them)."""
    world = cw.world
    p = world.people[pid]
    out: dict[str, tuple[str, Callable[[], Sent]]] = {}
    o = world.orgs[p.employer]
    mates = [q for q in world.staff.get(o.id, []) if q != pid]
    if mates and cw.rng.random() < 0.6:
        q = _pick_people(cw, mates, 1, cw.world.people[pid].gender)[0]

        def colleague(q: str = q, o: Org = o) -> Sent:
            if (pid, "employer") in cw.st.done:  # "He worked for X" was said already
                templates = ["{o} also worked for {emp}."]
            else:
                templates = [
                    "{s} worked for {emp}, as did {o}.",
                    "{s} worked for {emp}, where {o} also worked.",
                ]
            subject = len(templates) == 1  # the other person opens the sentence
            cw.st.done |= {(pid, "employer"), (q, "employer")}
            return cw.say(templates, s=s, emp=cw.org(o.id), o=cw.person(q, "obj", subject=subject))

        out[q] = ("colleague", colleague)
    elif o.founder != pid:

        def founded(o: Org = o) -> Sent:
            d, prep = cw.date(o.founded)
            if (pid, "employer") in cw.st.done:
                templates = ["{emp} had been founded {prep} {d} by {o}."]
            else:
                templates = [
                    "{s} worked for {emp}, which {o} had founded {prep} {d}.",
                    "{s} worked for {emp}, founded {prep} {d} by {o}.",
                ]
            cw.st.done.add((pid, "employer"))
            return cw.say(
                templates,
                s=s,
                emp=cw.org(o.id, subject=True),
                o=cw.person(o.founder, "obj"),
                prep=prep,
                d=d,
            )

        out[o.founder] = ("founder", founded)
    return out


def _relations(cw: CorefWriter, pid: str) -> dict[str, tuple[str, Callable[[], Sent]]]:
    """Sentences linking person ``pid`` (subject) to another person: ``other id -> (relation,
    write)``; the other person may be mentioned for the first time."""
    world = cw.world
    p = world.people[pid]
    out: dict[str, tuple[str, Callable[[], Sent]]] = {}
    s = cw.person(pid, subject=True)

    if p.spouse:
        q = world.people[p.spouse]
        year = ent(str(max(p.born.year, q.born.year) + 24), "DATE")
        out[q.id] = (
            "spouse",
            lambda q=q, year=year: cw.say(
                ["{s} married {o} in {y}.", "{s} was married to {o}."],
                s=s,
                o=cw.person(q.id, "obj"),
                y=year,
            ),
        )
    for par in p.parents:
        q = world.people[par]
        child = "daughter" if p.gender == "f" else "son"
        out[q.id] = (
            "parent",
            lambda q=q, child=child: cw.say(
                ["{s} was [the {child} of {o}].", "{s} was [a {child} of {o}]."],
                s=s,
                child=child,
                o=cw.person(q.id, "obj"),
            ),
        )
    for sib in p.siblings[:3]:
        q = world.people[sib]
        rel = "sister" if p.gender == "f" else "brother"
        if p.born.year != q.born.year:
            rel = ("younger " if p.born.year > q.born.year else "elder ") + rel
        out[q.id] = (
            "sibling",
            lambda q=q, rel=rel: cw.say(
                ["{s} was [the {rel} of {o}]."], s=s, rel=rel, o=cw.person(q.id, "obj")
            ),
        )
    if p.employer:
        out |= _employer_relation(cw, pid, s)
    for eid in p.events[:2]:
        e = world.events[eid]
        for q in e.participants:
            if q != pid:
                out.setdefault(
                    q,
                    (
                        "event",
                        lambda q=q, e=e: cw.say(
                            [
                                "{s} took part in {ev}, as did {o}.",
                                "{s} took part in {ev} together with {o}.",
                            ],
                            s=s,
                            ev=cw.event(e.id),
                            o=cw.person(q, "obj"),
                        ),
                    ),
                )
    return out


def _org_facts(cw: CorefWriter, oid: str) -> list[Fact]:
    """Facts about organisation ``oid`` (subject first); the founder's and leader's sentences
    may introduce them."""
    world = cw.world
    o = world.orgs[oid]
    out: list[Fact] = []
    need = frozenset({oid})

    def founded() -> Sent:
        d, prep = cw.date(o.founded)
        return cw.say(
            [
                "{s} was founded {prep} {d} by {f}.",
                "{s} had been set up by {f} {prep} {d}.",
            ],
            s=cw.org(oid, subject=True),
            f=cw.person(o.founder, "obj"),
            prep=prep,
            d=d,
        )

    out.append(Fact(oid, need, founded, 1.5, "founded"))
    out.append(
        Fact(
            oid,
            need,
            lambda: cw.say(
                [
                    "{s}, based in {hq}, employed {n} people at {its} height.",
                    "{s} had {its} head office in {hq} and a staff of {n}.",
                    "{s} employed {n} people at {its} head office in {hq}.",
                ],
                s=cw.org(oid, subject=True),
                hq=cw.place(o.hq),
                its=cw.its(oid),
                n=ent(f"{o.employees:,}", "NUM"),
            ),
            1.0,
            "seat",
        )
    )
    if o.leader:
        out.append(
            Fact(
                oid,
                need,
                lambda: cw.say(
                    ["{s} was led by {l}.", "{s} was for a time directed by {l}."],
                    s=cw.org(oid, subject=True),
                    l=cw.person(o.leader, "obj"),
                ),
                1.0,
                "leader",
            )
        )
    return out


def _place_facts(cw: CorefWriter, lid: str) -> list[Fact]:
    """Facts about place ``lid`` (subject first)."""
    world = cw.world
    pl = world.places[lid]
    need = frozenset({lid})

    def kind() -> Sent:
        sent = cw.say(
            ["{s} is [{a_kind}] in {reg}.", "{s} is [{a_kind}] on the {river} river."],
            s=cw.place(lid, subject=True),
            a_kind=_a(pl.kind),
            reg=ent(pl.region, "LOC"),
            river=ent(pl.river, "LOC"),
        )
        cw.st.kind_stated.add(lid)
        return sent

    def population() -> Sent:
        opening_its = cw.st.prev_subject == lid
        templates = ["{s} had [a population of {n}] in {cy}."]
        if opening_its:
            templates.append("[{its} population] stood at {n} in {cy}.")
        return cw.say(
            templates,
            s=cw.place(lid, subject=True),
            its=cw.its(lid),
            n=ent(f"{pl.population:,}", "NUM"),
            cy=ent(str(pl.census_year), "DATE"),
        )

    return [
        Fact(lid, need, kind, 1.5, "kind", lambda: lid not in cw.st.kind_stated),
        Fact(lid, need, population, 1.0, "population"),
    ]


def _event_facts(cw: CorefWriter, eid: str) -> list[Fact]:
    """Facts about event ``eid`` (subject first)."""
    e = cw.world.events[eid]
    need = frozenset({eid})

    def held() -> Sent:
        d, prep = cw.date(e.date)
        return cw.say(
            ["{s} took place in {where} {prep} {d}.", "{s} was held in {where} {prep} {d}."]
            if e.kind not in ("flood", "fire")
            else ["{s} struck {where} {prep} {d}."],
            s=cw.event(eid, subject=True),
            where=cw.place(e.place, app=True),
            prep=prep,
            d=d,
        )

    def organiser() -> Sent:
        return cw.say(
            ["{s} was followed by [a relief effort] led by {org}."]
            if e.kind in ("flood", "fire")
            else ["{s} was organised by {org}.", "{s} was arranged by {org}."],
            s=cw.event(eid, subject=True),
            org=cw.org(e.organiser),
        )

    return [Fact(eid, need, held, 1.5, "held"), Fact(eid, need, organiser, 1.0, "organiser")]


def _comparisons(cw: CorefWriter, people: list[str]) -> list[Fact]:
    """Sentences about one person that name another after it (born / died so many years before
    or after them), for every pair of ``people``; each pair compared once on each date."""
    world = cw.world
    out: list[Fact] = []
    for a in people:
        for b in people:
            pa, pb = world.people[a], world.people[b]
            pairs = [("born", pa.born, pb.born)]
            if pa.died is not None and pb.died is not None:
                pairs.append(("died", pa.died, pb.died))
            for verb, da, db in pairs:
                gap = da.year - db.year
                if a == b or gap == 0:
                    continue
                key = (min(a, b) + max(a, b), verb)

                def compare(
                    a: str = a, b: str = b, verb: str = verb, da: Date = da, gap: int = gap,
                    key: tuple[str, str] = key,
                ) -> Sent:  # fmt: skip
                    cw.st.done.add(key)
                    n = abs(gap)
                    years = "one year" if n == 1 else f"{number_words(n) if n < 20 else n} years"
                    when = "after" if gap > 0 else "before"
                    return cw.say(
                        ["{s} was born in {y}, {n} " + when + " {o}."]
                        if verb == "born"
                        else ["{s} died in {y}, {n} " + when + " {o}."],
                        s=cw.person(a, subject=True),
                        y=ent(str(da.year), "DATE"),
                        n=ent(years, "NUM"),
                        o=cw.person(b, "obj", app=False),
                    )

                weight = COMPARE_SAME if pa.gender == pb.gender else 1.0
                out.append(
                    Fact(a, frozenset({a, b}), compare, weight, "compare",
                         lambda key=key: key not in cw.st.done)
                )  # fmt: skip
    return out


# ------------------------------------------------------------------------------- documents


def _pick_people(cw: CorefWriter, ids: list[str], k: int, gender: str) -> list[str]:
    """``k`` of ``ids`` (fewer if there are fewer), each of ``gender`` with chance
    :data:`SAME_GENDER` when there is one left."""
    pool = list(ids)
    out: list[str] = []
    while pool and len(out) < k:
        same = [q for q in pool if cw.world.people[q].gender == gender]
        q = cw.rng.choice(same if same and cw.rng.random() < SAME_GENDER else pool)
        out.append(q)
        pool.remove(q)
    return out


def _about(q: str, facts: list[Fact], drop: tuple[str, ...] = ()) -> list[Fact]:
    """``facts`` (about person ``q``) needing ``q`` mentioned, less those named in ``drop``."""
    return [Fact(f.subject, f.needs | {q}, f.write, f.weight, f.name, f.valid)
            for f in facts if f.name not in drop]  # fmt: skip


def _others(cw: CorefWriter, pid: str, k: int) -> list[tuple[str, Callable[[], Sent]]]:
    """Up to ``k`` people related to ``pid``, with the sentence that introduces each; people of
    ``pid``'s gender come first half of the time (so that a pronoun has a rival)."""
    rel = _relations(cw, pid)
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
    facts = _person_facts(cw, pid)
    first = facts[0] if cw.rng.random() < 0.5 else facts[1]  # occupation or birth
    people = {pid}
    for q, intro in _others(cw, pid, cw.rng.choice([1, 2, 2, 3])):
        facts.append(Fact(pid, frozenset({pid}), intro, 4.0, "relation"))
        facts += _about(q, _person_facts(cw, q))
        people.add(q)
    for o in sorted({world.people[q].employer for q in people} - {""}):
        facts += [f for f in _org_facts(cw, o) if f.name == "seat"]
    facts += _comparisons(cw, sorted(people))
    return facts, first


def org_doc(cw: CorefWriter, oid: str) -> tuple[list[Fact], Fact]:
    """An organisation, its founder, leader and 0–2 of its staff, and their facts."""
    world = cw.world
    o = world.orgs[oid]
    facts = _org_facts(cw, oid)
    first = facts[1] if cw.rng.random() < 0.6 else facts[0]  # seat or founding
    people = {o.founder, o.leader} - {""}
    staff = [q for q in world.staff.get(oid, []) if q not in people]
    g = world.people[o.founder].gender
    for q in _pick_people(cw, staff, cw.rng.choice([0, 1, 1, 2]), g):
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
        facts += _about(q, _person_facts(cw, q))
    facts += _comparisons(cw, sorted(people))
    return facts, first


def event_doc(cw: CorefWriter, eid: str) -> tuple[list[Fact], Fact]:
    """An event, its organiser and up to three participants, and their facts."""
    world = cw.world
    e = world.events[eid]
    facts = _event_facts(cw, eid)
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
        facts += _about(q, _person_facts(cw, q))
    facts += _comparisons(cw, e.participants[:3])
    return facts, facts[0]


def place_doc(cw: CorefWriter, lid: str) -> tuple[list[Fact], Fact]:
    """A place, 1–3 people born there, its mayor, and their facts."""
    world = cw.world
    pl = world.places[lid]
    facts = _place_facts(cw, lid)
    people: set[str] = set()
    natives = world.natives.get(lid, [])
    g = cw.rng.choice("fm")
    for q in _pick_people(cw, natives, cw.rng.choice([2, 2, 3]), g):

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
        facts += _about(q, _person_facts(cw, q), drop=("birth",))
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
        facts += _about(pl.mayor, _person_facts(cw, pl.mayor))
        people.add(pl.mayor)
    facts += _comparisons(cw, sorted(people))
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
