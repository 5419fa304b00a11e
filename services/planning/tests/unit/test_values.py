"""School years, months, activities, capacity and attendance."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID

import pytest
from planning.domain import (
    PARIS,
    Activity,
    AttendanceRecorded,
    Child,
    DayCapacity,
    DayRef,
    Invalid,
    Month,
    SchoolYear,
    record_attendance,
    school_year_label,
)


@pytest.mark.parametrize(
    ("day", "label"),
    [(date(2026, 11, 27), "2026/2027"), (date(2027, 3, 1), "2026/2027"), (date(2027, 8, 1), "2027/2028")],
)
def test_school_year_label(day, label):
    assert school_year_label(day) == label


def test_school_year_defaults_and_bounds():
    year = SchoolYear.from_label("2026/2027")
    assert (year.starts_on, year.ends_on, year.first_year) == (date(2026, 9, 1), date(2027, 7, 31), 2026)
    assert year.contains(date(2026, 9, 1)) and year.contains(date(2027, 7, 31)) and not year.contains(date(2027, 8, 1))


@pytest.mark.parametrize(
    "build",
    [
        lambda: SchoolYear.from_label("2026-2027"),
        lambda: SchoolYear("2026/2028", date(2026, 9, 1), date(2027, 7, 3)),
        lambda: SchoolYear("2026/2027", date(2027, 7, 3), date(2026, 9, 1)),
    ],
)
def test_bad_school_years(build):
    with pytest.raises(Invalid) as refused:
        build()
    assert refused.value.code == "invalid_school_year"


@pytest.mark.parametrize(
    ("text", "first", "last", "previous", "following"),
    [
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31), "2026-11", "2027-01"),
        ("2027-01", date(2027, 1, 1), date(2027, 1, 31), "2026-12", "2027-02"),
        ("2027-02", date(2027, 2, 1), date(2027, 2, 28), "2027-01", "2027-03"),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29), "2028-01", "2028-03"),
    ],
)
def test_months(text, first, last, previous, following):
    month = Month.parse(text)
    assert str(month) == text and (month.first_day, month.last_day) == (first, last)
    assert len(month.days()) == last.day and month.days()[-1] == last
    assert str(month.previous()) == previous and str(month.next()) == following
    assert month.contains(first) and month.contains(last)
    assert not month.contains(first - timedelta(days=1)) and not month.contains(last + timedelta(days=1))
    assert Month.of(last) == month


@pytest.mark.parametrize(
    "text",
    ["2026-13", "2026-00", "2026-1", "26-12", "", "2026/12", "2026-12-01", "2026-12\n", "２０２６-12", "٢٠٢٦-12"],
)
def test_bad_months(text):
    with pytest.raises(Invalid) as refused:
        Month.parse(text)
    assert refused.value.code == "invalid_month" and refused.value.message.startswith("Le mois doit être écrit AAAA-MM")


def test_activity_names(cantine, arthur):
    assert cantine.display_name == "2026/2027 - Cantine (11h30 à 13h30)"
    assert cantine.element_label(arthur) == "Arthur - 2026/2027 - Cantine (11h30 à 13h30)"
    assert cantine.weekdays == frozenset({1, 2, 4, 5}) and not cantine.runs_during_school_holidays


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"weekdays": [0, 1]}, "invalid_weekdays"),
        ({"weekdays": [8]}, "invalid_weekdays"),
        ({"weekdays": []}, "invalid_weekdays"),
        ({"capacity": -1}, "invalid_capacity"),
        ({"ends_at": time(11)}, "invalid_times"),
        ({"min_age": 8, "max_age": 6}, "invalid_age_limits"),
        ({"levels": {"CP", "6e"}}, "invalid_levels"),
    ],
)
def test_bad_activities(year, changes, code):
    fields = {
        "id": UUID(int=70),
        "school_year": year,
        "code": "x",
        "name": "X",
        "weekdays": [1],
        "starts_at": time(11, 30),
        "ends_at": time(13, 30),
        "capacity": 10,
    }
    with pytest.raises(Invalid) as refused:
        Activity(**{**fields, **changes})
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2020, 12, 15), date(2026, 12, 14), 5),
        (date(2020, 12, 15), date(2026, 12, 15), 6),
        (date(2020, 2, 29), date(2026, 2, 28), 5),
        (date(2020, 2, 29), date(2026, 3, 1), 6),
        (None, date(2026, 3, 1), None),
    ],
)
def test_age_in_whole_years(born, on, age):
    assert Child(UUID(int=1), UUID(int=2), "A", born).age_on(on) == age


@pytest.mark.parametrize(
    ("capacity", "n", "can", "left"),
    [
        (DayCapacity(10), 10, True, 10),
        (DayCapacity(10, 7, 2), 1, True, 1),
        (DayCapacity(10, 7, 2), 2, False, 1),
        (DayCapacity(10, 7, 3), 1, False, 0),
        (DayCapacity(10, 12, 0), 1, False, 0),  # capacity lowered below the bookings
        (DayCapacity(0), 1, False, 0),
    ],
)
def test_capacity(capacity, n, can, left):
    assert capacity.can_take(n) is can and capacity.places_left == left
    assert capacity.is_full is (left == 0)


def test_capacity_moves():
    day = DayCapacity(3, 1).hold(2)
    assert (day.taken, day.is_full) == (3, True)
    with pytest.raises(ValueError):
        day.hold()
    assert day.confirm(1) == DayCapacity(3, 2, 1)
    assert day.release(2) == DayCapacity(3, 1, 0)
    assert day.confirm(2).cancel(1) == DayCapacity(3, 2, 0)


@pytest.mark.parametrize(
    ("status", "booked", "charged"),
    [("present", True, False), ("present", False, True), ("absent", True, False), ("absent", False, False)],
)
def test_attendance(cantine, calendar, arthur, status, booked, charged):
    now = datetime(2026, 12, 1, 14, tzinfo=PARIS)
    event = record_attendance(arthur.id, cantine, date(2026, 12, 1), status, booked=booked, calendar=calendar, now=now)
    assert event == AttendanceRecorded(DayRef(arthur.id, cantine.id, date(2026, 12, 1)), status, booked, now)
    assert event.charge_without_booking is charged


@pytest.mark.parametrize(
    ("day", "status", "code"),
    [
        (date(2026, 12, 3), "present", "attendance_in_future"),
        (date(2026, 11, 25), "present", "activity_not_running"),  # a Wednesday: no canteen
        (date(2026, 12, 1), "late", "invalid_attendance_status"),
    ],
)
def test_attendance_refused(cantine, calendar, arthur, day, status, code):
    now = datetime(2026, 12, 1, 23, 30, tzinfo=PARIS)  # 22:30 UTC: still the 1st in Paris
    with pytest.raises(Invalid) as refused:
        record_attendance(arthur.id, cantine, day, status, booked=True, calendar=calendar, now=now)
    assert refused.value.code == code
