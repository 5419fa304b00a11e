"""The state of one day in a child's month grid, and whether it may change.

Per (child, activity, date), :func:`day_view` gives a :class:`DayView` whose ``state`` is the
first that applies, in this order (precedence):

1. ``closed`` — the activity does not run that day for this child: outside the school year,
   public holiday, staff closure, school holiday, not one of its weekdays, the month is not
   open for booking, or the child is outside the age/level limits. ``reason`` says which
   (``outside_school_year``, ``public_holiday``, ``closure``, ``school_holiday``,
   ``weekday``, ``month_closed``, ``not_eligible``) and ``label`` names it (« Noël »).
2. ``pending`` — a line of the family's open basket changes this day (``pending_change``:
   ``add`` or ``remove``), not paid yet.
3. ``booked`` — a confirmed (paid) reservation.
4. ``locked`` — not booked and its booking deadline has passed.
5. ``full`` — not booked and no place left.
6. ``bookable``.

``editable`` tells whether the parent may still tick/untick it: ``bookable``; ``booked``
before its cancellation deadline; ``pending`` before the deadline of its change. A booked day
past its cancellation deadline stays ``booked`` (the fact matters more) with ``editable``
false. ``booked`` (the flag) is the confirmed fact whatever the state, so a booked day that
became closed (a closure entered later) can still be shown and credited by the service.
``places_left`` is ``None`` for closed days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from . import errors
from .activities import Activity, Child
from .calendar import Calendar
from .capacity import DayCapacity
from .deadlines import DeadlinePolicy
from .errors import DayProblem, french_date
from .events import Change
from .school_year import Month
from .windows import BookingWindows

MONTH_CLOSED = "month_closed"
NOT_ELIGIBLE = "not_eligible"


class DayState(StrEnum):
    CLOSED = "closed"
    PENDING = "pending"
    BOOKED = "booked"
    LOCKED = "locked"
    FULL = "full"
    BOOKABLE = "bookable"


@dataclass(frozen=True)
class BookingRules:
    """Everything staff configure that decides whether a day can change."""

    calendar: Calendar = field(default_factory=Calendar)
    windows: BookingWindows = field(default_factory=BookingWindows)
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)


@dataclass(frozen=True, slots=True)
class DayView:
    day: date
    state: DayState
    editable: bool
    booked: bool
    places_left: int | None
    pending_change: Change | None = None
    reason: str | None = None  # why closed (see module docstring); ``refusal`` for not_eligible
    label: str | None = None
    refusal: str | None = None  # too_young / too_old / age_unknown / level_not_allowed


Closed = tuple[str, str | None, str | None]  # (reason, label, refusal); ("", None, None): open


def closed_reason(activity: Activity, child: Child, day: date, rules: BookingRules) -> Closed:
    """``(reason, label, refusal)`` when the day is closed to this child, else ``("", None, None)``."""
    run = rules.calendar.runs(activity, day)
    if not run.runs:
        return run.reason, run.label, None
    if not rules.windows.is_open_on(day):
        return MONTH_CLOSED, None, None
    refusal = activity.refusal_for(child, day)
    if refusal is not None:
        return NOT_ELIGIBLE, None, refusal
    return "", None, None


def month_frame(activity: Activity, child: Child, month: Month, rules: BookingRules) -> tuple[Closed, ...]:
    """:func:`closed_reason` of each day of ``month``: the part of a grid that depends on
    the rules and on the child's age and level only (see :func:`frame_key`), never on
    bookings or the time, so a reader may keep it as long as it keeps the rules."""
    return tuple(closed_reason(activity, child, day, rules) for day in month.days())


def frame_key(activity: Activity, child: Child) -> tuple:
    """What a :func:`month_frame` depends on besides the rules and the month."""
    limited = activity.min_age is not None or activity.max_age is not None or activity.levels is not None
    return (activity.id, child.birth_date, child.level) if limited else (activity.id,)


def day_view(
    activity: Activity,
    child: Child,
    day: date,
    *,
    rules: BookingRules,
    now: datetime,
    booked: bool,
    capacity: DayCapacity,
    pending: Change | None = None,
    closed: Closed | None = None,
) -> DayView:
    """``closed``: the day's :func:`closed_reason` when already known (a kept frame)."""
    reason, label, refusal = closed if closed is not None else closed_reason(activity, child, day, rules)
    if reason:
        return DayView(day, DayState.CLOSED, False, booked, None, pending, reason, label, refusal)
    deadlines = rules.deadlines
    places = capacity.places_left
    if pending is not None:
        return DayView(day, DayState.PENDING, deadlines.can_change(day, pending, now), booked, places, pending)
    if booked:
        return DayView(day, DayState.BOOKED, deadlines.can_cancel(day, now), True, places)
    if not deadlines.can_book(day, now):
        return DayView(day, DayState.LOCKED, False, False, places)
    if not capacity.can_take(1):
        return DayView(day, DayState.FULL, False, False, places)
    return DayView(day, DayState.BOOKABLE, True, False, places)


def month_grid(
    activity: Activity,
    child: Child,
    month: Month,
    *,
    rules: BookingRules,
    now: datetime,
    booked: Iterable[date] = (),
    pending: Mapping[date, Change] | None = None,
    capacity: Mapping[date, DayCapacity] | None = None,
    frame: Sequence[Closed] | None = None,
) -> list[DayView]:
    """One :class:`DayView` per day of ``month``. Days missing from ``capacity`` have the
    activity's capacity and nothing taken. ``frame``: the month's :func:`month_frame`, if kept."""
    booked_days = set(booked)
    pending = pending or {}
    capacity = capacity or {}
    empty = DayCapacity(activity.capacity)
    frame = frame or (None,) * 31
    return [
        day_view(
            activity,
            child,
            day,
            rules=rules,
            now=now,
            booked=day in booked_days,
            capacity=capacity.get(day, empty),
            pending=pending.get(day),
            closed=closed,
        )
        for day, closed in zip(month.days(), frame, strict=False)
    ]


def deadline_problem(day: date, change: Change, activity_id: UUID) -> DayProblem:
    if change == "add":
        return DayProblem(day, activity_id, "deadline_passed", errors.DEADLINE_PASSED.format(day=french_date(day)))
    return DayProblem(
        day,
        activity_id,
        "cancellation_deadline_passed",
        errors.CANCELLATION_DEADLINE_PASSED.format(day=french_date(day)),
    )


def change_problem(view: DayView, change: Change, activity_id: UUID) -> DayProblem | None:
    """Why ``change`` cannot be made to a day in this state, or ``None``."""
    day = french_date(view.day)
    if view.state is DayState.CLOSED:
        if view.reason == MONTH_CLOSED:
            return DayProblem(view.day, activity_id, "month_closed", errors.MONTH_CLOSED.format(day=day))
        if view.reason == NOT_ELIGIBLE:
            return DayProblem(view.day, activity_id, "not_eligible", errors.NOT_ELIGIBLE.format(day=day))
        message = (
            errors.NOT_RUNNING_BECAUSE.format(day=day, label=view.label)
            if view.label
            else errors.NOT_RUNNING.format(day=day)
        )
        return DayProblem(view.day, activity_id, "activity_not_running", message)
    if change == "add" and view.state is DayState.BOOKABLE:
        return None
    if change == "remove" and view.state is DayState.BOOKED and view.editable:
        return None
    if view.state is DayState.FULL:
        return DayProblem(view.day, activity_id, "day_full", errors.DAY_FULL.format(day=day))
    return deadline_problem(view.day, change, activity_id)
