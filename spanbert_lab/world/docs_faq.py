"""FAQ pages and quizzes: third-person questions about places, organisations, people, events.

A FAQ page answers a visitor's questions about one town or organisation ("How many people live
in Vellmouth?", "Who runs the Bank of Ostvik today?"); a quiz asks about the people, places and
events of one province, some questions with a choice of answers. Together with the interviews
and letters (:mod:`spanbert_lab.world.docs_interviews`) they bring questions into the pretraining
corpus. The phrasings are this module's own, not the QA task's question templates. Each
question shares its line with its answer. Every draw comes from ``w.rng``.
"""

from __future__ import annotations

from spanbert_lab.world.docs_people import plural
from spanbert_lab.world.docs_world import ORG_NOUN, a_noun
from spanbert_lab.world.names import COUNTRY
from spanbert_lab.world.text import Date, Piece, concat, ent, join_list, number_words, wrap
from spanbert_lab.world.writer import Sent, Writer, exchange


def _pair(w: Writer, pairs: list[tuple[str, str]], **slots: Piece | str) -> tuple[Sent, Sent]:
    q, a = pairs[w.rng.randrange(len(pairs))]
    return w.write([q], {}, **slots), w.write([a], {}, **slots)


def asked_about(eid: str) -> bool:
    """Whether a question-bearing document may ask about entity ``eid``.

    The QA task's dev and test documents are about entities whose number ends in 0 or 1
    (``tasks_qa._split_pool``); the corpus never puts a question-and-answer pair about them.
    """
    return int(eid[1:]) % 10 >= 2


def place_faq(w: Writer, lid: str) -> list[Sent]:
    """Questions and answers about place ``lid``."""
    world = w.world
    pl = world.places[lid]
    w.start_doc(lid)
    s = w.place(lid)
    out = [
        w.write(
            [
                "Questions and answers about {s}, [{a_kind} in {reg}].",
                "What should [a visitor to {s}] know? [Some answers] follow.",
                "Frequently asked questions about {s}, in {reg}.",
            ],
            {},
            s=s,
            a_kind=a_noun(pl.kind),
            reg=ent(pl.region, "LOC"),
        )
    ]
    nb = world.places[pl.neighbour]
    slots: dict[str, Piece | str] = {
        "s": s,
        "a_kind": a_noun(pl.kind),
        "reg": ent(pl.region, "LOC"),
        "country": ent(COUNTRY, "LOC"),
        "river": ent(pl.river, "LOC"),
        "n": w.count(pl.population),
        "cy": ent(str(pl.census_year), "DATE"),
        "y": ent(str(pl.founded), "DATE"),
        "el": ent(f"{pl.elevation} metres", "NUM"),
        "nb": w.place(nb.id),
        "km": ent(f"{pl.distance_km} kilometres", "NUM"),
        "items": join_list([wrap(Piece(x), "NP") for x in pl.industries]),
    }
    topics: list[list[tuple[str, str]]] = [
        [
            ("Where is {s}?", "{s} is [{a_kind}] in {reg}, on the {river}."),
            (
                "Where exactly is {s}?",
                "It lies on the {river} river, in {reg}, [a province of {country}].",
            ),
            ("Which river runs through {s}?", "The {river}."),
        ],
        [
            ("How many people live in {s}?", "[The census of {cy}] counted {n} inhabitants."),
            ("How big is {s}?", "About {n} people lived there at [the {cy} census]."),
        ],
        [
            ("How old is {s}?", "[The first settlement] dates from {y}."),
            ("When did people first settle at {s}?", "In {y}."),
        ],
        [
            ("How high does {s} lie?", "{s} lies {el} above sea level."),
            ("Is {s} high above the sea?", "Not very: {el} above sea level."),
        ],
        [
            ("How far away is {nb}?", "{nb} is {km} from {s}."),
            ("Which town is nearest to {s}?", "{nb}, {km} away."),
        ],
        [
            ("What is {s} known for?", "{s} is known for {items}."),
            ("What do people in {s} make?", "[Its workshops] produce {items}."),
        ],
    ]
    if pl.landmarks:
        slots["marks"] = join_list([concat("the ", ent(x, "LOC")) for x in pl.landmarks])
        topics.append([("What is there to see in {s}?", "Visitors come to see {marks}.")])
    if pl.mayor:
        m = world.people[pl.mayor]
        slots |= {"m": w.answer_person(m.id), "a_occ": a_noun(m.occupation)}
        topics.append([("Who is the mayor of {s}?", "{m}, [{a_occ}], is [the mayor].")])
    natives = [q for q in world.natives.get(lid, []) if asked_about(q)][:3]
    if len(natives) >= 2:
        slots["natives"] = join_list([w.answer_person(q) for q in natives])
        topics.append([("Which famous people were born in {s}?", "{natives} were all born there.")])
    for eid in world.events_at.get(lid, [])[:1]:
        d, prep = w.date(world.events[eid].date)
        slots |= {"ev": w.event(eid), "d": d, "prep": prep}
        topics.append(
            [
                ("What happened in {s} {prep} {d}?", "{ev} took place there."),
                ("Why is {s} remembered?", "{s} hosted {ev} {prep} {d}."),
            ]
        )
    return out + _answered(w, topics, slots)


