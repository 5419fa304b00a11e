"""A small town for the planning rules: school year 2026/2027, its calendar (zone C), three
activities like the town's, and Arthur (born 15/12/2020, GS) enrolled in all of them."""

from __future__ import annotations

from datetime import date, time
from uuid import UUID

import pytest
from planning.domain import (
    Activity,
    Basket,
    BookingRules,
    BookingWindows,
    Calendar,
    Child,
    Closure,
    DeadlinePolicy,
    Period,
    SchoolYear,
)

FAMILY = UUID(int=1)
CANTINE = UUID(int=10)
PERI = UUID(int=11)
ALSH = UUID(int=12)
ARTHUR = UUID(int=100)
BASKET = UUID(int=1000)


@pytest.fixture
def year() -> SchoolYear:
    return SchoolYear.from_label("2026/2027", date(2026, 9, 1), date(2027, 7, 31))


@pytest.fixture
def cantine(year) -> Activity:
    return Activity(CANTINE, year, "cantine", "Cantine (11h30 à 13h30)", [1, 2, 4, 5], time(11, 30), time(13, 30), 120)


@pytest.fixture
def alsh(year) -> Activity:
    # Wednesdays in school time, every weekday of the school holidays.
    return Activity(
        ALSH, year, "alsh", "ALSH Mercredi (7h à 19h)", [3], time(7), time(19), 48, holiday_weekdays=[1, 2, 3, 4, 5]
    )


@pytest.fixture
def activities(cantine, alsh) -> dict[UUID, Activity]:
    return {a.id: a for a in (cantine, alsh)}


@pytest.fixture
def arthur() -> Child:
    return Child(ARTHUR, FAMILY, "Arthur", date(2020, 12, 15), "GS", "École Jules Ferry", frozenset({CANTINE, ALSH}))


@pytest.fixture
def calendar(year) -> Calendar:
    return Calendar.for_school_year(
        year, closures=[Closure(Period(date(2026, 12, 10), date(2026, 12, 11), "Grève"), None)]
    )


@pytest.fixture
def rules(calendar) -> BookingRules:
    """The months the tests book in are open, November 2026 is not; the default deadline (Sunday 21:00)."""
    return BookingRules(
        calendar,
        BookingWindows.of(["2026-10", "2026-12", "2027-01", "2027-02", "2027-03", "2027-05"]),
        DeadlinePolicy(),
    )


@pytest.fixture
def basket() -> Basket:
    return Basket(BASKET, FAMILY)
