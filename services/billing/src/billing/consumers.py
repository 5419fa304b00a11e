"""Event entry points: planning's saga answers and the local copies of families and activities.

Each handler validates ``envelope.data`` with billing's own narrow model (extra fields
ignored), then calls the use case inside the consumer's transaction, the one that records
the event in the inbox: each event is handled once whatever the broker redelivers, and an
error rolls both back, to be retried and finally dead-lettered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict, Field
from servicekit.consumer import Handler
from servicekit.events import Envelope

from .service import Billing, Event, attestations, copies, settlement
from .store import UnitOfWork


class Narrow(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ConfirmedReservation(Narrow):
    reservation_id: UUID
    child_id: UUID
    activity_id: UUID
    date: date


class ReservationsConfirmed(Narrow):
    basket_id: UUID
    checkout_id: UUID | None = None
    dossier_id: UUID
    payment_id: UUID | None = None  # none: nothing was paid (billing has nothing to apply)
    reservations: list[ConfirmedReservation] = Field(max_length=2000)


class ReservationsRefused(Narrow):
    basket_id: UUID
    checkout_id: UUID | None = None
    dossier_id: UUID
    payment_id: UUID
    reason: str


class BasketExpired(Narrow):
    basket_id: UUID
    checkout_id: UUID
    dossier_id: UUID


class ReservationCancelled(Narrow):
    reservation_id: UUID
    dossier_id: UUID
    child_id: UUID
    activity_id: UUID
    date: date
    payment_id: UUID | None = None


UseCase = Callable[[Billing, UnitOfWork, Event, BaseModel], Awaitable[None]]
Deps = Callable[[], Billing]

# routing key → (narrow model, use case). Registering a consumer is one line here.
HANDLERS: Mapping[str, tuple[type[BaseModel], UseCase]] = {
    "planning.reservations.confirmed": (ReservationsConfirmed, settlement.reservations_confirmed),
    "planning.reservations.refused": (ReservationsRefused, settlement.reservations_refused),
    "planning.basket.expired": (BasketExpired, settlement.basket_expired),
    "planning.reservation.cancelled": (ReservationCancelled, settlement.reservation_cancelled),
    "planning.activity.created": (copies.ActivityChanged, copies.activity_changed),
    "planning.activity.updated": (copies.ActivityChanged, copies.activity_changed),
    "planning.attendance.recorded": (copies.AttendanceRecorded, copies.attendance_recorded),
    "accounts.dossier.updated": (copies.DossierUpdated, copies.dossier_updated),
    "accounts.child.added": (attestations.ChildKnown, attestations.child_known),
    "accounts.child.updated": (attestations.ChildKnown, attestations.child_known),
}


def _handler(deps: Deps, model: type[BaseModel], use_case: UseCase) -> Handler:
    async def handle(conn: asyncpg.Connection, envelope: Envelope) -> None:
        data = model.model_validate(envelope.data)
        event = Event(id=envelope.id, occurred_at=envelope.occurred_at)
        async with UnitOfWork.joined(conn) as uow:
            await use_case(deps(), uow, event, data)

    handle.__name__ = f"on_{use_case.__name__}"
    return handle


def event_handlers(deps: Deps) -> dict[str, Handler]:
    """routing key → handler; ``deps`` is called per event (the pool exists once started)."""
    return {event_type: _handler(deps, model, use_case) for event_type, (model, use_case) in HANDLERS.items()}
