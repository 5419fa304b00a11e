"""The town's calendar: does activity A run on date D, and if not, why.

Sources, all turned into plain values before the rules see them (the rules do no I/O):

- **Public holidays**: :func:`french_public_holidays` from the ``holidays`` package
  (metropolitan France, French names: « Noël », « Ascension », « Lundi de Pentecôte »).
  Computed, so it needs no staff entry and no network.
- **School holidays** of the town's zone (Puiseux-en-France: zone C): :func:`zone_school_holidays`
  from ``vacances-scolaires-france``, whose data (the Ministry's calendar, as a CSV) ships
  inside the package — no network at run time. It covers years up to the package's last
  year (2028 for 0.12); beyond, it raises ``school_holidays_unknown`` and staff enter
  the periods themselves. Staff-entered periods complement the package's, or replace
  them (:func:`school_holiday_periods` with ``replace=True``).
- **Closures** entered by staff: one activity or every activity, a date range, a label.

:meth:`Calendar.runs` answers a :class:`DayRun`; when several reasons apply, the first of
``outside_school_year`` > ``public_holiday`` > ``closure`` > ``school_holiday`` / ``weekday``
is given (the most general first, so a page can say « Noël » rather than « mercredi »).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from uuid import UUID

from .activities import Activity
from .errors import Invalid
from .school_year import SchoolYear

ZONE_OF_PUISEUX = "C"

# DayRun.reason values. RUNS: the activity runs (a school day or a holiday day it covers).
RUNS = "runs"
OUTSIDE_SCHOOL_YEAR = "outside_school_year"
PUBLIC_HOLIDAY = "public_holiday"
CLOSURE = "closure"
SCHOOL_HOLIDAY = "school_holiday"  # the activity does not run during school holidays
WEEKDAY = "weekday"  # not one of the activity's weekdays


@dataclass(frozen=True, slots=True)
class Period:
    """``start`` .. ``end``, both included, with a French label (« Vacances de Noël »)."""

    start: date
    end: date
    label: str

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise Invalid("invalid_period", "La date de fin doit suivre la date de début.")

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Closure:
    """A staff closure: ``activity_id`` ``None`` closes every activity."""

    period: Period
    activity_id: UUID | None = None

    def closes(self, activity_id: UUID, day: date) -> bool:
        return (self.activity_id is None or self.activity_id == activity_id) and self.period.contains(day)


@dataclass(frozen=True, slots=True)
class DayRun:
    runs: bool
    reason: str
    label: str | None = None  # « Noël », « Vacances de la Toussaint », a closure's label


@dataclass(frozen=True)
class Calendar:
    public_holidays: Mapping[date, str] = field(default_factory=dict)
    school_holidays: tuple[Period, ...] = ()
    closures: tuple[Closure, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "public_holidays", MappingProxyType(dict(self.public_holidays)))
        object.__setattr__(self, "school_holidays", tuple(self.school_holidays))
        object.__setattr__(self, "closures", tuple(self.closures))

    def school_holiday(self, day: date) -> Period | None:
        return next((p for p in self.school_holidays if p.contains(day)), None)

    def runs(self, activity: Activity, day: date) -> DayRun:
        if not activity.school_year.contains(day):
            return DayRun(False, OUTSIDE_SCHOOL_YEAR, activity.school_year.label)
        if day in self.public_holidays:
            return DayRun(False, PUBLIC_HOLIDAY, self.public_holidays[day])
        closure = next((c for c in self.closures if c.closes(activity.id, day)), None)
        if closure is not None:
            return DayRun(False, CLOSURE, closure.period.label)
        holiday = self.school_holiday(day)
        if day.isoweekday() in activity.scheduled_weekdays(school_holiday=holiday is not None):
            return DayRun(True, RUNS, holiday.label if holiday else None)
        if holiday is not None and day.isoweekday() in activity.weekdays:
            # It would have run that weekday in school time: the holidays are the reason.
            return DayRun(False, SCHOOL_HOLIDAY, holiday.label)
        return DayRun(False, WEEKDAY)

    @classmethod
    def for_school_year(
        cls,
        year: SchoolYear,
        *,
        closures: Iterable[Closure] = (),
        staff_school_holidays: Iterable[Period] = (),
        replace_school_holidays: bool = False,
        zone: str = ZONE_OF_PUISEUX,
    ) -> Calendar:
        """The calendar of one school year: France's public holidays, the zone's school holidays
        (complemented or replaced by staff's periods) and staff closures."""
        return cls(
            french_public_holidays(year.starts_on, year.ends_on),
            school_holiday_periods(
                year.starts_on, year.ends_on, staff_school_holidays, zone=zone, replace=replace_school_holidays
            ),
            tuple(closures),
        )

    def with_closures(self, closures: Iterable[Closure]) -> Calendar:
        return Calendar(self.public_holidays, self.school_holidays, (*self.closures, *closures))


def french_public_holidays(first: date, last: date) -> dict[date, str]:
    """Public holidays of metropolitan France between ``first`` and ``last``, French names."""
    every = _french_holidays(tuple(range(first.year, last.year + 1)))
    return {day: name for day, name in every.items() if first <= day <= last}


@lru_cache(maxsize=16)
def _french_holidays(years: tuple[int, ...]) -> dict[date, str]:
    import holidays  # imported on first use: nothing is loaded at import time

    return dict(holidays.France(years=years, language="fr"))


def zone_school_holidays(first: date, last: date, zone: str = ZONE_OF_PUISEUX) -> tuple[Period, ...]:
    """The school holidays of ``zone`` overlapping ``first`` .. ``last``, one :class:`Period`
    per holiday (weekends included: « Vacances de Noël » 2026 is 19/12/2026 .. 03/01/2027).

    Raises :class:`Invalid` ``school_holidays_unknown`` when the package has no data that far.
    """
    known_from, known_to, table = _school_holiday_table(zone)
    if first < known_from or last > known_to:
        raise Invalid(
            "school_holidays_unknown",
            "Le calendrier des vacances scolaires n'est pas connu pour cette période : merci de saisir les périodes.",
        )
    return tuple(p for p in (Period(*row) for row in table) if p.end >= first and p.start <= last)


def school_holiday_periods(
    first: date,
    last: date,
    staff_periods: Iterable[Period] = (),
    *,
    zone: str = ZONE_OF_PUISEUX,
    replace: bool = False,
) -> tuple[Period, ...]:
    """The periods a :class:`Calendar` should use: the zone's (unless ``replace``) plus staff's."""
    official = () if replace else zone_school_holidays(first, last, zone)
    return tuple(sorted((*official, *staff_periods), key=lambda p: p.start))


@lru_cache(maxsize=4)
def _school_holiday_table(zone: str) -> tuple[date, date, tuple[tuple[date, date, str], ...]]:
    """The years the package knows, and the contiguous runs of holiday days of one zone."""
    from vacances_scolaires_france import SchoolHolidayDates

    data = SchoolHolidayDates()
    key = data.zone_key(zone)
    runs: list[list] = []
    for day in sorted(d for d, row in data.data.items() if row[key]):
        name = data.data[day]["nom_vacances"]
        if runs and (day - runs[-1][1]).days == 1 and runs[-1][2] == name:
            runs[-1][1] = day
        else:
            runs.append([day, day, name])
    known = (date(data.min_year, 1, 1), date(data.max_year, 12, 31))
    return (*known, tuple((start, end, name) for start, end, name in runs))
