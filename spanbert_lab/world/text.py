"""Strings built piece by piece, with their annotations recorded by construction.

Every sentence of the course corpus is assembled from :class:`Piece` objects: a piece is a
string plus the typed character spans inside it (entity mentions, noun phrases), the entity ids
it mentions, the offsets of named *slots* (which the QA generator turns into answers) and its
coreference *mentions*: every reference to a world entity — a name, a surname, a pronoun, a
description such as "the company" — with the entity it refers to (the coreference task's gold).
Concatenating pieces shifts their spans, so no annotation is ever recovered by searching the
text afterwards.

Templates use a tiny markup: ``{name}`` inserts the slot ``name``; ``[ ... ]`` marks a noun
phrase (``NP``) around its contents, and brackets nest. Example::

    render("{who} moved to [the small port of {town}].", who=person, town=place)

The module also formats dates and numbers in the several styles the corpus mixes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from spanbert_lab.contracts import NP

Span = tuple[int, int, str]
"""A half-open character range ``(start, end)`` and its type (``PER``, ``LOC`` … or ``NP``)."""

Mention = tuple[int, int, str, str]
"""A reference to a world entity: ``(start, end, entity_id, form)``, ``form`` one of
:data:`MENTION_FORMS`."""

MENTION_FORMS = ("name", "surname", "first", "pronoun", "nominal")
"""How an entity is referred to: its full name (a person's, a place's, an organisation's or an
event's), a person's surname or first name alone, a pronoun (``she``, ``his``, ``its`` …), or a
description that stands for the named entity (``the company``, ``the town``, ``the festival``)."""


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


@dataclass(frozen=True)
class Piece:
    """A string with its annotations.

    Attributes:
        text: the characters.
        spans: typed half-open character ranges inside ``text``.
        refs: ``(start, end, entity_id)`` for every mention of a world entity.
        slots: offsets of the named template slots, ``name -> (start, end)``.
        mentions: :data:`Mention` records, every reference to a world entity (named or not);
            ``refs`` holds the named ones only, as the corpus annotations always have.
    """

    text: str
    spans: tuple[Span, ...] = ()
    refs: tuple[tuple[int, int, str], ...] = ()
    slots: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    mentions: tuple[Mention, ...] = ()

    def shifted(self, offset: int) -> Piece:
        """The same piece with every offset moved right by ``offset``."""
        return Piece(
            self.text,
            tuple((s + offset, e + offset, t) for s, e, t in self.spans),
            tuple((s + offset, e + offset, i) for s, e, i in self.refs),
            {k: (s + offset, e + offset) for k, (s, e) in self.slots.items()},
            tuple((s + offset, e + offset, i, f) for s, e, i, f in self.mentions),
        )


def ent(text: str, label: str, ref: str | None = None, form: str = "name") -> Piece:
    """An entity mention: the whole string is one ``label`` span; with ``ref``, also a reference
    to that entity and a coreference mention of it in ``form`` (see :data:`MENTION_FORMS`)."""
    refs = ((0, len(text), ref),) if ref is not None else ()
    mentions = ((0, len(text), ref, _form(form)),) if ref is not None else ()
    return Piece(text, ((0, len(text), label),), refs, {}, mentions)


def _form(form: str) -> str:
    if form not in MENTION_FORMS:
        raise ValueError(f"mention form must be one of {MENTION_FORMS}, got {form!r}")
    return form


def refer(piece: Piece | str, ref: str, form: str) -> Piece:
    """``piece`` as a whole as one more coreference mention of entity ``ref`` (a pronoun, or a
    description such as "the company"); its other annotations are kept."""
    piece = Piece(piece) if isinstance(piece, str) else piece
    mention = (0, len(piece.text), ref, _form(form))
    return Piece(piece.text, piece.spans, piece.refs, piece.slots, (*piece.mentions, mention))


def concat(*parts: Piece | str) -> Piece:
    """Join pieces (and plain strings) end to end, shifting their annotations."""
    text: list[str] = []
    spans: list[Span] = []
    refs: list[tuple[int, int, str]] = []
    slots: dict[str, tuple[int, int]] = {}
    mentions: list[Mention] = []
    pos = 0
    for part in parts:
        piece = Piece(part) if isinstance(part, str) else part.shifted(pos)
        text.append(piece.text)
        spans.extend(piece.spans)
        refs.extend(piece.refs)
        slots.update(piece.slots)
        mentions.extend(piece.mentions)
        pos += len(piece.text)
    return Piece("".join(text), tuple(spans), tuple(refs), slots, tuple(mentions))


def wrap(piece: Piece, label: str) -> Piece:
    """The piece with one more span covering all of it (e.g. an ``NP`` around a mention)."""
    spans = (*piece.spans, (0, len(piece.text), label))
    return Piece(piece.text, spans, piece.refs, piece.slots, piece.mentions)


def join_list(items: Sequence[Piece | str], conj: str = "and", oxford: bool = False) -> Piece:
    """``A``, ``A and B``, ``A, B and C`` (``A, B, and C`` with ``oxford``)."""
    items = list(items)
    if not items:
        raise ValueError("join_list needs at least one item")
    if len(items) == 1:
        return concat(items[0])
    if len(items) == 2:
        return concat(items[0], f" {conj} ", items[1])
    parts: list[Piece | str] = []
    for i, item in enumerate(items[:-1]):
        parts.extend([item, ", " if i < len(items) - 2 else ("," if oxford else "")])
    parts.extend([f" {conj} ", items[-1]])
    return concat(*parts)


@lru_cache(maxsize=4096)
def _parse(template: str) -> tuple[tuple[str, str], ...]:
    """Template → ``("text", s)``, ``("slot", name)``, ``("open", "")``, ``("close", "")`` ops."""
    ops: list[tuple[str, str]] = []
    depth = 0
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "{":
            j = template.index("}", i)
            ops.append(("slot", template[i + 1 : j]))
            i = j + 1
        elif ch in "[]":
            depth += 1 if ch == "[" else -1
            if depth < 0:
                raise ValueError(f"unbalanced ']' in template {template!r}")
            ops.append(("open" if ch == "[" else "close", ""))
            i += 1
        else:
            j = i
            while j < len(template) and template[j] not in "{[]":
                j += 1
            ops.append(("text", template[i:j]))
            i = j
    if depth:
        raise ValueError(f"unbalanced '[' in template {template!r}")
    return tuple(ops)


def render(template: str, **slots: Piece | str) -> Piece:
    """Fill ``template``: ``{name}`` inserts a slot, ``[...]`` marks a noun phrase.

    Raises:
        KeyError: a slot named in the template is missing.
        ValueError: unbalanced brackets.
    """
    text: list[str] = []
    spans: list[Span] = []
    refs: list[tuple[int, int, str]] = []
    mentions: list[Mention] = []
    slot_pos: dict[str, tuple[int, int]] = {}
    stack: list[int] = []
    pos = 0
    for op, arg in _parse(template):
        if op == "text":
            text.append(arg)
            pos += len(arg)
        elif op == "slot":
            value = slots[arg]
            if isinstance(value, str):
                text.append(value)
            else:
                text.append(value.text)
                spans.extend((s + pos, e + pos, t) for s, e, t in value.spans)
                refs.extend((s + pos, e + pos, r) for s, e, r in value.refs)
                mentions.extend((s + pos, e + pos, r, f) for s, e, r, f in value.mentions)
                for k, (s, e) in value.slots.items():
                    slot_pos[k] = (s + pos, e + pos)
            end = pos + len(text[-1])
            slot_pos[arg] = (pos, end)
            pos = end
        elif op == "open":
            stack.append(pos)
        else:
            spans.append((stack.pop(), pos, NP))
    return Piece("".join(text), tuple(spans), tuple(refs), slot_pos, tuple(mentions))


def sentence(piece: Piece) -> Piece:
    """Capitalise the first letter and sort the spans (start ascending, longer first)."""
    text = piece.text
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    spans = tuple(sorted(set(piece.spans), key=lambda s: (s[0], -s[1], s[2])))
    return Piece(text, spans, piece.refs, piece.slots, piece.mentions)


# ----------------------------------------------------------------------------- numbers and dates


def number_words(n: int) -> str:
    """English words for 0 ≤ n < 100 (``forty-two``)."""
    if not 0 <= n < 100:
        raise ValueError(f"number_words covers 0..99, got {n}")
    if n < 20:
        return _SMALL[n]
    tens, unit = divmod(n, 10)
    return _TENS[tens] + ("" if unit == 0 else "-" + _SMALL[unit])


def fmt_count(n: int, rng: random.Random) -> str:
    """A count in one of several styles: ``1,250``, ``1250``, ``twelve``, ``3.4 million``."""
    if n < 20 and rng.random() < 0.7:
        return number_words(n)
    if n < 100 and rng.random() < 0.3:
        return number_words(n)
    if n >= 1_000_000 and rng.random() < 0.6:
        return f"{n / 1_000_000:.1f} million"
    if n >= 10_000 and rng.random() < 0.15:
        return f"{n // 1000} thousand" if n % 1000 == 0 else f"{n:,}"
    if n >= 1000 and rng.random() < 0.25:
        return str(n)
    return f"{n:,}"


@dataclass(frozen=True)
class Date:
    """A calendar date of the fictional world (Gregorian calendar)."""

    year: int
    month: int
    day: int

    def render(self, rng: random.Random, precision: str | None = None) -> tuple[str, str]:
        """The date as text in a random style, and the preposition it takes (``in``/``on``).

        ``precision`` forces ``"year"`` or ``"day"``; otherwise full dates dominate.
        """
        style = precision or ("year" if rng.random() < 0.3 else "day")
        if style == "year":
            return str(self.year), "in"
        month = MONTHS[self.month - 1]
        r = rng.random()
        if r < 0.45:
            return f"{self.day} {month} {self.year}", "on"
        if r < 0.75:
            return f"{month} {self.day}, {self.year}", "on"
        if r < 0.85:
            return f"{month} {self.year}", "in"
        if r < 0.93:
            return f"the {ordinal(self.day)} of {month} {self.year}", "on"
        return f"{self.year}-{self.month:02d}-{self.day:02d}", "on"


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``23rd``, ``11th``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def date_piece(date: Date, rng: random.Random, precision: str | None = None) -> tuple[Piece, str]:
    """A ``DATE`` mention and its preposition."""
    text, prep = date.render(rng, precision)
    if text.startswith("the "):  # "the 3rd of May 1901": the article stays outside the span
        return concat("the ", ent(text[4:], "DATE")), prep
    return ent(text, "DATE"), prep


def article(word: str) -> str:
    """``a`` or ``an`` for the word that follows."""
    return "an" if word[:1].lower() in "aeiou" else "a"
