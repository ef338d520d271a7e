"""The fictional world the course data describes: people, places, organisations and events.

:func:`spanbert_lab.world.world_draw.build_world` draws a coherent world from one ``random.Random``: the country of Osterhal,
its provinces, rivers and towns; the companies, colleges, newspapers, clubs and parties in those
towns; the people born, employed, married and buried there; and the events (fairs, floods,
treaties, strikes) that happened in them. Names are put together from syllables so that most are
rare: a WordPiece vocabulary trained on the corpus has to split them into several pieces, as BERT's
vocabulary splits rare real names.

Every draw uses the generator passed in; nothing touches a global random state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spanbert_lab.world.text import Date


@dataclass
class Place:
    id: str
    name: str
    kind: str  # "town", "village", "city" or "port"
    region: str
    population: int
    census_year: int
    founded: int
    river: str
    elevation: int
    industries: list[str]
    landmarks: list[str]
    neighbour: str = ""  # id of a nearby place
    distance_km: int = 0
    mayor: str = ""  # person id


@dataclass
class Org:
    id: str
    name: str
    kind: str
    domain: str
    founded: Date
    founder: str  # person id
    hq: str  # place id
    employees: int
    leader: str = ""  # person id


@dataclass
class Person:
    id: str
    first: str
    last: str
    gender: str  # "f" or "m"
    born: Date
    birthplace: str
    occupation: str
    domain: str
    residence: str
    died: Date | None = None
    deathplace: str = ""
    employer: str = ""
    school: str = ""
    spouse: str = ""
    parents: list[str] = field(default_factory=list)
    siblings: list[str] = field(default_factory=list)
    children: int = 0
    works: list[tuple[str, int]] = field(default_factory=list)
    award: tuple[str, int] | None = None
    events: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass
class Event:
    id: str
    name: str
    kind: str
    date: Date
    place: str
    organiser: str  # org id
    participants: list[str]
    count: int  # attendance, houses lost, delegates … depending on kind
    days: int


@dataclass
class World:
    """All entities, indexed by id."""

    regions: list[str]
    places: dict[str, Place]
    orgs: dict[str, Org]
    people: dict[str, Person]
    events: dict[str, Event]
    natives: dict[str, list[str]] = field(default_factory=dict)  # place -> people born there
    staff: dict[str, list[str]] = field(default_factory=dict)  # org -> employees
    events_at: dict[str, list[str]] = field(default_factory=dict)  # place -> events
    events_by: dict[str, list[str]] = field(default_factory=dict)  # org -> events organised
