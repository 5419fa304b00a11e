"""Attendance marked by staff: present, absent, or present without a booking.

:func:`record_attendance` checks the day can be marked (the activity runs that day, and
the day has started in Paris: no marking the future) and returns an
:class:`~planning.domain.events.AttendanceRecorded`. A child ``present`` without a confirmed
booking has ``charge_without_booking`` true: the service publishes it and billing puts the
day on the family's monthly invoice. Marking again replaces the previous mark (the store
keeps one row per child, activity and day); the event says the latest fact.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from .activities import Activity
from .calendar import Calendar
from .deadlines import PARIS, require_aware
from .errors import NOT_RUNNING, Invalid, french_date
from .events import AttendanceRecorded, DayRef

STATUSES = ("present", "absent")


def record_attendance(
    child_id: UUID,
    activity: Activity,
    day: date,
    status: Literal["present", "absent"],
    *,
    booked: bool,
    calendar: Calendar,
    now: datetime,
) -> AttendanceRecorded:
    require_aware(now)
    if status not in STATUSES:
        raise Invalid("invalid_attendance_status", "Le pointage doit être « present » ou « absent ».")
    if day > now.astimezone(PARIS).date():
        raise Invalid("attendance_in_future", f"Le {french_date(day)} n'est pas encore passé : pointage impossible.")
    run = calendar.runs(activity, day)
    if not run.runs:
        raise Invalid("activity_not_running", NOT_RUNNING.format(day=french_date(day)))
    return AttendanceRecorded(DayRef(child_id, activity.id, day), status, booked, now)