def org_faq(w: Writer, oid: str) -> list[Sent]:
    """Questions and answers about organisation ``oid``."""
    world = w.world
    o = world.orgs[oid]
    w.start_doc(oid)
    f = world.people[o.founder]
    lead = world.people[o.leader]
    d, prep = w.date(o.founded)
    slots: dict[str, Piece | str] = {
        "s": w.org(oid),
        "a_kind": a_noun(ORG_NOUN[o.kind]),
        "kinds": plural(ORG_NOUN[o.kind]),
        "hq": w.place(o.hq),
        "f": w.answer_person(f.id),
        "a_focc": a_noun(f.occupation),
        "fbp": w.place(f.birthplace),
        "d": d,
        "prep": prep,
        "n": w.count(o.employees),
        "l": w.answer_person(lead.id),
        "ly": ent(str(max(o.founded.year + 5, lead.born.year + 35)), "DATE"),
    }
    out = [
        w.write(
            [
                "{s}: questions and answers.",
                "Frequently asked questions about {s}, in {hq}.",
                "What do people ask about {s}? Here are [the usual questions].",
            ],
            {},
            **slots,
        )
    ]
    topics: list[list[tuple[str, str]]] = [
        [
            ("What is {s}?", "{s} is [{a_kind}] based in {hq}."),
            (
                "What kind of organisation is {s}?",
                "It is [{a_kind}], one of [the {kinds} of {hq}].",
            ),
        ],
        [
            ("Who set up {s}, and when?", "{f} founded it {prep} {d}."),
            ("How did {s} begin?", "{f}, [{a_focc} from {fbp}], set it up {prep} {d}."),
        ],
        [
            ("Where can I find {s}?", "[Its head office] is in {hq}."),
            ("Where does {s} have its offices?", "In {hq}."),
        ],
        [
            ("How many people does {s} employ?", "{n} people work there."),
            ("How large is {s}?", "It has [a staff of {n}]."),
        ],
        [
            ("Who runs {s} today?", "{l} has led it since {ly}."),
            ("Who is the head of {s} now?", "{l}, since {ly}."),
            ("Whom should I write to at {s}?", "To {l}, who has led it since {ly}."),
        ],
    ]
    staff = [q for q in world.staff.get(oid, []) if asked_about(q)][:3]
    if len(staff) >= 2:
        slots["staff"] = join_list([w.answer_person(q) for q in staff])
        topics.append([("Which well-known people have worked for {s}?", "{staff}, among others.")])
    for eid in world.events_by.get(oid, [])[:1]:
        e = world.events[eid]
        ed, eprep = w.date(e.date)
        slots |= {"ev": w.event(eid), "where": w.place(e.place), "ed": ed, "eprep": eprep}
        topics.append([("Which events has {s} organised?", "{ev}, in {where} {eprep} {ed}.")])
    return out + _answered(w, topics, slots)


def _answered(
    w: Writer, topics: list[list[tuple[str, str]]], slots: dict[str, Piece | str]
) -> list[Sent]:
    """A shuffled selection of ``topics``, one question-and-answer line each."""
    w.rng.shuffle(topics)
    style = ("", "") if w.rng.random() < 0.6 else ("Q: ", "A: ")
    return [exchange(*_pair(w, t, **slots), style) for t in topics[: 4 + w.rng.randrange(4)]]


def quiz_doc(w: Writer, lid: str) -> list[Sent]:
    """A numbered quiz about the province of place ``lid``: its towns, people and events."""
    world = w.world
    region = world.places[lid].region
    w.start_doc(lid)
    places = [q for q, pl in world.places.items() if pl.region == region and asked_about(q)]
    others = [q for q, pl in world.places.items() if pl.region != region]
    papers = [o for o in world.orgs if world.orgs[o].kind == "newspaper"]
    d, prep = w.date(Date(w.rng.randint(1880, 1960), w.rng.randint(1, 12), w.rng.randint(1, 28)))
    out = [
        w.write(
            [
                "How well do you know {reg}? [A quiz] from {paper}, {d}.",
                "{paper} set [this quiz] about {reg} {prep} {d}.",
            ],
            {},
            reg=ent(region, "LOC"),
            paper=w.org(w.rng.choice(papers)),
            d=d,
            prep=prep,
        )
    ]
    n_items = 5 + w.rng.randrange(3)
    items: list[tuple[Sent, Sent]] = []
    for _ in range(12):
        if len(items) == n_items or not places:
            break
        item = _QUIZ[w.rng.randrange(len(_QUIZ))](w, w.rng.choice(places), others)
        if item is not None:
            items.append(item)
    numbered = w.rng.random() < 0.5
    for i, (q, a) in enumerate(items, start=1):
        out.append(exchange(q, a, (f"{i}. " if numbered else f"Question {i}: ", "Answer: ")))
    return out


