"""Documents about events: when and where, who organised them, how big, who took part.

Each event document also names the participants' birthplaces and employers and describes the
host town, so its facts have same-type distractors nearby.
"""

from __future__ import annotations

from spanbert_lab.world.docs_world import a_noun
from spanbert_lab.world.text import ent, number_words
from spanbert_lab.world.writer import Sent, Writer

COUNT_NOUN = {
    "festival": ("visitors", "{n} visitors came to {s}.", "[The crowd] was estimated at {n}."),
    "exhibition": ("visitors", "{n} visitors saw {s}.", "[The organisers] counted {n} visitors."),
    "race": ("spectators", "{n} spectators lined [the course].", "{s} drew {n} spectators."),
    "treaty": ("delegates", "{n} delegates signed {s}.", "[The talks] involved {n} delegates."),
    "flood": ("houses", "{s} destroyed {n} houses.", "{n} houses were lost in {s}."),
    "fire": ("houses", "{s} burned {n} houses.", "[The flames] destroyed {n} houses."),
    "strike": ("workers", "{n} workers joined {s}.", "{s} involved {n} workers."),
    "expedition": ("kilometres", "[The party] covered {n} kilometres.", "{s} travelled {n} km."),
}

HELD = {
    "festival": "{s} was [a festival] held in {where} {prep} {d}.",
    "exhibition": "{s} opened in {where} {prep} {d}.",
    "race": "{s} was [a race] run at {where} {prep} {d}.",
    "treaty": "{s} was signed in {where} {prep} {d}.",
    "flood": "{s} struck {where} {prep} {d}.",
    "fire": "{s} broke out in {where} {prep} {d}.",
    "strike": "{s} began in {where} {prep} {d}.",
    "expedition": "{s} set out from {where} {prep} {d}.",
}
_ORGANISED = ("{s} was organised by {org}.", "{org} arranged {s}, which lasted {days} days.")
_RELIEF = ("{org} led [the relief effort] after {s}.", "[Aid for the victims] came from {org}.")
ORGANISED = {
    k: _RELIEF if k in ("flood", "fire") else _ORGANISED
    for k in ("festival", "exhibition", "race", "treaty", "flood", "fire", "strike", "expedition")
}


def event_doc(w: Writer, eid: str) -> list[Sent]:
    """A document about event ``eid``: when, where, who organised it, how big, who took part."""
    world = w.world
    e = world.events[eid]
    w.start_doc(eid)
    d, prep = w.date(e.date)
    out = [
        w.write(
            [
                "{s} took place in {where} {prep} {d}.",
                "{prep_c} {d}, {where} saw {s}.",
                HELD[e.kind],
            ],
            {"d": ("event_date", eid, "DATE"), "where": ("event_place", eid, "LOC")},
            s=w.event(eid),
            a_kind=a_noun(e.kind),
            where=w.place(e.place),
            prep=prep,
            prep_c=prep.capitalize(),
            d=d,
        )
    ]
    noun, *templates = COUNT_NOUN[e.kind]
    days = ent(
        str(e.days) if w.rng.random() < 0.4 else number_words(e.days),
        "NUM",
    )
    out.append(
        w.write(
            [*templates, *ORGANISED[e.kind]],
            {
                "n": ("count", eid, "NUM", noun),
                "org": ("organiser", eid, "ORG"),
                "days": ("days", eid, "NUM"),
            },
            s=w.event(eid),
            n=w.count(e.count),
            org=w.org(e.organiser),
            days=days,
        )
    )
    for q in e.participants[:3]:
        p = world.people[q]
        out.append(
            w.write(
                [
                    "Among [those present] was {p}, [{a_occ} from {pbp}].",
                    "{p}, who had been born in {pbp}, took part.",
                ]
                + (
                    ["{p}, [a {occ} of {org}], was [one of the leading figures]."]
                    if p.employer
                    else []
                ),
                {"pbp": ("birthplace", q, "LOC"), "org": ("employer", q, "ORG")},
                p=w.answer_person(q),
                a_occ=a_noun(p.occupation),
                occ=p.occupation,
                pbp=w.place(p.birthplace),
                org=w.org(p.employer) if p.employer else "",
            )
        )
    pl = world.places[e.place]
    out.append(
        w.write(
            [
                "{where} lies on the {river} in {reg}, {km} from {nb}.",
                "In {cy} {where} had about {n} inhabitants.",
            ],
            {
                "reg": ("region", pl.id, "LOC"),
                "river": ("river", pl.id, "LOC"),
                "km": ("distance", pl.id, "NUM", world.places[pl.neighbour].name),
                "n": ("population", pl.id, "NUM"),
            },
            where=w.place(pl.id),
            river=ent(pl.river, "LOC"),
            reg=ent(pl.region, "LOC"),
            km=ent(f"{pl.distance_km} km", "NUM"),
            nb=w.place(pl.neighbour),
            n=w.count(pl.population),
            cy=ent(str(pl.census_year), "DATE"),
        )
    )
    return out
