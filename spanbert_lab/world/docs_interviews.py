"""Interviews and letters: documents in the first and second person, full of questions.

The other genres state facts; these ask about them. An interview puts one person's facts as
questions to them ("Where did you grow up?", "When did you join the Vellmouth Courier?") with
their answers; a letter asks its reader about work, family and plans. So the pretraining corpus
contains the question words (What, Where, Who, Whom, When, Which, How many …), ``?`` and the
word order of questions, which the QA task's questions need. Each question shares its line with
its answer (see :func:`~spanbert_lab.world.writer.exchange`). Every draw comes from ``w.rng``.
"""

from __future__ import annotations

from spanbert_lab.world.docs_people import plural
from spanbert_lab.world.docs_world import a_noun
from spanbert_lab.world.names import COUNTRY, STUDY
from spanbert_lab.world.text import Piece, concat, ent
from spanbert_lab.world.world import Person
from spanbert_lab.world.writer import Sent, Writer, exchange


def interview_year(p: Person) -> int:
    """The year a person is interviewed or writes a letter: in middle age, while alive."""
    year = p.born.year + 38 + int(p.id[1:]) % 17
    return min(year, p.died.year - 1) if p.died is not None else year


def interview_doc(w: Writer, pid: str) -> list[Sent]:
    """An interview with person ``pid``: a header, then question-and-answer lines."""
    world = w.world
    p = world.people[pid]
    w.start_doc(pid)
    year = interview_year(p)
    papers = [o.id for o in world.orgs.values() if o.kind == "newspaper"]
    paper = w.rng.choice(papers)
    region = world.places[p.residence].region
    out = [
        w.write(
            [
                "{paper} spoke to {s}, [{a_occ} from {reg}], in {y}.",
                "[This interview with {s}] first appeared in {paper} in {y}.",
                "In {y}, {s}, [the {occ}], answered [questions from {paper}].",
                "What is it like to be [{a_occ} in {country}]? That was [the first question] {paper} put to {s} in {y}.",
            ],
            {},
            paper=w.org(paper),
            s=w.person(pid, full=True),
            a_occ=a_noun(p.occupation),
            occ=p.occupation,
            reg=ent(region, "LOC"),
            country=ent(COUNTRY, "LOC"),
            y=ent(str(year), "DATE"),
        )
    ]
    style = w.rng.randrange(3)
    labels: tuple[Piece | str, Piece | str] = (
        ("", ""),
        ("Q: ", "A: "),
        ("Interviewer: ", concat(ent(p.last, "PER", pid, "surname"), ": ")),
    )[style]
    turns = [_birth, _parent, _school, _work, _home, _works, _award, _family, _event]
    w.rng.shuffle(turns)
    pairs = [pair for turn in turns if (pair := turn(w, p, year))]
    pairs = [*pairs[: 3 + w.rng.randrange(4)], _closing(w, p)]
    return [*out, *(exchange(q, a, labels) for q, a in pairs)]


def _ask(w: Writer, pairs: list[tuple[str, str]], **slots: Piece | str) -> list[Sent]:
    """One of ``pairs`` (question template, answer template), written: two sentences."""
    q, a = pairs[w.rng.randrange(len(pairs))]
    return [w.write([q], {}, **slots), w.write([a], {}, **slots)]


def _birth(w: Writer, p: Person, _year: int) -> list[Sent]:
    d, prep = w.date(p.born)
    pl = w.world.places[p.birthplace]
    return _ask(
        w,
        [
            ("Where were you born?", "I was born in {bp}, [{a_kind} in {reg}]."),
            ("Where did you grow up?", "In {bp}, where I was born {prep} {d}."),
            ("When and where were you born?", "I was born in {bp} {prep} {d}."),
            ("Which town do you come from?", "From {bp}, [{a_kind} in {reg}]."),
        ],
        bp=w.place(p.birthplace),
        prep=prep,
        d=d,
        a_kind=a_noun(pl.kind),
        reg=ent(pl.region, "LOC"),
    )


def _parent(w: Writer, p: Person, _year: int) -> list[Sent]:
    if not p.parents:
        return []
    par = w.world.people[p.parents[0]]
    rel = "mother" if par.gender == "f" else "father"
    return _ask(
        w,
        [
            ("What did your {rel} do?", "My {rel}, {par}, was [{a_pocc}] in {pres}."),
            ("Who was your {rel}?", "{par}, [{a_pocc}] who lived in {pres}."),
            ("Where did your {rel} live?", "{par} lived and worked in {pres}."),
        ],
        rel=rel,
        par=w.answer_person(par.id),
        a_pocc=a_noun(par.occupation),
        pres=w.place(par.residence),
    )


