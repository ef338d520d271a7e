"""Drawing the course world (:class:`~spanbert_lab.world.world.World`) from one generator.

The draws happen in a fixed order — regions, places, surnames, people, families, organisations,
staff, events — each step a function of its own; the order is what makes ``make data``
byte-identical, so a new kind of fact is drawn in a new step at the end.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from spanbert_lab.world.names import (
    _F_END,
    _F_START,
    _FIRST_MID,
    _M_END,
    _M_START,
    _MOUNT,
    _PLACE_END,
    _PLACE_PREFIX,
    _PLACE_START,
    _RIVER,
    _SUR_END,
    _SUR_MID,
    _SUR_START,
    _SYLLABLES,
    _TITLE_ADJ,
    _TITLE_NOUNS,
    AWARDS,
    EVENT_KINDS,
    INDUSTRIES,
    LANDMARKS,
    OCCUPATIONS,
    ORG_KINDS,
    ORGANISER_KIND,
)
from spanbert_lab.world.text import Date
from spanbert_lab.world.world import Event, Org, Person, Place, World

__all__ = ["build_world"]


def _unique(make: Callable[[], str], used: set[str]) -> str:
    for _ in range(200):
        name = make()
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("name space exhausted; add syllables")


def _alive(p: Person, year: int, min_age: int) -> bool:
    return p.born.year + min_age <= year and (p.died is None or year <= p.died.year)


def _pick(rng: random.Random, ids: list[str], ok: Callable[[str], bool]) -> str:
    """A random id satisfying ``ok`` (rejection sampling), else any id."""
    for _ in range(500):
        q = rng.choice(ids)
        if ok(q):
            return q
    return rng.choice(ids)


def _date(rng: random.Random, lo: int, hi: int) -> Date:
    return Date(rng.randint(lo, hi), rng.randint(1, 12), rng.randint(1, 28))


def _place_name(rng: random.Random) -> str:
    core = rng.choice(_PLACE_START) + rng.choice(["", "", "a", "e", "i"]) + rng.choice(_PLACE_END)
    return rng.choice(_PLACE_PREFIX) + core if rng.random() < 0.3 else core


_POPULATION = {
    "village": (80, 2500),
    "town": (2000, 40000),
    "city": (40000, 900000),
    "port": (1500, 120000),
}


def _draw_places(
    rng: random.Random, n_places: int, used: set[str], regions: list[str]
) -> dict[str, Place]:
    places: dict[str, Place] = {}
    for i in range(n_places):
        kind = rng.choices(["village", "town", "city", "port"], weights=[4, 4, 1, 2])[0]
        places[f"L{i}"] = Place(
            id=f"L{i}",
            name=_unique(lambda: _place_name(rng), used),
            kind=kind,
            region=rng.choice(regions),
            population=rng.randint(*_POPULATION[kind]),
            census_year=rng.choice([1901, 1911, 1921, 1931, 1951, 1961]),
            founded=rng.randint(1100, 1850),
            river=rng.choice(_RIVER),
            elevation=rng.randint(2, 900),
            industries=rng.sample(INDUSTRIES, rng.randint(1, 4)),
            landmarks=rng.sample(LANDMARKS, rng.randint(0, 2)),
        )
    place_ids = list(places)
    for p in places.values():
        p.neighbour = rng.choice([q for q in place_ids[:200] if q != p.id])
        p.distance_km = rng.randint(3, 140)
    return places


def _first_name(rng: random.Random, gender: str) -> str:
    start, end = (_F_START, _F_END) if gender == "f" else (_M_START, _M_END)
    if rng.random() < 0.4:  # a rarer, freely syllabled name
        return (rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)).capitalize() + rng.choice(end)
    return rng.choice(start) + rng.choice(_FIRST_MID) + rng.choice(end)


def _surname(rng: random.Random) -> str:
    if rng.random() < 0.5:
        core = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)
        return core.capitalize() + rng.choice(_SUR_END)
    return rng.choice(_SUR_START) + rng.choice(_SUR_MID) + rng.choice(_SUR_END)


def _work_title(rng: random.Random, places: dict[str, Place], place_ids: list[str]) -> str:
    return rng.choice(
        [
            f"The {rng.choice(_TITLE_ADJ)} {rng.choice(_TITLE_NOUNS)}",
            f"{rng.choice(_TITLE_NOUNS)} of {places[rng.choice(place_ids)].name}",
            f"A History of {places[rng.choice(place_ids)].name}",
        ]
    )


def _draw_person(
    rng: random.Random, i: int, surnames: list[str], places: dict[str, Place]
) -> Person:
    place_ids = list(places)
    gender = rng.choice("fm")
    domain = rng.choice(list(OCCUPATIONS))
    born = _date(rng, 1790, 1950)
    person = Person(
        id=f"P{i}",
        first=_first_name(rng, gender),
        last=rng.choice(surnames),
        gender=gender,
        born=born,
        birthplace=rng.choice(place_ids),
        occupation=rng.choice(OCCUPATIONS[domain]),
        domain=domain,
        residence=rng.choice(place_ids),
        children=rng.choice([0, 0, 1, 2, 2, 3, 4, 5, 7]),
    )
    if rng.random() < 0.75:
        person.died = _date(rng, born.year + 35, born.year + 95)
        person.deathplace = rng.choice([person.residence, person.birthplace, rng.choice(place_ids)])
    if domain in ("arts", "science", "press") and rng.random() < 0.8:
        for _ in range(rng.randint(1, 3)):
            title = _work_title(rng, places, place_ids)
            person.works.append((title, born.year + rng.randint(22, 60)))
    if rng.random() < 0.3:
        person.award = (rng.choice(AWARDS), born.year + rng.randint(30, 70))
    return person


def _link_families(rng: random.Random, people: dict[str, Person]) -> None:
    """Parents are older people of the same surname; siblings share a surname; spouses pair up."""
    person_ids = list(people)
    by_surname: dict[str, list[str]] = {}
    for p in people.values():
        by_surname.setdefault(p.last, []).append(p.id)
    for p in people.values():
        older = [q for q in by_surname[p.last] if people[q].born.year < p.born.year - 18]
        if older and rng.random() < 0.7:
            p.parents = [rng.choice(older)]
        sibs = [
            q
            for q in by_surname[p.last]
            if q != p.id and abs(people[q].born.year - p.born.year) < 12
        ]
        p.siblings = sibs[:3]
        if not p.spouse and rng.random() < 0.6:
            cands = [
                q
                for q in rng.sample(person_ids, 20)
                if not people[q].spouse
                and q != p.id
                and people[q].gender != p.gender
                and abs(people[q].born.year - p.born.year) < 10
            ]
            if cands:
                p.spouse = cands[0]
                people[cands[0]].spouse = p.id


def _draw_orgs(
    rng: random.Random,
    n_orgs: int,
    used: set[str],
    places: dict[str, Place],
    surnames: list[str],
) -> dict[str, Org]:
    place_ids = list(places)
    orgs: dict[str, Org] = {}
    kinds = list(ORG_KINDS)
    for i in range(n_orgs):
        kind = rng.choice(kinds)
        domain, patterns = ORG_KINDS[kind]
        hq = name = ""
        while not name or name in used:
            hq = rng.choice(place_ids)
            name = rng.choice(patterns).format(
                P=places[hq].name, S=rng.choice(surnames), S2=rng.choice(surnames)
            )
        used.add(name)
        orgs[f"O{i}"] = Org(
            id=f"O{i}",
            name=name,
            kind=kind,
            domain=domain,
            founded=_date(rng, 1780, 1930),
            founder="",
            hq=hq,
            employees=rng.choice(
                [rng.randint(8, 90), rng.randint(100, 4000), rng.randint(4000, 30000)]
            ),
        )
    return orgs


def _staff(
    rng: random.Random,
    places: dict[str, Place],
    orgs: dict[str, Org],
    people: dict[str, Person],
) -> None:
    """Founders and leaders of organisations, employers and schools of people, mayors."""
    person_ids = list(people)
    for o in orgs.values():
        year = o.founded.year
        o.founder = _pick(rng, person_ids, lambda q, y=year: 20 <= y - people[q].born.year <= 60)
        o.leader = _pick(rng, person_ids, lambda q, y=year: people[q].born.year > y - 30)
    org_by_domain: dict[str, list[str]] = {}
    for o in orgs.values():
        org_by_domain.setdefault(o.domain, []).append(o.id)
    colleges = [o for o in orgs if orgs[o].kind == "college"]
    for p in people.values():
        pool = org_by_domain.get(p.domain) or list(orgs)
        if rng.random() < 0.85:
            p.employer = rng.choice(pool)
        if rng.random() < 0.6:
            p.school = rng.choice(colleges)
    for pl in places.values():
        if pl.kind != "village" and rng.random() < 0.6:
            pl.mayor = rng.choice(person_ids)


def _draw_events(
    rng: random.Random,
    n_events: int,
    used: set[str],
    world: World,
    surnames: list[str],
) -> None:
    """Events, each with an organiser and participants who were alive and adult then."""
    places, people, orgs = world.places, world.people, world.orgs
    place_ids, person_ids = list(places), list(people)
    by_kind: dict[str, list[str]] = {}
    for o in orgs.values():
        by_kind.setdefault(o.kind, []).append(o.id)
    ekinds = list(EVENT_KINDS)
    for i in range(n_events):
        kind = rng.choice(ekinds)
        date = _date(rng, 1820, 1960)
        where = rng.choice(place_ids)

        def ev_name(kind: str = kind, date: Date = date, where: str = where) -> str:
            return rng.choice(EVENT_KINDS[kind]).format(
                P=places[where].name,
                Y=date.year,
                R=places[where].river,
                S=rng.choice(surnames),
                M=rng.choice(_MOUNT),
            )

        parts: list[str] = []
        for _ in range(rng.randint(2, 4)):
            q = _pick(rng, person_ids, lambda q, d=date: _alive(people[q], d.year, 16))
            if q not in parts:
                parts.append(q)
        world.events[f"E{i}"] = Event(
            id=f"E{i}",
            name=_unique(ev_name, used),
            kind=kind,
            date=date,
            place=where,
            organiser=rng.choice(by_kind.get(ORGANISER_KIND[kind], list(orgs))),
            participants=parts,
            count=rng.choice([rng.randint(12, 400), rng.randint(400, 25000)]),
            days=rng.randint(2, 12),
        )
        for q in parts:
            people[q].events.append(f"E{i}")


def build_world(
    rng: random.Random,
    n_people: int = 16000,
    n_places: int = 400,
    n_orgs: int = 500,
    n_events: int = 400,
) -> World:
    """Draw a world. Sizes are counts of each entity kind; all draws come from ``rng``, in this
    order: regions, places, surnames, people, families, organisations, staff, events."""
    used: set[str] = set()
    regions = [
        _unique(lambda: rng.choice(_PLACE_START) + rng.choice(["mark", "land", "ia", "en"]), used)
        for _ in range(10)
    ]
    places = _draw_places(rng, n_places, used, regions)
    surnames = [_unique(lambda: _surname(rng), used) for _ in range(n_people // 3)]
    people = {f"P{i}": _draw_person(rng, i, surnames, places) for i in range(n_people)}
    _link_families(rng, people)
    orgs = _draw_orgs(rng, n_orgs, used, places, surnames)
    _staff(rng, places, orgs, people)
    world = World(regions, places, orgs, people, {})
    _draw_events(rng, n_events, used, world, surnames)
    for p in people.values():
        world.natives.setdefault(p.birthplace, []).append(p.id)
        if p.employer:
            world.staff.setdefault(p.employer, []).append(p.id)
    for e in world.events.values():
        world.events_at.setdefault(e.place, []).append(e.id)
        world.events_by.setdefault(e.organiser, []).append(e.id)
    return world
