"""Planning rules, free of I/O (no asyncpg, aio_pika or aiohttp; the clock is an argument).

Modules, from the ground up:

- :mod:`.school_year` — ``SchoolYear`` (« 2026/2027 », its dates), ``Month`` (« 2026-12 »).
- :mod:`.activities` — ``Activity`` (weekdays in school time and in school holidays, times,
  capacity, age/level limits, « 2026/2027 - Cantine (11h30 à 13h30) »), ``Child``.
- :mod:`.calendar` — ``Calendar.runs(activity, day) -> DayRun``: public holidays (``holidays``),
  school holidays of zone C (``vacances-scolaires-france``, offline) or staff periods,
  staff ``Closure``s.
- :mod:`.windows` — ``BookingWindows``: the months open for booking.
- :mod:`.deadlines` — ``DeadlineRule`` / ``DeadlinePolicy``: « Sunday 21:00 Paris before the
  week », configurable, with a separate cancellation deadline.
- :mod:`.capacity` — ``DayCapacity``: capacity, confirmed, held, ``can_take(n)``.
- :mod:`.grid` — ``BookingRules``, ``day_view`` / ``month_grid`` → ``DayView`` with a
  ``DayState`` (closed > pending > booked > locked > full > bookable).
- :mod:`.basket` — the ``Basket`` aggregate: ``request_days``/``request_month``, ``checkout``,
  ``confirm``, ``fail``, ``expire``, ``clear``, ``drop``.
- :mod:`.closures` — ``apply_closure``: a closure added after families booked cancels
  their days (full credit) and withdraws basket lines on them.
- :mod:`.attendance` — ``record_attendance``.
- :mod:`.events` — the domain events the methods return; :mod:`.errors` — what they refuse.

The names below are the package's public API; import them from ``planning.domain``.
"""

from .activities import SCHOOL_LEVELS, Activity, Child
from .attendance import record_attendance
from .basket import Basket, BasketStatus, CheckoutResult, ConfirmOutcome, ConfirmResult
from .calendar import Calendar, Closure, DayRun, Period, french_public_holidays, zone_school_holidays
from .capacity import Capacity, DayCapacity
from .closures import BookedDay, ClosedDayCancelled, ClosureOutcome, FamilyDaysClosed, apply_closure
from .deadlines import PARIS, DeadlinePolicy, DeadlineRule
from .errors import Conflict, DayProblem, Invalid, NotFound, PlanningError, RulesViolated
from .events import (
    AttendanceRecorded,
    BasketCheckedOut,
    BasketLine,
    BasketLinesWithdrawn,
    BasketReleased,
    DayRef,
    PaymentNotApplied,
    ReservationCancelled,
    ReservationsConfirmed,
)
from .grid import BookingRules, DayState, DayView, day_view, month_grid
from .school_year import Month, SchoolYear, school_year_label, school_year_of
from .windows import BookingWindows

__all__ = [
    "PARIS",
    "SCHOOL_LEVELS",
    "Activity",
    "AttendanceRecorded",
    "Basket",
    "BasketCheckedOut",
    "BasketLine",
    "BasketLinesWithdrawn",
    "BasketReleased",
    "BasketStatus",
    "BookedDay",
    "BookingRules",
    "BookingWindows",
    "Calendar",
    "Capacity",
    "CheckoutResult",
    "Child",
    "ClosedDayCancelled",
    "Closure",
    "ClosureOutcome",
    "ConfirmOutcome",
    "ConfirmResult",
    "Conflict",
    "DayCapacity",
    "DayProblem",
    "DayRef",
    "DayRun",
    "DayState",
    "DayView",
    "DeadlinePolicy",
    "DeadlineRule",
    "FamilyDaysClosed",
    "Invalid",
    "Month",
    "NotFound",
    "PaymentNotApplied",
    "Period",
    "PlanningError",
    "ReservationCancelled",
    "ReservationsConfirmed",
    "RulesViolated",
    "SchoolYear",
    "apply_closure",
    "day_view",
    "french_public_holidays",
    "month_grid",
    "record_attendance",
    "school_year_label",
    "school_year_of",
    "zone_school_holidays",
]
