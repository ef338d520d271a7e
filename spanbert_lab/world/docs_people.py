"""Biographies: the documents about one person, with many phrasings per fact.

Each ``_fact`` function returns zero or more :class:`~spanbert_lab.world.writer.Sent` records. A
biography mentions parents, siblings, a spouse, teachers and colleagues beside its subject, so a
question about one person always has other people, places and dates nearby to get wrong.
"""

from __future__ import annotations

from spanbert_lab.world.names import COUNTRY, DEMONYM, STUDY, TRAITS
from spanbert_lab.world.text import article, concat, ent, join_list, number_words
from spanbert_lab.world.world import Person
from spanbert_lab.world.writer import Sent, Writer


def plural(noun: str) -> str:
    """``coach`` → ``coaches``, ``poet`` → ``poets``."""
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("ch", "sh", "s")) else "s")


def _a(noun: str) -> str:
    return f"{article(noun)} {noun}"


def intro(w: Writer, p: Person) -> Sent:
    world = w.world
    region = world.places[p.residence].region
    s = w.person(p.id, full=True)
    occ = p.occupation
    if p.died is not None and w.rng.random() < 0.5:
        return w.write(
            [
                "{s} ({by}–{dy}) was [{a_nat} {occ}].",
                "{s} ({by}–{dy}) was [{a_nat} {occ}] from {reg}.",
            ],
            {"by": ("birth_year", p.id, "DATE"), "dy": ("death_year", p.id, "DATE")},
            s=s,
            by=ent(str(p.born.year), "DATE"),
            dy=ent(str(p.died.year), "DATE"),
            a_nat=concat(article(DEMONYM), " ", ent(DEMONYM, "MISC")),
            occ=occ,
            reg=ent(region, "LOC"),
        )
    return w.write(
        [
            "{s} was [{a_occ} from {reg}].",
            "[The {occ}] {s} is remembered chiefly for [{trait}].",
            "{s} was [one of the best-known {occs} in {country}].",
            "{s} was [{a_nat} {occ} known for {trait}].",
            "Few [{occs} of that generation] were as admired as {s}.",
        ],
        {},
        s=s,
        a_occ=_a(occ),
        occ=occ,
        occs=plural(occ),
        reg=ent(region, "LOC"),
        trait=w.rng.choice(TRAITS[p.domain]),
        country=ent(COUNTRY, "LOC"),
        a_nat=concat(article(DEMONYM), " ", ent(DEMONYM, "MISC")),
    )


def birth(w: Writer, p: Person) -> list[Sent]:
    d, prep = w.date(p.born)
    facts = {"d": ("birth_date", p.id, "DATE"), "bp": ("birthplace", p.id, "LOC")}
    kind = w.world.places[p.birthplace].kind
    out = [
        w.write(
            [
                "{s} was born {prep} {d} in {bp}.",
                "{s} was born in {bp}, [{a_kind} in {reg}], {prep} {d}.",
                "Born in {bp} {prep} {d}, {s} grew up in [a household of modest means].",
                "{pos} birth took place {prep} {d} in {bp}.",
                "{name}, [a native of {bp}], came into the world {prep} {d}.",
                "{bp} was where {s} was born, {prep} {d}.",
            ],
            {**facts, "reg": ("region", p.birthplace, "LOC")},
            s=w.person(p.id),
            name=w.answer_person(p.id),
            pos=w.person(p.id, "pos"),
            prep=prep,
            d=d,
            bp=w.place(p.birthplace),
            a_kind=_a(kind),
            reg=ent(w.world.places[p.birthplace].region, "LOC"),
        )
    ]
    for par_id in p.parents:
        par = w.world.people[par_id]
        rel = "mother" if par.gender == "f" else "father"
        child = "daughter" if p.gender == "f" else "son"
        out.append(
            w.write(
                [
                    "{pos} {rel}, {par}, was [{a_pocc} in {pres}].",
                    "{s} was [the {child} of {par}], [{a_pocc}] who lived in {pres}.",
                    "{par}, {pos2} {rel}, worked as [{a_pocc}] in {pres} for [many years].",
                ],
                {"par": ("parent", p.id, "PER"), "pres": ("residence", par_id, "LOC")},
                pos=w.person(p.id, "pos"),
                pos2=w.pronoun(p.id, "pos"),
                s=w.person(p.id),
                rel=rel,
                child=child,
                par=w.answer_person(par_id),
                a_pocc=_a(par.occupation),
                pres=w.place(par.residence),
            )
        )
    return out


