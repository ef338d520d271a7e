"""Customer reviews of the world's organisations: the text-classification task's documents.

A review starts from a hidden star rating (1–5). Each aspect sentence (the staff, the prices …)
is positive with probability ``(rating - 1) / 4`` and comes in a strong, mild, negated or
contrastive phrasing; a closing verdict is present only sometimes. The label is the rating's
class (``negative`` for 1–2 stars, ``mixed`` for 3, ``positive`` for 4–5), so the text is
evidence for the label, not a copy of it: a classifier has to weigh several cues, and some
reviews are genuinely ambiguous (the task cannot be solved perfectly).
"""

from __future__ import annotations

from spanbert_lab.contracts import CLASS_NAMES
from spanbert_lab.world.text import Date, Piece, concat, ent, wrap
from spanbert_lab.world.writer import Sent, Writer

LABELS = CLASS_NAMES
ASPECTS = {
    "company": ("the delivery", "the prices", "the staff", "the quality of the goods"),
    "bank": ("the clerks", "the interest rate", "the queue", "the advice"),
    "college": ("the lectures", "the library", "the tutors", "the fees"),
    "newspaper": ("the reporting", "the crossword", "the price", "the printing"),
    "club": ("the matches", "the ground", "the tickets", "the atmosphere"),
    "party": ("the speeches", "the programme", "the candidates", "the meeting hall"),
    "hospital": ("the nurses", "the waiting time", "the wards", "the food"),
    "society": ("the concert", "the seats", "the programme", "the acoustics"),
}
_POS = (
    "{a} {be} excellent.",
    "I was impressed by {a}.",
    "{a} could hardly have been better.",
    "{a} {be} decent enough.",
    "{a} {be} better than I expected.",
    "{a} {be} not bad at all.",
    "I cannot fault {a}.",
    "Nobody could complain about {a}.",
)
_NEG = (
    "{a} {be} dreadful.",
    "I have rarely seen {a} so poor.",
    "{a} left something to be desired.",
    "{a} {be} a little disappointing.",
    "{a} {be} not what I had hoped for.",
    "Nobody could call {a} good value.",
    "I expected far more from {a}.",
    "{a} {be} hardly worth mentioning.",
)
_CONTRAST = ("{a} {be} fine, but {b} {be_b} awful.", "{a} {be} poor, although {b} {be_b} lovely.")
_VERDICT = {
    "positive": ("I would gladly go back.", "Highly recommended.", "I will certainly return."),
    "mixed": ("On balance, I am undecided.", "It was neither good nor bad.", "A mixed visit."),
    "negative": ("I will not be going back.", "Avoid it if you can.", "A wasted afternoon."),
}


def _be(aspect: str) -> str:
    return "were" if aspect.endswith("s") and "quality" not in aspect else "was"


def _np(text: str) -> Piece:
    return wrap(Piece(text), "NP")


def review_doc(w: Writer, oid: str) -> tuple[list, str]:
    """A review of organisation ``oid`` and its label (one of :data:`LABELS`).

    Draws the rating, aspects, phrasings and visit date from ``w.rng``.
    """
    rng = w.rng
    world = w.world
    o = world.orgs[oid]
    w.start_doc(oid)
    rating = rng.choices([1, 2, 3, 4, 5], weights=[2, 2, 3, 2, 2])[0]
    label = LABELS[0] if rating <= 2 else LABELS[1] if rating == 3 else LABELS[2]
    p_pos = (rating - 1) / 4
    d, prep = w.date(Date(rng.randint(1890, 1960), rng.randint(1, 12), rng.randint(1, 28)))
    out: list[Sent] = [
        w.write(
            [
                "I visited {org} in {hq} {prep} {d}.",
                "We went to {org} in {hq} {prep} {d}.",
                "My first experience of {org} was {prep} {d}.",
                "I have been a customer of {org} since {y}.",
            ],
            {},
            org=w.org(oid),
            hq=w.place(o.hq),
            prep=prep,
            d=d,
            y=ent(str(rng.randint(1890, 1960)), "DATE"),
        )
    ]
    aspects = list(ASPECTS[o.kind])
    rng.shuffle(aspects)
    n = rng.randint(2, 3)
    for a in aspects[:n]:
        if rng.random() < 0.12 and a != aspects[n]:
            good_first = rng.random() < p_pos
            tpl = _CONTRAST[0] if good_first else _CONTRAST[1]
            out.append(
                w.write([tpl], {}, a=_np(a), b=_np(aspects[n]), be=_be(a), be_b=_be(aspects[n]))
            )
            continue
        pool = _POS if rng.random() < p_pos else _NEG
        out.append(w.write(list(pool), {}, a=_np(a), be=_be(a)))
    if rng.random() < 0.3:
        staff = [world.people[q] for q in world.staff.get(oid, [])[:1]]
        if staff:
            out.append(
                w.write(
                    ["{p} served us.", "We spoke to {p}, who was in charge that day."],
                    {},
                    p=concat(w.answer_person(staff[0].id)),
                )
            )
    if rng.random() < 0.55:
        out.append(w.write(list(_VERDICT[label]), {}))
    return out, label


_ASK_ASPECT = (
    "What {be} {a} like at {org}?",
    "How {be} {a} at {org}?",
    "Is {org} worth it for {a}?",
    "Would you recommend {org} for {a}?",
)


def review_questions(w: Writer, oid: str) -> list[Sent]:
    """A customer's questions about organisation ``oid`` and a regular visitor's answers.

    The question genre of the reviews: the same aspect phrasings as :func:`review_doc`, each
    answering a question ("What were the nurses like at the Royal Ostvik Hospital?"). Draws the
    rating, aspects and phrasings from ``w.rng``; no label (it is pretraining text).
    """
    from spanbert_lab.world.writer import exchange

    rng = w.rng
    o = w.world.orgs[oid]
    w.start_doc(oid)
    rating = rng.choices([1, 2, 3, 4, 5], weights=[2, 2, 3, 2, 2])[0]
    label = LABELS[0] if rating <= 2 else LABELS[1] if rating == 3 else LABELS[2]
    d, prep = w.date(Date(rng.randint(1890, 1960), rng.randint(1, 12), rng.randint(1, 28)))
    org = w.org(oid)
    out = [
        w.write(
            [
                "Questions about {org} in {hq}, answered by [a regular customer] {prep} {d}.",
                "Is {org} in {hq} any good? [A customer] answered [our questions] {prep} {d}.",
            ],
            {},
            org=org,
            hq=w.place(o.hq),
            prep=prep,
            d=d,
        )
    ]
    aspects = list(ASPECTS[o.kind])
    rng.shuffle(aspects)
    for a in aspects[: rng.randint(2, 4)]:
        pool = _POS if rng.random() < (rating - 1) / 4 else _NEG
        slots = {"a": _np(a), "be": _be(a), "org": org}
        question = w.write(list(_ASK_ASPECT), {}, **slots)
        out.append(exchange(question, w.write(list(pool), {}, **slots)))
    verdict = w.write(list(_VERDICT[label]), {})
    out.append(exchange(w.write(["Would you go back to {org}?"], {}, org=org), verdict))
    return out
