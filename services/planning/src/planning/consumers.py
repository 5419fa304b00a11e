"""Event entry points: accounts' children → the local copy; billing's payments → the saga.

Each handler validates ``envelope.data`` with planning's own narrow model (extra fields
ignored) and calls a use case inside the consumer's transaction, the one that records the
event in the inbox: one effect per event whatever the broker redelivers, and an error
rolls both back (retried, then dead-lettered).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict, Field
from servicekit.consumer import Handler
from servicekit.events import Envelope

from .service import Planning, payments
from .service import children as children_use_cases
from .store import UnitOfWork
from .store.children import ChildRecord


class Narrow(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ChildIn(Narrow):
    """accounts.child.added and accounts.child.updated (v1)."""

    dossier_id: UUID
    child_id: UUID
    first_name: str = Field(min_length=1, max_length=200)
    last_name: str = Field(min_length=1, max_length=200)
    birth_date: date
    school: str | None = Field(None, max_length=200)
    level: str | None = Field(None, max_length=20)


class PaymentSucceeded(Narrow):
    """billing.payment.succeeded (v1); a payment of an invoice has no basket_id."""

    payment_id: UUID
    dossier_id: UUID
    basket_id: UUID | None = None
    checkout_id: UUID | None = None


class PaymentFailed(Narrow):
    """billing.payment.failed (v1)."""

    payment_id: UUID
    dossier_id: UUID
    basket_id: UUID | None = None
    checkout_id: UUID | None = None


Deps = Callable[[], Planning]


def event_handlers(deps: Deps) -> dict[str, Handler]:
    """routing key → handler; ``deps`` is called per event (the pool exists once started)."""

    async def on_child(conn: asyncpg.Connection, envelope: Envelope) -> None:
        data = ChildIn.model_validate(envelope.data)
        async with UnitOfWork.joined(conn) as uow:
            await children_use_cases.record_child(uow, ChildRecord(**data.model_dump()), envelope.occurred_at)

    async def on_payment_succeeded(conn: asyncpg.Connection, envelope: Envelope) -> None:
        data = PaymentSucceeded.model_validate(envelope.data)
        if data.basket_id is None:  # an invoice's payment: billing's business only
            return
        async with UnitOfWork.joined(conn) as uow:
            await payments.payment_succeeded(
                uow,
                deps().now(),
                payment_id=data.payment_id,
                dossier_id=data.dossier_id,
                basket_id=data.basket_id,
                checkout_id=data.checkout_id,
            )

    async def on_payment_failed(conn: asyncpg.Connection, envelope: Envelope) -> None:
        data = PaymentFailed.model_validate(envelope.data)
        if data.basket_id is None:
            return
        async with UnitOfWork.joined(conn) as uow:
            await payments.payment_failed(uow, basket_id=data.basket_id, checkout_id=data.checkout_id)

    return {
        "accounts.child.added": on_child,
        "accounts.child.updated": on_child,
        "billing.payment.succeeded": on_payment_succeeded,
        "billing.payment.failed": on_payment_failed,
    }
