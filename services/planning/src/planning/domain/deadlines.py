"""Until when a day can be booked, and until when it can be unbooked.

A :class:`DeadlineRule` turns a day into an aware datetime in Europe/Paris:

- ``anchor="week"`` (the default): ``days_before`` days before the **Monday of the day's
  week**, at ``at``. The town's rule « until the Sunday 21:00 before its week » is
  ``DeadlineRule("week", 1, time(21))``: every day of the week of Monday 7 December 2026
  closes on Sunday 6 December 2026 at 21:00 Paris time.
- ``anchor="day"``: ``days_before`` days before the day itself, at ``at``
  (« 2 days before at 10:00 »).

The wall-clock time is kept in Paris whatever the season: on a DST weekend Sunday 21:00
is 19:00 UTC in summer time and 20:00 UTC in winter time. A time that does not exist on
the spring-forward night (02:30) reads as the same instant as 03:30 summer time
(zoneinfo's ``fold=0``); staff are advised against such times.

:class:`DeadlinePolicy` holds the booking rule and an optional separate cancellation rule
(``None``: the booking rule also governs cancellations). A change is allowed while
``now < deadline``: at 20:59:59 it is accepted, at 21:00:00 refused. ``now`` is always
given by the caller (the clock is injected) and must be timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from .errors import Invalid

PARIS = ZoneInfo("Europe/Paris")

_WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("planning rules need an aware datetime (give the clock's time with its zone)")


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    anchor: Literal["week", "day"] = "week"
    days_before: int = 1
    at: time = time(21, 0)

    def __post_init__(self) -> None:
        if self.anchor not in ("week", "day"):
            raise Invalid("invalid_deadline_rule", "La règle de date limite doit porter sur la semaine ou sur le jour.")
        if not 0 <= self.days_before <= 60:
            raise Invalid("invalid_deadline_rule", "Le délai doit être compris entre 0 et 60 jours.")
        if self.at.tzinfo is not None:
            raise Invalid("invalid_deadline_rule", "L'heure limite est une heure de Paris, sans fuseau.")

    def deadline(self, day: date) -> datetime:
        """The aware instant (Europe/Paris) after which ``day`` can no longer be changed."""
        base = day - timedelta(days=day.isoweekday() - 1) if self.anchor == "week" else day
        return datetime.combine(base - timedelta(days=self.days_before), self.at, tzinfo=PARIS)

    def is_open(self, day: date, now: datetime) -> bool:
        require_aware(now)
        return now < self.deadline(day)

    def describe(self) -> str:
        """French sentence for pages: « le dimanche précédant la semaine, à 21h00 »."""
        hour = f"{self.at.hour}h{self.at.minute:02d}"
        if self.anchor == "day":
            if self.days_before == 0:
                return f"le jour même, à {hour}"
            return f"{self.days_before} jour{'s' if self.days_before > 1 else ''} avant, à {hour}"
        if self.days_before == 0:
            return f"le lundi de la semaine, à {hour}"
        if self.days_before <= 7:
            weekday = _WEEKDAYS_FR[(7 - self.days_before) % 7]
            return f"le {weekday} précédant la semaine, à {hour}"
        return f"{self.days_before} jours avant le lundi de la semaine, à {hour}"


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    booking: DeadlineRule = DeadlineRule()
    cancellation: DeadlineRule | None = None

    @property
    def cancellation_rule(self) -> DeadlineRule:
        return self.cancellation or self.booking

    def booking_deadline(self, day: date) -> datetime:
        return self.booking.deadline(day)

    def cancellation_deadline(self, day: date) -> datetime:
        return self.cancellation_rule.deadline(day)

    def can_book(self, day: date, now: datetime) -> bool:
        return self.booking.is_open(day, now)

    def can_cancel(self, day: date, now: datetime) -> bool:
        return self.cancellation_rule.is_open(day, now)

    def can_change(self, day: date, change: str, now: datetime) -> bool:
        """``change`` is ``"add"`` (booking deadline) or ``"remove"`` (cancellation deadline)."""
        return self.can_book(day, now) if change == "add" else self.can_cancel(day, now)
