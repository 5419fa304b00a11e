"""Activities, and the children planning knows (a local copy fed by accounts' events).

An :class:`Activity` belongs to one :class:`SchoolYear` and runs on:

- ``weekdays``: the ISO weekdays (1 = Monday .. 7 = Sunday) it runs on **school days**;
- ``holiday_weekdays``: the ISO weekdays it runs on **during school holidays** (empty: it
  does not run in school holidays — canteen, périscolaire).

So « ALSH Mercredi » is ``weekdays={3}, holiday_weekdays={1,2,3,4,5}`` (Wednesdays, and every
weekday of the holidays), a holiday-only centre is ``weekdays=set(), holiday_weekdays={1..5}``.
Whether a given date is a school day, a holiday or a closure is the calendar's business
(:mod:`planning.domain.calendar`); public holidays and closures always win.

Limits (all optional): ``min_age`` / ``max_age`` in whole years **on the booked day**
(``max_age`` included: 11 means « up to the day before the 12th birthday »), and
``levels``: the school levels allowed (``"PS"``, ``"MS"``, ``"GS"``, ``"CP"``, ``"CE1"``,
``"CE2"``, ``"CM1"``, ``"CM2"``). A child with no known level or birth date is refused by an
activity that has the corresponding limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time
from uuid import UUID

from .errors import Invalid
from .school_year import SchoolYear

SCHOOL_LEVELS = ("PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")


def _weekdays(values: Iterable[int], what: str) -> frozenset[int]:
    days = frozenset(int(v) for v in values)
    if not days <= set(range(1, 8)):
        raise Invalid("invalid_weekdays", f"Les jours ({what}) vont de 1 (lundi) à 7 (dimanche).")
    return days


@dataclass(frozen=True, slots=True)
class Activity:
    id: UUID
    school_year: SchoolYear
    code: str
    name: str
    weekdays: frozenset[int]
    starts_at: time
    ends_at: time
    capacity: int
    holiday_weekdays: frozenset[int] = frozenset()
    min_age: int | None = None
    max_age: int | None = None
    levels: frozenset[str] | None = None

    def __post_init__(self) -> None:
        # Accept any iterable from callers (lists from JSON or SQL arrays), store frozensets.
        object.__setattr__(self, "weekdays", _weekdays(self.weekdays, "semaine"))
        object.__setattr__(self, "holiday_weekdays", _weekdays(self.holiday_weekdays, "vacances"))
        if self.levels is not None:
            levels = frozenset(self.levels)
            if not levels <= set(SCHOOL_LEVELS):
                raise Invalid("invalid_levels", "Niveaux scolaires possibles : " + ", ".join(SCHOOL_LEVELS) + ".")
            object.__setattr__(self, "levels", levels)
        if self.capacity < 0:
            raise Invalid("invalid_capacity", "La capacité ne peut pas être négative.")
        if self.starts_at >= self.ends_at:
            raise Invalid("invalid_times", "L'heure de fin doit suivre l'heure de début.")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise Invalid("invalid_age_limits", "L'âge minimum dépasse l'âge maximum.")
        if not self.weekdays and not self.holiday_weekdays:
            raise Invalid("invalid_weekdays", "L'activité doit avoir lieu au moins un jour.")

    @property
    def display_name(self) -> str:
        """« 2026/2027 - Cantine (11h30 à 13h30) », the row name of the grid."""
        return f"{self.school_year.label} - {self.name}"

    def element_label(self, child: Child) -> str:
        """« Arthur - 2026/2027 - Cantine (11h30 à 13h30) », a basket line's « Élément »."""
        return f"{child.first_name} - {self.display_name}"

    @property
    def runs_during_school_holidays(self) -> bool:
        return bool(self.holiday_weekdays)

    @property
    def runs_only_during_school_holidays(self) -> bool:
        return not self.weekdays

    def scheduled_weekdays(self, school_holiday: bool) -> frozenset[int]:
        return self.holiday_weekdays if school_holiday else self.weekdays

    def refusal_for(self, child: Child, day: date) -> str | None:
        """Why ``child`` may not attend on ``day`` by the age/level limits, or ``None``:
        ``"too_young"``, ``"too_old"``, ``"age_unknown"``, ``"level_not_allowed"``."""
        if self.min_age is not None or self.max_age is not None:
            age = child.age_on(day)
            if age is None:
                return "age_unknown"
            if self.min_age is not None and age < self.min_age:
                return "too_young"
            if self.max_age is not None and age > self.max_age:
                return "too_old"
        if self.levels is not None and child.level not in self.levels:
            return "level_not_allowed"
        return None


@dataclass(frozen=True, slots=True)
class Child:
    """Planning's copy of a child: what the rules and the pages need, nothing more."""

    id: UUID
    family_id: UUID
    first_name: str
    birth_date: date | None = None
    level: str | None = None
    school: str | None = None
    enrolments: frozenset[UUID] = field(default=frozenset())

    def age_on(self, day: date) -> int | None:
        """Whole years on ``day`` (a child born 29 February turns a year older on 1 March)."""
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def is_enrolled(self, activity_id: UUID) -> bool:
        return activity_id in self.enrolments
