"""The state of each day in the grid, and its precedence."""

from __future__ import annotations

from datetime import date, datetime, time
from uuid import UUID

import pytest
from planning.domain import (
    PARIS,
    Activity,
    BookingRules,
    BookingWindows,
    Child,
    DayCapacity,
    DayState,
    Month,
    day_view,
    month_grid,
)

BEFORE = datetime(2026, 11, 29, 20, 59, 59, tzinfo=PARIS)  # last second to change the week of 30/11
AT = datetime(2026, 11, 29, 21, tzinfo=PARIS)
TUESDAY = date(2026, 12, 1)
FREE, FULL = DayCapacity(120, 100, 0), DayCapacity(120, 100, 20)


@pytest.mark.parametrize(
    ("booked", "pending", "capacity", "now", "state", "editable"),
    [
        (False, None, FREE, BEFORE, DayState.BOOKABLE, True),
        (False, None, FREE, AT, DayState.LOCKED, False),
        (True, None, FREE, BEFORE, DayState.BOOKED, True),
        (True, None, FREE, AT, DayState.BOOKED, False),  # booked wins over locked, read-only
        (False, None, FULL, BEFORE, DayState.FULL, False),
        (True, None, FULL, BEFORE, DayState.BOOKED, True),  # one's own booking is not "full"
        (False, None, FULL, AT, DayState.LOCKED, False),  # locked wins over full
        (False, "add", FREE, BEFORE, DayState.PENDING, True),
        (False, "add", FREE, AT, DayState.PENDING, False),
        (False, "add", FULL, BEFORE, DayState.PENDING, True),  # open baskets hold nothing yet
        (True, "remove", FREE, BEFORE, DayState.PENDING, True),
    ],
)
def test_state_precedence_on_a_running_day(cantine, arthur, rules, booked, pending, capacity, now, state, editable):
    view = day_view(cantine, arthur, TUESDAY, rules=rules, now=now, booked=booked, capacity=capacity, pending=pending)
    assert (view.state, view.editable, view.booked) == (state, editable, booked)
    assert view.places_left == capacity.places_left and view.pending_change == pending


@pytest.mark.parametrize(
    ("day", "reason", "label"),
    [
        (date(2026, 12, 2), "weekday", None),
        (date(2026, 12, 10), "closure", "Grève"),
        (date(2026, 12, 21), "school_holiday", "Vacances de Noël"),
        (date(2026, 12, 25), "public_holiday", "Noël"),
        (date(2026, 11, 17), "month_closed", None),  # November is not open for booking
    ],
)
@pytest.mark.parametrize("booked", [False, True])
def test_closed_wins_over_everything(cantine, arthur, rules, day, reason, label, booked):
    view = day_view(
        cantine, arthur, day, rules=rules, now=BEFORE.replace(month=10), booked=booked, capacity=FREE, pending="add"
    )
    assert (view.state, view.reason, view.label, view.editable) == (DayState.CLOSED, reason, label, False)
    assert view.places_left is None and view.booked is booked


@pytest.mark.parametrize(
    ("limits", "child_changes", "day", "refusal"),
    [
        ({"min_age": 6}, {}, date(2026, 12, 14), "too_young"),  # Arthur turns 6 on 15/12/2026
        ({"min_age": 6}, {}, date(2026, 12, 15), None),
        ({"max_age": 5}, {}, date(2026, 12, 14), None),
        ({"max_age": 5}, {}, date(2026, 12, 15), "too_old"),
        ({"min_age": 3}, {"birth_date": None}, date(2026, 12, 14), "age_unknown"),
        ({"levels": {"CP", "CE1", "CE2", "CM1", "CM2"}}, {}, date(2026, 12, 14), "level_not_allowed"),
        ({"levels": {"PS", "MS", "GS"}}, {}, date(2026, 12, 14), None),
        ({"levels": {"CP"}}, {"level": None}, date(2026, 12, 14), "level_not_allowed"),
    ],
)
def test_age_and_level_limits(year, arthur, rules, limits, child_changes, day, refusal):
    activity = Activity(UUID(int=60), year, "etude", "Étude", [1, 2, 4, 5], time(16, 30), time(18), 20, **limits)
    child = Child(**{**{f: getattr(arthur, f) for f in arthur.__slots__}, **child_changes})
    view = day_view(activity, child, day, rules=rules, now=BEFORE, booked=False, capacity=FREE)
    if refusal is None:
        assert view.state is DayState.BOOKABLE
    else:
        assert (view.state, view.reason, view.refusal) == (DayState.CLOSED, "not_eligible", refusal)


def test_a_month_grid(cantine, arthur, rules):
    now = datetime(2026, 12, 6, 12, tzinfo=PARIS)  # the week of 07/12 is still open
    grid = month_grid(
        cantine,
        arthur,
        Month(2026, 12),
        rules=rules,
        now=now,
        booked=[date(2026, 12, 1), date(2026, 12, 8)],
        pending={date(2026, 12, 14): "add", date(2026, 12, 8): "remove"},
        capacity={date(2026, 12, 15): DayCapacity(120, 120)},
    )
    states = {v.day.day: v.state.value for v in grid}
    assert len(grid) == 31
    assert states[1] == "booked" and states[3] == "locked" and states[7] == "bookable"
    assert states[8] == "pending" and states[14] == "pending" and states[15] == "full"
    assert states[2] == states[5] == states[10] == states[21] == states[25] == "closed"
    assert grid[6].places_left == 120 and grid[14].places_left == 0


def test_a_closed_month_is_all_closed(cantine, arthur, rules):
    closed = BookingRules(rules.calendar, BookingWindows.of(["2027-01"]), rules.deadlines)
    grid = month_grid(cantine, arthur, Month(2026, 12), rules=closed, now=BEFORE)
    assert {v.state for v in grid} == {DayState.CLOSED}
    assert {v.reason for v in grid if v.day == date(2026, 12, 7)} == {"month_closed"}


@pytest.mark.parametrize("month", [Month(2026, 11), Month(2026, 12), Month(2027, 2)])
@pytest.mark.parametrize("limits", [{}, {"min_age": 9}, {"levels": {"CP"}}])
def test_a_kept_frame_gives_the_same_grid(year, arthur, rules, month, limits):
    """What a reader keeps per rules version (month_frame) changes no day of the grid."""
    from planning.domain.grid import frame_key, month_frame

    activity = Activity(UUID(int=61), year, "cantine", "Cantine", [1, 2, 4, 5], time(11, 30), time(13, 30), 2, **limits)
    now = datetime(2026, 12, 6, 12, tzinfo=PARIS)
    state = {
        "booked": [month.first_day],
        "pending": {month.last_day: "add"},
        "capacity": {date(month.year, month.month, 15): DayCapacity(2, 1, 1)},
    }
    frame = month_frame(activity, arthur, month, rules)
    assert len(frame) == len(month.days())
    kept = month_grid(activity, arthur, month, rules=rules, now=now, frame=frame, **state)
    assert kept == month_grid(activity, arthur, month, rules=rules, now=now, **state)
    # Age and level matter only to an activity with limits.
    older = Child(**{**{f: getattr(arthur, f) for f in arthur.__slots__}, "birth_date": date(2010, 1, 1)})
    assert (frame_key(activity, older) == frame_key(activity, arthur)) == (not limits)
