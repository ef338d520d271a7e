"""Documents about places, organisations and events, with many phrasings per fact.

Like the biographies, each document names other entities of the same types (neighbouring towns,
rival firms, people who took part), so that its facts have plausible distractors.
"""

from __future__ import annotations

from spanbert_lab.world.docs_people import plural
from spanbert_lab.world.names import COUNTRY
from spanbert_lab.world.text import Piece, article, concat, ent, join_list, wrap
from spanbert_lab.world.writer import Fact, Sent, Writer

ORG_NOUN = {
    "company": "trading company",
    "bank": "bank",
    "college": "college",
    "newspaper": "newspaper",
    "club": "sports club",
    "party": "political party",
    "hospital": "hospital",
    "society": "cultural society",
}


def a_noun(noun: str) -> str:
    return f"{article(noun)} {noun}"


def _np(text: str) -> Piece:
    return wrap(Piece(text), "NP")


def place_doc(w: Writer, lid: str) -> list[Sent]:
    """A document about place ``lid``: situation, size, history, economy, people and events."""
    world = w.world
    pl = world.places[lid]
    w.start_doc(lid)
    reg = ent(pl.region, "LOC")
    out = [
        w.write(
            [
                "{s} is [{a_kind} in {reg}], [a province of {country}].",
                "{s} is [{a_kind}] on the {river} river in {reg}.",
                "Lying in {reg}, {s} is [one of the older settlements of {country}].",
                "{s} is [{a_kind} of {reg}], in [the {dir} of {country}].",
            ],
            {"reg": ("region", lid, "LOC"), "river": ("river", lid, "LOC")},
            s=w.place(lid),
            a_kind=a_noun(pl.kind),
            reg=reg,
            country=ent(COUNTRY, "LOC"),
            river=ent(pl.river, "LOC"),
            dir=w.rng.choice(["north", "south", "east", "west"]),
        )
    ]
    parts: list[list[Sent]] = []
    parts.append(
        [
            w.write(
                [
                    "In {cy}, {s} had [a population of {n}].",
                    "[The census of {cy}] counted {n} inhabitants in {s}.",
                    "About {n} people lived in {s} at [the time of the {cy} census].",
                    "[{s}'s population] stood at {n} in {cy}.",
                ],
                {"n": ("population", lid, "NUM")},
                s=w.place_ref(lid),
                n=w.count(pl.population),
                cy=ent(str(pl.census_year), "DATE"),
            )
        ]
    )
    nb = world.places[pl.neighbour]
    km = str(pl.distance_km)
    parts.append(
        [
            w.write(
                [
                    "{s} was founded in {y} and lies {el} above sea level.",
                    "[The first settlement] at {s} dates from {y}.",
                    "{s} lies {el} above sea level, {km} from {nb}.",
                    "[The nearest town], {nb}, is {km} away from {s}.",
                    "{s} sits at [an altitude of {el}], {km} from {nb}.",
                ],
                {
                    "y": ("founded", lid, "DATE"),
                    "el": ("elevation", lid, "NUM"),
                    "km": ("distance", lid, "NUM", nb.name),
                },
                s=w.place_ref(lid),
                y=ent(str(pl.founded), "DATE"),
                el=ent(
                    f"{pl.elevation} metres" if w.rng.random() < 0.7 else f"{pl.elevation} m", "NUM"
                ),
                km=ent(f"{km} kilometres" if w.rng.random() < 0.6 else f"{km} km", "NUM"),
                nb=w.place(nb.id),
            )
        ]
    )
    industries = [_np(x) for x in pl.industries]
    sents = [
        w.write(
            [
                "[The local economy] rests on {items}.",
                "{s} is known for {items}.",
                "[{its} workshops] produce {items}.",
                "[The main trades] of {s} are {items}.",
            ],
            {},
            s=w.place_ref(lid),
            items=join_list(industries, oxford=w.rng.random() < 0.3),
            its=w.its(lid),
        )
    ]
    if pl.landmarks:
        marks = [concat("the ", ent(x, "LOC")) for x in pl.landmarks]
        sents.append(
            w.write(
                ["[{its} landmarks] include {items}.", "Visitors come to see {items}."],
                {},
                items=join_list(marks),
                its=w.its(lid),
            )
        )
    parts.append(sents)
    if pl.mayor:
        m = world.people[pl.mayor]
        parts.append(
            [
                w.write(
                    [
                        "{m} served as [mayor of {s}] for [several years].",
                        "[The mayor], {m}, was [{a_occ}] born in {mbp}.",
                        "{m}, [{a_occ} from {mbp}], was elected mayor of {s}.",
                    ],
                    {"m": ("mayor", lid, "PER"), "mbp": ("birthplace", m.id, "LOC")},
                    m=w.answer_person(m.id),
                    s=w.place_ref(lid),
                    a_occ=a_noun(m.occupation),
                    mbp=w.place(m.birthplace),
                )
            ]
        )
    natives = [world.people[q] for q in world.natives.get(lid, [])[:4]]
    if len(natives) >= 2:
        s = w.write(
            [
                "Notable people born in {s} include {items}.",
                "{items} were all born in {s}.",
                "Among [the natives of {s}] are {items}.",
            ],
            {},
            s=w.place(lid),
            items=join_list([w.answer_person(p.id) for p in natives]),
        )
        # every listed person has this place as birthplace
        s_slot = s.piece.slots["s"]
        for _ref_s, _ref_e, rid in s.piece.refs:
            if rid != lid and rid in world.people:
                s.facts.append(Fact("birthplace", rid, s_slot[0], s_slot[1], "LOC"))
        parts.append([s])
    for eid in world.events_at.get(lid, [])[:2]:
        e = world.events[eid]
        d, prep = w.date(e.date)
        parts.append(
            [
                w.write(
                    [
                        "{ev} took place in {s} {prep} {d}.",
                        "{prep_c} {d}, {s} hosted {ev}.",
                        "{s} is also remembered for {ev} of {y}.",
                    ],
                    {"d": ("event_date", eid, "DATE"), "s": ("event_place", eid, "LOC")},
                    ev=w.event(eid),
                    s=w.place(lid),
                    prep=prep,
                    prep_c=prep.capitalize(),
                    d=d,
                    y=ent(str(e.date.year), "DATE"),
                )
            ]
        )
    w.rng.shuffle(parts)
    for sents in parts:
        out.extend(sents)
    return out


