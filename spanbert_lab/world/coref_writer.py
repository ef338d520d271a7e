"""The coreference writer: how each later mention of an entity is chosen, so that a reader
resolves it by context, not by "the subject" or "the nearest of its type".

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

from spanbert_lab.world.text import (
    Date,
    Piece,
    article,
    concat,
    date_piece,
    ent,
    refer,
    render,
)
from spanbert_lab.world.text import _parse as parse_template
from spanbert_lab.world.text import sentence as finish
from spanbert_lab.world.world import World
from spanbert_lab.world.writer import _EVENT_NOUN, _ORG_NOUN, Sent

__all__ = [
    "AFTER_RIVAL",
    "COMPARE_SAME",
    "CONTINUE",
    "SAME_GENDER",
    "SHIFT",
    "CorefWriter",
    "Fact",
    "Slot",
    "indefinite",
]

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


def indefinite(noun: str) -> str:
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
                return concat(name, ", ", render("[{a}]", a=indefinite(p.occupation)), ",")
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
                        render("[{a} in {r}]", a=indefinite(pl.kind), r=ent(pl.region, "LOC")),
                        render(
                            "[{a} on the {r} river]", a=indefinite(pl.kind), r=ent(pl.river, "LOC")
                        ),
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