def education(w: Writer, p: Person) -> list[Sent]:
    if not p.school:
        return []
    teacher = w.world.people[f"P{(int(p.id[1:]) * 7 + 3) % len(w.world.people)}"]
    return [
        w.write(
            [
                "{s} studied [{subj}] at {school}.",
                "After leaving school, {s} enrolled at {school} in {hq} to read [{subj}].",
                "{s} was educated at {school}, where [{ppos} teachers] included {teacher}.",
                "At {school} {s} trained in [{subj}] under {teacher}.",
                "[{pos} studies in {subj}] took {obj} to {school}.",
            ],
            {"school": ("school", p.id, "ORG"), "hq": ("hq", p.school, "LOC")},
            s=w.person(p.id),
            pos=w.person(p.id, "pos"),
            obj=w.person(p.id, "obj"),
            ppos=w.pronoun(p.id, "pos"),
            subj=w.rng.choice(STUDY[p.domain]),
            school=w.org(p.school),
            hq=w.place(w.world.orgs[p.school].hq),
            teacher=w.answer_person(teacher.id),
        )
    ]


def career(w: Writer, p: Person) -> list[Sent]:
    out: list[Sent] = []
    start = p.born.year + 20 + int(p.id[1:]) % 9
    if p.employer:
        org = w.world.orgs[p.employer]
        years = 4 + int(p.id[1:]) % 31
        out.append(
            w.write(
                [
                    "In {y}, {s} joined {emp} as [a junior {occ}].",
                    "{s} worked for {emp} for [more than {n} years].",
                    "{emp}, [a {kind} based in {hq}], employed {obj} from {y}.",
                    "{s} spent [most of {pos} career] at {emp}.",
                    "[{pos} first post] was at {emp} in {hq}.",
                    "From {y} {s} was on [the staff of {emp}].",
                ],
                {
                    "emp": ("employer", p.id, "ORG"),
                    "y": ("employer_year", p.id, "DATE"),
                    "hq": ("hq", p.employer, "LOC"),
                },
                s=w.person(p.id),
                pos=w.person(p.id, "pos"),
                y=ent(str(start), "DATE"),
                emp=w.org(p.employer),
                obj=w.person(p.id, "obj"),
                occ=p.occupation,
                n=w.count(years),
                kind=org.kind,
                hq=w.place(org.hq),
            )
        )
    if p.residence != p.birthplace:
        out.append(
            w.write(
                [
                    "{s} moved to {res} in {y}.",
                    "{s} settled in {res}, [{a_kind} on the {river}].",
                    "For [most of {pos} adult life] {s} lived in {res}.",
                    "In {y} {s} made [a new home] in {res}.",
                    "{res} became {pos} home in {y}.",
                ],
                {"res": ("residence", p.id, "LOC"), "river": ("river", p.residence, "LOC")},
                s=w.person(p.id),
                pos=w.person(p.id, "pos"),
                res=w.place(p.residence),
                y=ent(str(start + 3), "DATE"),
                a_kind=_a(w.world.places[p.residence].kind),
                river=concat(ent(w.world.places[p.residence].river, "LOC"), " river"),
            )
        )
    if p.works:
        titles = [w.misc(t) for t, _ in p.works]
        title, year = p.works[0]
        out.append(
            w.write(
                [
                    "{pos} best-known work, {t}, appeared in {y}.",
                    "{s} published {t} in {y}.",
                    "In {y} {s} completed {t}, [a work still read today].",
                    "{t} ({y}) made {obj} famous.",
                ],
                {"t": ("work", p.id, "MISC", str(year)), "y": ("work_year", p.id, "DATE", title)},
                s=w.person(p.id),
                pos=w.person(p.id, "pos"),
                t=w.misc(title),
                obj=w.person(p.id, "obj"),
                y=ent(str(year), "DATE"),
            )
        )
        if len(titles) > 1:
            out.append(
                w.write(
                    [
                        "[{pos} other works] include {ts}.",
                        "{s} also wrote {ts}.",
                        "Later came {ts}.",
                    ],
                    {},
                    s=w.person(p.id),
                    pos=w.person(p.id, "pos"),
                    ts=join_list(titles[1:], oxford=w.rng.random() < 0.3),
                )
            )
    if p.award is not None:
        name, year = p.award
        out.append(
            w.write(
                [
                    "In {y}, {s} received the {aw} for [{pos} {trait}].",
                    "{s} was awarded the {aw} in {y}.",
                    "The {aw} went to {obj} in {y}, [the first of several honours].",
                    "{pos} {trait} earned [{obj} the {aw}] in {y}.",
                ],
                {"aw": ("award", p.id, "MISC"), "y": ("award_year", p.id, "DATE")},
                s=w.person(p.id),
                pos=w.person(p.id, "pos"),
                obj=w.person(p.id, "obj"),
                aw=w.misc(name),
                y=ent(str(year), "DATE"),
                trait=w.rng.choice(TRAITS[p.domain]),
            )
        )
    return out


