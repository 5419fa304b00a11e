"""The integration events planning publishes (v1): docs/events.md is generated from them.

The book-and-pay contract with billing (docs/saga.md) names these types and fields; fields
may be added, never renamed. Each docstring says who consumes the event.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field
from servicekit.events import EventData, IntegrationEvent


class ActivityCreated(IntegrationEvent):
    """Staff created an activity. billing: knows the activity (its tariffs can be set)."""

    type = "planning.activity.created"
    version = 1

    activity_id: uuid.UUID
    school_year: str = Field(description="« 2026/2027 »")
    code: str = Field(description="Stable key within the school year, e.g. cantine.")
    name: str = Field(description="« Cantine (11h30 à 13h30) »")
    display_name: str = Field(description="« 2026/2027 - Cantine (11h30 à 13h30) », as parents see it.")
    weekdays: list[int] = Field(description="ISO weekdays it runs on in school time (1 = Monday).")
    holiday_weekdays: list[int] = Field(description="ISO weekdays it runs on during school holidays.")
    capacity: int


class ActivityUpdated(ActivityCreated):
    """Staff changed an activity; same fields as `planning.activity.created`. billing."""

    type = "planning.activity.updated"
    version = 1


class DayLine(EventData):
    child_id: uuid.UUID
    activity_id: uuid.UUID
    date: date


class BasketCheckedOut(IntegrationEvent):
    """« Payer »: the basket is frozen and its places held until `expires_at`. (audit; billing may pre-create)"""

    type = "planning.basket.checked_out"
    version = 1

    basket_id: uuid.UUID
    checkout_id: uuid.UUID
    dossier_id: uuid.UUID
    expires_at: datetime
    lines: list[DayLine] = Field(description="The days to book (add lines).")


class ConfirmedReservation(DayLine):
    reservation_id: uuid.UUID
    label: str = Field(description="« Arthur - 2026/2027 - Cantine (11h30 à 13h30) »")


class ReservationsConfirmed(IntegrationEvent):
    """The basket was paid (or credits covered it): its days are booked. billing: ledger; messaging: confirmation e-mail."""

    type = "planning.reservations.confirmed"
    version = 1

    basket_id: uuid.UUID
    checkout_id: uuid.UUID | None
    dossier_id: uuid.UUID
    payment_id: uuid.UUID | None
    reservations: list[ConfirmedReservation]


class ReservationsRefused(IntegrationEvent):
    """A payment planning will not turn into bookings (late, released or unknown basket). billing: the payment becomes a credit."""

    type = "planning.reservations.refused"
    version = 1

    basket_id: uuid.UUID
    checkout_id: uuid.UUID | None
    dossier_id: uuid.UUID
    payment_id: uuid.UUID
    reason: Literal["expired", "released", "unknown_basket"]


class BasketExpired(IntegrationEvent):
    """The hold ran out before the payment: places freed. billing: abandon the pending payment (credit it if it succeeds later)."""

    type = "planning.basket.expired"
    version = 1

    basket_id: uuid.UUID
    checkout_id: uuid.UUID
    dossier_id: uuid.UUID


class ReservationCancelled(IntegrationEvent):
    """A paid day was unbooked before its cancellation deadline, or staff closed it. billing: credit of what was paid for that day."""

    type = "planning.reservation.cancelled"
    version = 1

    reservation_id: uuid.UUID
    dossier_id: uuid.UUID
    child_id: uuid.UUID
    activity_id: uuid.UUID
    date: date
    payment_id: uuid.UUID | None
    reason: Literal["family", "closure"] = Field(
        "family",
        description="family: unbooked by the parent (before the deadline); closure: staff closed the day "
        "(any time, full credit). Added to v1 as an optional field.",
    )


class ClosureDaysCancelled(IntegrationEvent):
    """Staff closed days a family had booked or was paying for: they are cancelled and credited. messaging: notice e-mail."""

    type = "planning.closure.days_cancelled"
    version = 1

    closure_id: uuid.UUID
    dossier_id: uuid.UUID
    label: str = Field(description="The closure's label, as staff typed it (« Grève »).")
    starts_on: date
    ends_on: date
    days: list[DayLine] = Field(description="The family's days cancelled (booked, or being paid).")


class AttendanceRecorded(IntegrationEvent):
    """Staff marked a child present or absent. billing: present and not booked → charged on the monthly invoice."""

    type = "planning.attendance.recorded"
    version = 1

    dossier_id: uuid.UUID
    child_id: uuid.UUID
    activity_id: uuid.UUID
    date: date
    status: Literal["present", "absent"]
    booked: bool


class ReminderChild(EventData):
    first_name: str


class BookingReminderDue(IntegrationEvent):
    """Enrolled children of the family have nothing booked next week and its deadline is still open. messaging: reminder e-mail."""

    type = "planning.booking_reminder.due"
    version = 1

    dossier_id: uuid.UUID
    week_starts_on: date = Field(description="The Monday of the week with nothing booked.")
    deadline_at: datetime = Field(description="Until when that week can still be booked.")
    children: list[ReminderChild]


# The catalogue (servicekit.catalogue) reads this.
EVENTS = (
    ActivityCreated,
    ActivityUpdated,
    BasketCheckedOut,
    ReservationsConfirmed,
    ReservationsRefused,
    BasketExpired,
    ReservationCancelled,
    ClosureDaysCancelled,
    AttendanceRecorded,
    BookingReminderDue,
)
