"""Domain events: facts the aggregate methods return, in the past tense.

They are plain frozen dataclasses, never published as they are: the service layer writes
them to the outbox as integration events (``planning.basket.checked_out``,
``planning.reservations.confirmed``, ``planning.reservation.cancelled``,
``planning.attendance.recorded`` ...) in the same transaction as the change, and the store
applies their effect on places (:class:`BasketCheckedOut` holds the ``add`` days,
:class:`ReservationsConfirmed` turns held into confirmed, :class:`BasketReleased` gives
held places back, :class:`ReservationCancelled` gives a confirmed place back).

No amounts: billing prices every line itself; a line is who (child), what (activity), when
(date) and which way (``add`` / ``remove``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

Change = Literal["add", "remove"]


@dataclass(frozen=True, slots=True, order=True)
class DayRef:
    """One child, one activity, one date: the key of a reservation and of a basket line."""

    child_id: UUID
    activity_id: UUID
    day: date


@dataclass(frozen=True, slots=True)
class BasketLine:
    """A pending change: book (``add``) or unbook (``remove``) one day."""

    ref: DayRef
    change: Change

    @property
    def child_id(self) -> UUID:
        return self.ref.child_id

    @property
    def activity_id(self) -> UUID:
        return self.ref.activity_id

    @property
    def day(self) -> date:
        return self.ref.day


@dataclass(frozen=True, slots=True)
class BasketCheckedOut:
    """« Payer »: the basket is frozen until ``expires_at``; the store holds a place for each
    ``add`` line and the service asks billing for the payment of ``lines``."""

    basket_id: UUID
    family_id: UUID
    lines: tuple[BasketLine, ...]
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ReservationsConfirmed:
    """The basket is paid (or needed no payment): ``days`` are now booked.
    ``payment_id`` is ``None`` when nothing had to be paid."""

    basket_id: UUID
    family_id: UUID
    payment_id: str | None
    days: tuple[DayRef, ...]


@dataclass(frozen=True, slots=True)
class ReservationCancelled:
    """A paid day was unbooked before its cancellation deadline; billing gives a credit."""

    basket_id: UUID
    family_id: UUID
    ref: DayRef


@dataclass(frozen=True, slots=True)
class BasketLinesWithdrawn:
    """Lines of an active basket on closed days, gone. ``held``: the ``add`` days of a basket
    being paid, whose held places are to be given back (never confirmed)."""

    basket_id: UUID
    family_id: UUID
    lines: tuple[BasketLine, ...]
    held: tuple[DayRef, ...] = ()


@dataclass(frozen=True, slots=True)
class BasketReleased:
    """Not paid (``reason``: ``"payment_failed"`` or ``"expired"``): the held ``days`` are free again."""

    basket_id: UUID
    family_id: UUID
    reason: Literal["payment_failed", "expired"]
    days: tuple[DayRef, ...]


@dataclass(frozen=True, slots=True)
class PaymentNotApplied:
    """A payment planning will not turn into bookings (it came after the basket was released,
    or the basket was already paid by another payment): billing must keep it as a credit.
    ``reason``: ``"basket_released"``, ``"already_paid"`` or ``"not_checked_out"``."""

    basket_id: UUID
    family_id: UUID
    payment_id: str | None
    reason: Literal["basket_released", "already_paid", "not_checked_out"]


@dataclass(frozen=True, slots=True)
class AttendanceRecorded:
    """Staff marked a child ``present`` or ``absent``. ``charge_without_booking`` is true for a
    child present without a confirmed booking: billing adds that day to the monthly invoice."""

    ref: DayRef
    status: Literal["present", "absent"]
    booked: bool
    recorded_at: datetime

    @property
    def charge_without_booking(self) -> bool:
        return self.status == "present" and not self.booked


Event = (
    BasketCheckedOut
    | ReservationsConfirmed
    | ReservationCancelled
    | BasketReleased
    | BasketLinesWithdrawn
    | PaymentNotApplied
    | AttendanceRecorded
)
