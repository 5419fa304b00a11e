"""Booking windows: the months staff have opened for booking.

Bookings are made month by month; staff open a month (e.g. next month on the 15th) and may
close it again. A day of a month that is not open shows ``closed`` in the grid and cannot be
booked or unbooked. The value is immutable: :meth:`BookingWindows.open` and
:meth:`BookingWindows.close` return a new one (the store persists one row per month).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .school_year import Month


@dataclass(frozen=True, slots=True)
class BookingWindows:
    open_months: frozenset[Month] = frozenset()

    @classmethod
    def of(cls, months: Iterable[Month | str]) -> BookingWindows:
        """``BookingWindows.of(["2026-12", "2027-01"])``."""
        return cls(frozenset(m if isinstance(m, Month) else Month.parse(m) for m in months))

    def is_open(self, month: Month) -> bool:
        return month in self.open_months

    def is_open_on(self, day: date) -> bool:
        return Month.of(day) in self.open_months

    def open(self, month: Month) -> BookingWindows:
        return BookingWindows(self.open_months | {month})

    def close(self, month: Month) -> BookingWindows:
        return BookingWindows(self.open_months - {month})
