"""School years and months: the two periods planning counts in.

- :func:`school_year_of` / :func:`school_year_label`: the year a date belongs to by the
  French calendar (a year runs from August to July: ``2027-03-01`` → ``"2026/2027"``).
- :class:`SchoolYear`: a labelled year with the dates staff gave it (``starts_on`` ..
  ``ends_on`` inclusive); no activity runs outside them.
- :class:`Month`: a booking month ``"YYYY-MM"``; bookings are made one month at a time.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from .errors import INVALID_MONTH, Invalid

# ASCII digits and nothing after (``$`` would allow a trailing newline, ``\d`` other scripts' digits).
_LABEL = re.compile(r"([0-9]{4})/([0-9]{4})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
BAD_LABEL = "L'année scolaire doit être écrite AAAA/AAAA, par exemple 2026/2027."


def school_year_of(day: date) -> tuple[int, int]:
    """``2026-11-27`` → ``(2026, 2027)``; ``2027-03-01`` → ``(2026, 2027)``."""
    first = day.year if day.month >= 8 else day.year - 1
    return first, first + 1


def school_year_label(day: date) -> str:
    first, second = school_year_of(day)
    return f"{first}/{second}"


@dataclass(frozen=True, slots=True)
class SchoolYear:
    """« 2026/2027 », from ``starts_on`` to ``ends_on`` (both included)."""

    label: str
    starts_on: date
    ends_on: date

    def __post_init__(self) -> None:
        match = _LABEL.fullmatch(self.label)
        if not match or int(match[2]) != int(match[1]) + 1:
            raise Invalid("invalid_school_year", BAD_LABEL)
        if self.starts_on >= self.ends_on:
            raise Invalid("invalid_school_year", "L'année scolaire doit commencer avant de finir.")

    @classmethod
    def from_label(cls, label: str, starts_on: date | None = None, ends_on: date | None = None) -> SchoolYear:
        """``"2026/2027"`` → 1 September 2026 .. 31 July 2027 unless staff give other dates
        (e.g. until 31 August to cover a summer ALSH)."""
        match = _LABEL.fullmatch(label)
        if not match:
            raise Invalid("invalid_school_year", BAD_LABEL)
        first = int(match[1])
        return cls(label, starts_on or date(first, 9, 1), ends_on or date(first + 1, 7, 31))

    @property
    def first_year(self) -> int:
        return int(self.label[:4])

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True, slots=True, order=True)
class Month:
    """A calendar month; ``str(Month(2026, 12)) == "2026-12"``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 1900 <= self.year <= 9999):
            raise Invalid("invalid_month", INVALID_MONTH)

    @classmethod
    def parse(cls, text: str) -> Month:
        """``"2026-12"`` → ``Month(2026, 12)``; anything else raises :class:`Invalid` ``invalid_month``."""
        match = _MONTH.fullmatch(text or "")
        if not match:
            raise Invalid("invalid_month", INVALID_MONTH)
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def days(self) -> list[date]:
        first = self.first_day
        return [first + timedelta(days=i) for i in range(self.last_day.day)]

    def contains(self, day: date) -> bool:
        return day.year == self.year and day.month == self.month

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)
