"""The sentence writer: how entities are mentioned, and how facts are recorded as they are written.

A :class:`Writer` turns world entities into :class:`~spanbert_lab.world.text.Piece` mentions —
a full name the first time, then a surname, a pronoun or a description ("the company"), which is
where the corpus gets its coreference; each mention records the entity it refers to (the
coreference task's gold, :attr:`~spanbert_lab.world.text.Piece.mentions`) — and turns templates
into :class:`Sent` records that know which facts (relation, subject, answer offsets) they state. The QA generator asks questions about
exactly those facts, so every answer's offsets are known by construction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from spanbert_lab.world.text import (
    Date,
    Piece,
    concat,
    date_piece,
    ent,
    fmt_count,
    refer,
    render,
)
from spanbert_lab.world.text import sentence as finish
from spanbert_lab.world.world import World

_ORG_NOUN = {
    "company": "the company",
    "bank": "the bank",
    "college": "the college",
    "newspaper": "the paper",
    "club": "the club",
    "party": "the party",
    "hospital": "the hospital",
    "society": "the society",
}
_EVENT_NOUN = {
    "festival": "the festival",
    "treaty": "the treaty",
    "flood": "the flood",
    "fire": "the fire",
    "strike": "the strike",
    "exhibition": "the exhibition",
    "race": "the race",
    "expedition": "the expedition",
}


@dataclass(frozen=True)
class Fact:
    """A relation stated by a sentence: ``relation(subject) = text[start:end]`` of type ``label``."""

    relation: str
    subject: str
    start: int
    end: int
    label: str
    arg: str = ""  # a parameter of the relation, e.g. the neighbour in ``distance``


@dataclass
class Sent:
    """One written sentence: its piece (text + spans + refs) and the facts it states."""

    piece: Piece
    facts: list[Fact] = field(default_factory=list)


class Writer:
    """Mentions entities and writes sentences for one document at a time.

    Args:
        world: the world to describe.
        rng: the generator every choice of phrasing, mention and format is drawn from.
    """

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.seen: set[str] = set()
        self.focus = ""

    def start_doc(self, focus: str) -> None:
        """Forget earlier mentions; ``focus`` is the entity the document is about (pronoun target)."""
        self.seen = set()
        self.focus = focus

    # ------------------------------------------------------------------------------- mentions

    def person(self, pid: str, case: str = "subj", full: bool = False) -> Piece:
        """A mention of person ``pid``: ``case`` is ``subj``, ``obj`` or ``pos`` (possessive).

        The first mention is the full name; later ones a surname, a first name or, for the
        document's focus, a pronoun.
        """
        p = self.world.people[pid]
        first_time = pid not in self.seen
        self.seen.add(pid)
        r = self.rng.random()
        if not full and not first_time and pid == self.focus and r < 0.55:
            return self.pronoun(pid, case)
        if full or first_time or r < 0.7:
            whole = full or first_time or r < 0.65
            name = ent(p.name if whole else p.last, "PER", pid, "name" if whole else "surname")
        else:
            name = ent(p.first, "PER", pid, "first")
        return concat(name, "'s") if case == "pos" else name

    def pronoun(self, pid: str, case: str = "subj") -> Piece:
        """``she``/``he`` (``her``/``him``, ``her``/``his``): a second mention inside a sentence."""
        word = {"subj": ("she", "he"), "obj": ("her", "him"), "pos": ("her", "his")}[case]
        return refer(word[0] if self.world.people[pid].gender == "f" else word[1], pid, "pronoun")

    def its(self, eid: str) -> Piece:
        """``its``, the possessive of a place, organisation or event (no draw from ``rng``)."""
        return refer("its", eid, "pronoun")

    def answer_person(self, pid: str) -> Piece:
        """A person mention that names them (never a pronoun): fit to be an answer."""
        p = self.world.people[pid]
        first_time = pid not in self.seen
        self.seen.add(pid)
        whole = first_time or self.rng.random() < 0.6
        return ent(p.name if whole else p.last, "PER", pid, "name" if whole else "surname")

    def place(self, lid: str) -> Piece:
        self.seen.add(lid)
        return ent(self.world.places[lid].name, "LOC", lid)

    def place_ref(self, lid: str) -> Piece:
        """The place by name, or "the town"/"the village" once it has been named."""
        pl = self.world.places[lid]
        if lid in self.seen and lid == self.focus and self.rng.random() < 0.5:
            return refer(render("[the {k}]", k=pl.kind), lid, "nominal")
        return self.place(lid)

    def org(self, oid: str, article: bool = True) -> Piece:
        """The organisation's name (``the`` outside the span), or "the company" once named."""
        o = self.world.orgs[oid]
        if oid in self.seen and oid == self.focus and self.rng.random() < 0.45:
            return refer(render("[" + _ORG_NOUN[o.kind] + "]"), oid, "nominal")
        self.seen.add(oid)
        name = ent(o.name, "ORG", oid)
        needs_the = article and not (o.name[0].isupper() and " & " in o.name)
        return concat("the ", name) if needs_the else name

    def event(self, eid: str) -> Piece:
        e = self.world.events[eid]
        if eid in self.seen and eid == self.focus and self.rng.random() < 0.45:
            return refer(render("[" + _EVENT_NOUN[e.kind] + "]"), eid, "nominal")
        self.seen.add(eid)
        return concat("the ", ent(e.name, "EVENT", eid))

    def date(self, d: Date, precision: str | None = None) -> tuple[Piece, str]:
        """A DATE mention in a random style and its preposition (``in``/``on``)."""
        return date_piece(d, self.rng, precision)

    def count(self, n: int) -> Piece:
        return ent(fmt_count(n, self.rng), "NUM")

    def misc(self, text: str) -> Piece:
        return ent(text, "MISC")

    # ------------------------------------------------------------------------------- sentences

    def write(
        self,
        templates: list[str] | tuple[str, ...],
        facts: dict[str, tuple[str, ...]],
        **slots: Piece | str,
    ) -> Sent:
        """Render one of ``templates`` and record its facts.

        Args:
            templates: alternative phrasings; one is drawn from ``self.rng``.
            facts: ``slot -> (relation, subject_id, label[, arg])``; the slot's offsets become
                the answer.
            slots: the pieces to insert.
        """
        piece = finish(render(self.rng.choice(templates), **slots))
        out: list[Fact] = []
        for slot, (relation, subject, label, *arg) in facts.items():
            if slot in piece.slots:
                s, e = piece.slots[slot]
                # The answer is the typed mention inside the slot ("the" stays outside).
                inside = [
                    (b - a, a, b) for a, b, t in piece.spans if t == label and s <= a < b <= e
                ]
                if not inside:  # a description ("the hospital"), not a mention: no answer here
                    continue
                _, s, e = max(inside)
                out.append(Fact(relation, subject, s, e, label, arg[0] if arg else ""))
        return Sent(piece, out)


def exchange(
    question: Sent, answer: Sent, prefixes: tuple[Piece | str, Piece | str] = ("", "")
) -> Sent:
    """A question and its answer on one line (``"Q: … ? A: …"`` with ``prefixes``).

    The pair shares a line so that a line is never a bare generic question ("Where were you
    born?") that the corpus's no-repeated-sentence rule would keep only once; the answer makes
    the line particular. ``prefixes`` are the speaker labels ``(before the question, before
    the answer)``, e.g. ``("Q: ", "A: ")``; annotations and facts keep their offsets.
    """
    q_pre, a_pre = prefixes
    piece = concat(q_pre, question.piece, " ", a_pre, answer.piece)
    q_len = len(piece.text) - len(answer.piece.text)
    facts = [
        Fact(f.relation, f.subject, f.start + q_len, f.end + q_len, f.label, f.arg)
        for f in answer.facts
    ]
    return Sent(piece, facts)
