"""The rules staff configured, loaded as the domain's ``BookingRules`` for a period."""

from __future__ import annotations

from datetime import date

from ..domain import BookingRules, Calendar, Invalid, Period
from ..store import UnitOfWork


async def booking_rules(uow: UnitOfWork, first: date, last: date) -> BookingRules:
    """Public holidays, school holidays (the zone's and staff's), closures, open months and
    the deadline rule that apply between ``first`` and ``last``."""
    public: dict[date, str] = {}
    holidays: list[Period] = []
    for year_id, year in await uow.years.covering(first, last):
        staff = [Period(r["starts_on"], r["ends_on"], r["label"]) for r in await uow.calendars.school_holidays(year_id)]
        try:
            calendar = Calendar.for_school_year(year, staff_school_holidays=staff)
        except Invalid:  # beyond the official data the package ships: staff's periods only
            calendar = Calendar.for_school_year(year, staff_school_holidays=staff, replace_school_holidays=True)
        public.update(calendar.public_holidays)
        holidays += calendar.school_holidays
    calendar = Calendar(public, tuple(holidays), tuple(await uow.calendars.closures(first, last)))
    return BookingRules(calendar, await uow.calendars.windows(), await uow.calendars.deadlines())