def _school(w: Writer, p: Person, _year: int) -> list[Sent]:
    if not p.school:
        return []
    teacher = w.world.people[f"P{(int(p.id[1:]) * 7 + 3) % len(w.world.people)}"]
    return _ask(
        w,
        [
            ("Where were you educated?", "I studied [{subj}] at {school} in {hq}."),
            ("Which college did you attend?", "{school}, in {hq}."),
            ("At which college did you study?", "At {school}, in {hq}."),
            ("What did you study at {school}?", "I read [{subj}] there, under {teacher}."),
            ("Who taught you at {school}?", "{teacher}, who taught me [{subj}]."),
        ],
        school=w.org(p.school),
        subj=w.rng.choice(STUDY[p.domain]),
        hq=w.place(w.world.orgs[p.school].hq),
        teacher=w.answer_person(teacher.id),
    )


def _work(w: Writer, p: Person, _year: int) -> list[Sent]:
    if not p.employer:
        return []
    start = p.born.year + 20 + int(p.id[1:]) % 9
    org = w.world.orgs[p.employer]
    return _ask(
        w,
        [
            ("When did you join {emp}?", "In {y}, as [a junior {occ}]."),
            ("At what age did you start at {emp}?", "At {age}; I joined in {y}."),
            ("Who do you work for?", "For {emp}, [a {kind} in {hq}]."),
            ("For whom do you work these days?", "Still for {emp}, which took me on in {y}."),
            ("How did you come to work for {emp}?", "{emp} took me on in {y}, and I stayed."),
            ("How long have you been with {emp}?", "I have been with {emp} since {y}."),
        ],
        emp=w.org(p.employer),
        y=ent(str(start), "DATE"),
        age=ent(str(start - p.born.year), "NUM"),
        occ=p.occupation,
        kind=org.kind,
        hq=w.place(org.hq),
    )


def _home(w: Writer, p: Person, _year: int) -> list[Sent]:
    if p.residence == p.birthplace:
        return []
    pl = w.world.places[p.residence]
    return _ask(
        w,
        [
            ("Where do you live now?", "In {res}, [{a_kind} on the {river}]."),
            ("Why did you move to {res}?", "Work brought me to {res} in {y}."),
            ("When did you move to {res}?", "I moved to {res} in {y}."),
            ("How long have you lived in {res}?", "I have lived in {res} since {y}."),
        ],
        res=w.place(p.residence),
        y=ent(str(p.born.year + 23 + int(p.id[1:]) % 9), "DATE"),
        a_kind=a_noun(pl.kind),
        river=ent(pl.river, "LOC"),
    )


def _works(w: Writer, p: Person, year: int) -> list[Sent]:
    if not p.works or p.works[0][1] > year:
        return []
    title, y = p.works[0]
    return _ask(
        w,
        [
            ("Which of your works means the most to you?", "{t}, which appeared in {y}."),
            ("When did {t} come out?", "{t} came out in {y}."),
            ("What made you write {t}?", "I began {t} long before {y}, when it came out."),
            ("Which of your books are you proudest of?", "{t}; I finished it in {y}."),
        ],
        t=w.misc(title),
        y=ent(str(y), "DATE"),
    )


def _award(w: Writer, p: Person, year: int) -> list[Sent]:
    if p.award is None or p.award[1] > year:
        return []
    name, y = p.award
    return _ask(
        w,
        [
            (
                "What did the {aw} mean to you?",
                "I received the {aw} in {y}; it meant [a great deal].",
            ),
            ("When did you receive the {aw}?", "In {y}; I had not expected it."),
            ("Which honour are you proudest of?", "The {aw}, which I received in {y}."),
        ],
        aw=w.misc(name),
        y=ent(str(y), "DATE"),
    )


def _family(w: Writer, p: Person, _year: int) -> list[Sent]:
    if not p.spouse:
        return []
    sp = w.world.people[p.spouse]
    pairs = [
        ("Are you married?", "Yes, I married {sp}, [{a_socc} from {spbp}], in {y}."),
        ("How did you meet {sp}?", "{sp} came from {spbp}; we married in {y}."),
        ("Who did you marry?", "{sp}, [{a_socc} from {spbp}]."),
        ("To whom are you married?", "To {sp}, whom I married in {y}."),
    ]
    if p.children:
        pairs.append(("How many children do you have?", "{sp} and I have {n} {kids}."))
    return _ask(
        w,
        pairs,
        sp=w.answer_person(sp.id),
        a_socc=a_noun(sp.occupation),
        spbp=w.place(sp.birthplace),
        y=ent(str(max(p.born.year, sp.born.year) + 24), "DATE"),
        n=w.count(p.children),
        kids="child" if p.children == 1 else "children",
    )


