"""What the coreference documents state: true facts about a person, an organisation, a place
or an event of the world, and comparisons between two people's dates, each a sentence written
with the coreference writer (:mod:`~spanbert_lab.world.coref_writer`)."""

from __future__ import annotations

from collections.abc import Callable

from spanbert_lab.world.coref_writer import (
    COMPARE_SAME,
    SAME_GENDER,
    CorefWriter,
    Fact,
    indefinite,
)
from spanbert_lab.world.text import (
    Date,
    Piece,
    ent,
    number_words,
)
from spanbert_lab.world.world import Org
from spanbert_lab.world.writer import Sent

__all__ = [
    "comparisons",
    "event_facts",
    "org_facts",
    "person_facts",
    "pick_people",
    "place_facts",
    "relations",
]


def pick_people(cw: CorefWriter, ids: list[str], k: int, gender: str) -> list[str]:
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


def person_facts(cw: CorefWriter, pid: str) -> list[Fact]:
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
            a_occ=indefinite(p.occupation),
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
        q = pick_people(cw, mates, 1, cw.world.people[pid].gender)[0]

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


def relations(cw: CorefWriter, pid: str) -> dict[str, tuple[str, Callable[[], Sent]]]:
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


def org_facts(cw: CorefWriter, oid: str) -> list[Fact]:
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


def place_facts(cw: CorefWriter, lid: str) -> list[Fact]:
    """Facts about place ``lid`` (subject first)."""
    world = cw.world
    pl = world.places[lid]
    need = frozenset({lid})

    def kind() -> Sent:
        sent = cw.say(
            ["{s} is [{a_kind}] in {reg}.", "{s} is [{a_kind}] on the {river} river."],
            s=cw.place(lid, subject=True),
            a_kind=indefinite(pl.kind),
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


def event_facts(cw: CorefWriter, eid: str) -> list[Fact]:
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


def comparisons(cw: CorefWriter, people: list[str]) -> list[Fact]:
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