def org_doc(w: Writer, oid: str) -> list[Sent]:
    """A document about organisation ``oid``: founding, seat, size, leaders, staff, events."""
    world = w.world
    o = world.orgs[oid]
    w.start_doc(oid)
    f = world.people[o.founder]
    d, prep = w.date(o.founded)
    out = [
        w.write(
            [
                "{s} is [{a_kind}] based in {hq}.",
                "{s} is [{a_kind}] with [{its} head office in {hq}].",
                "Founded in {hq} {prep} {d}, {s} is [one of the oldest {kinds} in {country}].",
            ],
            {"hq": ("hq", oid, "LOC"), "d": ("founded", oid, "DATE")},
            s=w.org(oid),
            a_kind=a_noun(ORG_NOUN[o.kind]),
            its=w.its(oid),
            kinds=plural(ORG_NOUN[o.kind]),
            hq=w.place(o.hq),
            prep=prep,
            d=d,
            country=ent(COUNTRY, "LOC"),
        ),
        w.write(
            [
                "{f} established {s} {prep} {d}.",
                "{s} was set up {prep} {d} by {f}, [{a_focc} from {fbp}].",
                "[The founder], {f}, had been born in {fbp}.",
                "{f}, [{a_focc}], founded {s} {prep} {d}.",
            ],
            {
                "f": ("founder", oid, "PER"),
                "d": ("founded", oid, "DATE"),
                "fbp": ("birthplace", f.id, "LOC"),
            },
            f=w.answer_person(f.id),
            s=w.org(oid),
            prep=prep,
            d=d,
            a_focc=a_noun(f.occupation),
            fbp=w.place(f.birthplace),
        ),
    ]
    parts: list[list[Sent]] = []
    parts.append(
        [
            w.write(
                [
                    "{s} employs {n} people.",
                    "At [{its} height] {s} had {n} employees.",
                    "[The workforce of {s}] numbered {n}.",
                    "{s} has [a staff of {n}].",
                ],
                {"n": ("employees", oid, "NUM")},
                s=w.org(oid),
                n=w.count(o.employees),
                its=w.its(oid),
            )
        ]
    )
    lead = world.people[o.leader]
    parts.append(
        [
            w.write(
                [
                    "{l} has led {s} since {y}.",
                    "[The present head of {s}] is {l}, [{a_occ} from {lres}].",
                    "Under {l}, {s} opened [a second office] in {other}.",
                    "{s} has been directed by {l} since {y}.",
                ],
                {"l": ("leader", oid, "PER"), "lres": ("residence", lead.id, "LOC")},
                l=w.answer_person(lead.id),
                s=w.org(oid),
                y=ent(str(max(o.founded.year + 5, lead.born.year + 35)), "DATE"),
                a_occ=a_noun(lead.occupation),
                lres=w.place(lead.residence),
                other=w.place(world.places[o.hq].neighbour),
            )
        ]
    )
    staff = world.staff.get(oid, [])[:3]
    if len(staff) >= 2:
        s = w.write(
            [
                "Among [{its} best-known employees] were {items}.",
                "{items} all worked for {s} at [some point].",
            ],
            {},
            items=join_list([w.answer_person(q) for q in staff]),
            s=w.org(oid),
            its=w.its(oid),
        )
        parts.append([s])
    for eid in world.events_by.get(oid, [])[:2]:
        e = world.events[eid]
        d, prep = w.date(e.date)
        parts.append(
            [
                w.write(
                    [
                        "{s} led [the relief effort] after {ev} struck {where} {prep} {d}.",
                        "After {ev} hit {where} {prep} {d}, {s} cared for [the victims].",
                    ]
                    if e.kind in ("flood", "fire")
                    else [
                        "{s} organised {ev} in {where} {prep} {d}.",
                        "{ev}, held in {where} {prep} {d}, was arranged by {s}.",
                    ],
                    {
                        "s": ("organiser", eid, "ORG"),
                        "where": ("event_place", eid, "LOC"),
                        "d": ("event_date", eid, "DATE"),
                    },
                    s=w.org(oid),
                    ev=w.event(eid),
                    where=w.place(e.place),
                    prep=prep,
                    d=d,
                )
            ]
        )
    w.rng.shuffle(parts)
    for sents in parts:
        out.extend(sents)
    return out