# One quiz question about place ``pid`` (or a person or event of it), or None when it has none.
QuizItem = tuple[Sent, Sent] | None


def _quiz_river(w: Writer, pid: str, _others: list[str]) -> QuizItem:
    pairs = [
        ("Which river runs past {s}?", "The {river}."),
        ("On which river does {s} stand?", "On the {river}."),
    ]
    return _pair(w, pairs, s=w.place(pid), river=ent(w.world.places[pid].river, "LOC"))


def _quiz_choice(w: Writer, pid: str, others: list[str]) -> QuizItem:
    """Which of three places lies in the province (the other two lie elsewhere)."""
    right = w.place(pid)
    a, b, c = w.rng.sample([right, *(w.place(q) for q in w.rng.sample(others, 2))], 3)
    reg = ent(w.world.places[pid].region, "LOC")
    pairs = [("Which of these lies in {reg}: {a}, {b} or {c}?", "{s}.")]
    return _pair(w, pairs, reg=reg, a=a, b=b, c=c, s=right)


def _quiz_native(w: Writer, pid: str, _others: list[str]) -> QuizItem:
    natives = [q for q in w.world.natives.get(pid, []) if asked_about(q)]
    if not natives:
        return None
    p = w.world.people[w.rng.choice(natives)]
    pairs = [
        ("Where was {p}, [the {occ}], born?", "In {s}."),
        ("{p} was born in which town?", "{s}."),
        ("What was {p}'s profession?", "{p} was [{a_occ}] from {s}."),
    ]
    slots = {"p": w.answer_person(p.id), "occ": p.occupation, "a_occ": a_noun(p.occupation)}
    return _pair(w, pairs, s=w.place(pid), **slots)


def _quiz_event(w: Writer, pid: str, _others: list[str]) -> QuizItem:
    events = [e for e in w.world.events_at.get(pid, []) if asked_about(e)]
    if not events:
        return None
    e = w.world.events[events[0]]
    pairs = [
        ("Which year saw {ev}?", "{y}."),
        ("In which town was {ev} held?", "In {s}."),
        ("How long did {ev} last?", "{days} days."),
    ]
    slots = {"y": ent(str(e.date.year), "DATE"), "days": ent(number_words(e.days), "NUM")}
    return _pair(w, pairs, ev=w.event(e.id), s=w.place(pid), **slots)


def _quiz_age(w: Writer, pid: str, _others: list[str]) -> QuizItem:
    dead = [q for q in w.world.natives.get(pid, []) if asked_about(q) and w.world.people[q].died]
    if not dead:
        return None
    p = w.world.people[w.rng.choice(dead)]
    died = p.died
    if died is None:  # not reached: filtered above (keeps the type checker informed)
        return None
    age = died.year - p.born.year - (1 if died.month < p.born.month else 0)
    pairs = [
        ("How old was {p}, [the {occ} from {s}], at [{pos} death]?", "{age}."),
        ("How old was {p} in {dy}, the year of [{pos} death]?", "{age}."),
    ]
    slots = {"occ": p.occupation, "age": ent(str(age), "NUM"), "dy": ent(str(died.year), "DATE")}
    pos = "her" if p.gender == "f" else "his"
    return _pair(w, pairs, p=w.answer_person(p.id), s=w.place(pid), pos=pos, **slots)


def _quiz_size(w: Writer, pid: str, _others: list[str]) -> QuizItem:
    pl = w.world.places[pid]
    mid = pl.founded // 100 * 100 + 50
    rel = "Before" if pl.founded < mid else "After" if pl.founded > mid else "Neither"
    pairs = [
        ("Roughly how many people lived in {s} in {cy}?", "{n}."),
        ("Was {s} founded before or after {y0}?", "{rel}: in {y}."),
    ]
    slots = {"cy": ent(str(pl.census_year), "DATE"), "n": w.count(pl.population)}
    slots |= {"y0": ent(str(mid), "DATE"), "rel": rel, "y": ent(str(pl.founded), "DATE")}
    return _pair(w, pairs, s=w.place(pid), **slots)


_QUIZ = (_quiz_river, _quiz_choice, _quiz_native, _quiz_event, _quiz_age, _quiz_size)