def _event(w: Writer, p: Person, year: int) -> list[Sent]:
    events = [e for e in p.events if w.world.events[e].date.year <= year]
    if not events:
        return []
    e = w.world.events[events[0]]
    d, prep = w.date(e.date)
    return _ask(
        w,
        [
            ("What do you remember of {ev}?", "I was in {where} for it, {prep} {d}."),
            ("Were you at {ev}?", "Yes, I was there, in {where}, {prep} {d}."),
            ("Why did you go to {where} in {yr}?", "I took part in {ev}, {prep} {d}."),
            ("When was {ev}?", "{prep_c} {d}; I was in {where} for it."),
        ],
        ev=w.event(e.id),
        where=w.place(e.place),
        yr=ent(str(e.date.year), "DATE"),
        prep=prep,
        prep_c=prep.capitalize(),
        d=d,
    )


def _closing(w: Writer, p: Person) -> list[Sent]:
    teacher = w.world.people[f"P{(int(p.id[1:]) * 7 + 3) % len(w.world.people)}"]
    return _ask(
        w,
        [
            (
                "What advice would you give to young {occs}?",
                "Read widely, and keep asking questions, as {teacher} taught me.",
            ),
            (
                "What would you tell [a young {occ}] today?",
                "Be patient, and find [a teacher like {teacher}].",
            ),
            ("Who taught you [the most]?", "{teacher}, without any doubt."),
            (
                "Whom do you admire most among [the {occs} of {country}]?",
                "{teacher}, who taught me.",
            ),
        ],
        occs=plural(p.occupation),
        occ=p.occupation,
        teacher=w.answer_person(teacher.id),
        country=ent(COUNTRY, "LOC"),
    )


def letter_doc(w: Writer, pid: str) -> list[Sent]:
    """A letter from person ``pid`` to a relative or a colleague, asking after their news."""
    world = w.world
    p = world.people[pid]
    w.start_doc(pid)
    kin = [q for q in (p.spouse, *p.siblings, *p.parents) if q]
    colleagues = [q for q in world.staff.get(p.employer, []) if q != pid][:5]
    to = w.rng.choice(kin or colleagues or [f"P{(int(pid[1:]) + 1) % len(world.people)}"])
    r = world.people[to]
    year = interview_year(p)
    home = w.place(p.residence)
    sibs = [q for q in p.siblings if q != to]
    written = bool(p.works) and p.works[0][1] <= year
    out = [
        w.write(
            [
                "{s} wrote [the following letter] to {r} from {home} in {y}.",
                "In {y} {s}, then living in {home}, sent [this letter] to {r}.",
            ],
            {},
            s=w.person(pid, full=True),
            r=w.answer_person(to),
            home=home,
            y=ent(str(year), "DATE"),
        ),
        w.write(
            [
                "Dear {rf}, how are things in {rres}?",
                "Dear {rf}, [your last letter] reached me in {home} only yesterday.",
                "My dear {rf}, it is [a long time] since I wrote to you from {home}.",
            ],
            {},
            rf=ent(r.first, "PER", to, "first"),
            rres=w.place(r.residence),
            home=home,
        ),
    ]
    lines = [
        ("How is [the work] at {remp}?", "Are they still treating you well at {remp}?")
        if r.employer
        else ("Have you found [work] in {rres} yet?", "What do you do all day in {rres}?"),
        ("Is it true that you are moving to {other}?", "Why did you never tell me about {other}?"),
        ("When will you come to {home}?", "Will you visit {home} before [the winter]?"),
        ("I am still at {emp}, and [the work] is {mood}.", "Things at {emp} are {mood} this year.")
        if p.employer
        else ("I have found nothing in {home} that suits me.",),
        ("Have you heard from {sib}?", "Do you ever see {sib} these days?") if sibs else (),
        ("Who told you that {leader} was leaving {remp}?",) if r.employer else (),
        ("Did you read {t}?", "What did you think of {t}?") if written else (),
        ("[The weather] in {home} has been {weather}.", "We have had {weather} weather in {home}."),
        ("Which of [the boats from {other}] should I take?", "Where shall we meet in {other}?"),
    ]
    w.rng.shuffle(lines)
    remp = world.orgs[r.employer] if r.employer else None
    for templates in [t for t in lines if t][: 3 + w.rng.randrange(3)]:
        out.append(
            w.write(
                list(templates),
                {},
                remp=w.org(r.employer) if remp else "",
                rres=w.place(r.residence),
                other=w.place(world.places[r.residence].neighbour),
                home=home,
                emp=w.org(p.employer) if p.employer else "",
                mood=w.rng.choice(["hard", "dull", "better than ever", "much as before"]),
                sib=w.answer_person(sibs[0]) if sibs else "",
                leader=w.answer_person(remp.leader) if remp else "",
                t=w.misc(p.works[0][0]) if written else "",
                weather=w.rng.choice(["cold and wet", "dry", "stormy", "mild"]),
            )
        )
    out.append(
        w.write(
            [
                "Write soon, and give [my love] to everyone in {rres}.",
                "With [my best wishes] from {home}, {sf}.",
            ],
            {},
            rres=w.place(r.residence),
            sf=ent(p.first, "PER", pid, "first"),
            home=home,
        )
    )
    return out