def events(w: Writer, p: Person) -> list[Sent]:
    out: list[Sent] = []
    for eid in p.events[:2]:
        e = w.world.events[eid]
        d, prep = w.date(e.date)
        out.append(
            w.write(
                [
                    "{s} took part in {ev}, which was held in {where} {prep} {d}.",
                    "{s} was present at {ev} in {where} {prep} {d}.",
                    "{prep_c} {d}, {s} was in {where} for {ev}.",
                    "{ev} ({d}) brought {s} to {where}.",
                ],
                {"d": ("event_date", eid, "DATE"), "where": ("event_place", eid, "LOC")},
                s=w.person(p.id),
                ev=w.event(eid),
                where=w.place(e.place),
                prep=prep,
                prep_c=prep.capitalize(),
                d=d,
            )
        )
    return out


def family(w: Writer, p: Person) -> list[Sent]:
    out: list[Sent] = []
    n_kids = ent(number_words(p.children) if p.children < 20 else str(p.children), "NUM")
    if p.spouse:
        sp = w.world.people[p.spouse]
        y = ent(str(max(p.born.year, sp.born.year) + 24), "DATE")
        facts = {"sp": ("spouse", p.id, "PER"), "n": ("children", p.id, "NUM")}
        facts["spbp"] = ("birthplace", sp.id, "LOC")
        templates = [
            "{s} married {sp}, [{a_socc} from {spbp}], in {y}.",
            "In {y} {s} married {sp}, who had been born in {spbp}.",
        ]
        if p.children:
            templates += [
                "{s} and {sp} had {n} {kids}.",
                "{pos} marriage to {sp}, [{a_socc} from {spbp}], produced {n} {kids}.",
                "In {y} {s} married {sp}; [the couple] had {n} {kids}.",
            ]
        out.append(
            w.write(
                templates,
                facts,
                s=w.person(p.id),
                pos=w.person(p.id, "pos"),
                sp=w.answer_person(sp.id),
                a_socc=_a(sp.occupation),
                spbp=w.place(sp.birthplace),
                y=y,
                n=n_kids,
                kids="child" if p.children == 1 else "children",
            )
        )
    for sib_id in p.siblings[:1]:
        sib = w.world.people[sib_id]
        rel = "sister" if sib.gender == "f" else "brother"
        rel = ("younger " if sib.born.year > p.born.year else "elder ") + rel
        d, prep = w.date(sib.born, "year")
        out.append(
            w.write(
                [
                    "{pos} {rel}, {sib}, became [{a_occ}] and lived in {sres}.",
                    "{sib}, {pos} {rel}, was born {prep} {d} and later moved to {sres}.",
                    "[{pos} {rel}] {sib} worked as [{a_occ}] in {sres}.",
                ],
                {"sres": ("residence", sib_id, "LOC"), "d": ("birth_date", sib_id, "DATE")},
                pos=w.person(p.id, "pos"),
                rel=rel,
                sib=w.answer_person(sib_id),
                a_occ=_a(sib.occupation),
                sres=w.place(sib.residence),
                prep=prep,
                d=d,
            )
        )
    return out


def death(w: Writer, p: Person) -> list[Sent]:
    if p.died is None:
        return []
    d, prep = w.date(p.died)
    age = p.died.year - p.born.year - (1 if p.died.month < p.born.month else 0)
    age_piece = ent(number_words(age) if w.rng.random() < 0.6 else str(age), "NUM")
    return [
        w.write(
            [
                "{s} died in {dp} {prep} {d}, [at the age of {age}].",
                "{s} died {prep} {d} in {dp}.",
                "{pos} death came {prep} {d}, in {dp}.",
                "{s} spent [{pos2} final years] in {dp} and died there {prep} {d}, aged {age}.",
                "{prep_c} {d}, {s} died at [{pos2} home in {dp}].",
            ],
            {
                "d": ("death_date", p.id, "DATE"),
                "dp": ("deathplace", p.id, "LOC"),
                "age": ("age_at_death", p.id, "NUM"),
            },
            s=w.person(p.id),
            pos=w.person(p.id, "pos"),
            pos2=w.pronoun(p.id, "pos"),
            dp=w.place(p.deathplace),
            prep=prep,
            prep_c=prep.capitalize(),
            d=d,
            age=age_piece,
        )
    ]


def trait(w: Writer, p: Person) -> list[Sent]:
    return [
        w.write(
            [
                "As [{a_occ}], {s} was known for [{trait}].",
                "Colleagues admired {pos} [{trait}].",
                "{pos} reputation rested on [{trait}] rather than on [{trait2}].",
            ],
            {},
            a_occ=_a(p.occupation),
            s=w.person(p.id),
            pos=w.person(p.id, "pos"),
            trait=TRAITS[p.domain][0],
            trait2=TRAITS[p.domain][-1],
        )
    ]


def biography(w: Writer, pid: str) -> list[Sent]:
    """A document about person ``pid``: intro, birth, family and career in a varied order."""
    p = w.world.people[pid]
    w.start_doc(pid)
    out = [intro(w, p), *birth(w, p)]
    middle = [education, career, events, family]
    w.rng.shuffle(middle)
    for part in middle:
        out.extend(part(w, p))
    if w.rng.random() < 0.4:
        out.extend(trait(w, p))
    out.extend(death(w, p))
    return out
