"""Event entry points: accounts', planning's and billing's events → local copies and e-mails.

Each handler validates ``envelope.data`` with messaging's own narrow model (extra fields
ignored: a producer may add fields, and whatever else it sends — a password, say — never
reaches a template), then calls the use case inside the consumer's transaction, the one
that records the event in the inbox. So one event gives one e-mail whatever the broker
redelivers; and an error rolls both back, to be retried and finally dead-lettered.

Like the HTTP entry points, these only validate and call a use case of service/; they
never import the HTTP shell (api.py, admin_api.py, web.py): the composition root (app.py)
hands them the use cases' dependencies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, Strict
from servicekit.consumer import Handler
from servicekit.events import Envelope

from .service import Event, Messaging, bookings, families, invoices, payments, qf
from .service import contacts as use_cases
from .store import UnitOfWork

Email = str  # checked for plausibility when the e-mail is queued; refused ones are recorded
Name = str
Cents = Annotated[int, Strict(), Field(ge=0, le=10**13)]  # integer cents, never a float


class Narrow(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class UserRegistered(Narrow):
    """accounts.user.registered and accounts.user.activation_resent (v1)."""

    user_id: UUID
    username: str = Field(min_length=1, max_length=150)
    email: Email = Field(max_length=320)
    first_name: Name | None = Field(None, max_length=200)
    last_name: Name | None = Field(None, max_length=200)
    dossier_number: str | None = Field(None, max_length=40)
    activation_token: str = Field(min_length=1, max_length=512)
    expires_at: datetime


class UserActivated(Narrow):
    user_id: UUID
    email: Email = Field(max_length=320)
    first_name: Name | None = Field(None, max_length=200)
    last_name: Name | None = Field(None, max_length=200)
    dossier_id: UUID | None = None


class ContactChanged(Narrow):
    user_id: UUID
    email: Email = Field(max_length=320)
    first_name: Name | None = Field(None, max_length=200)
    last_name: Name | None = Field(None, max_length=200)
    dossier_id: UUID | None = None


class UserRef(Narrow):
    """accounts.user.deactivated and accounts.user.purged."""

    user_id: UUID


class PasswordResetRequested(Narrow):
    user_id: UUID
    email: Email = Field(max_length=320)
    first_name: Name | None = Field(None, max_length=200)
    last_name: Name | None = Field(None, max_length=200)
    reset_token: str = Field(min_length=1, max_length=512)
    expires_at: datetime


class PasswordChanged(Narrow):
    user_id: UUID
    email: Email = Field(max_length=320)
    first_name: Name | None = Field(None, max_length=200)
    last_name: Name | None = Field(None, max_length=200)


class RegistrationDuplicateAttempted(Narrow):
    """accounts.registration.duplicate_attempted (v1): the holder of the address is told."""

    user_id: UUID
    email: Email = Field(max_length=320)
    first_name: Name | None = Field(None, max_length=200)
    last_name: Name | None = Field(None, max_length=200)


class EmailChangeRequested(Narrow):
    user_id: UUID
    new_email: Email = Field(max_length=320)
    first_name: Name | None = Field(None, max_length=200)
    last_name: Name | None = Field(None, max_length=200)
    confirm_token: str = Field(min_length=1, max_length=512)
    expires_at: datetime


class DossierUpdated(Narrow):
    dossier_id: UUID
    number: str = Field(max_length=40)
    family_name: str = Field(max_length=200)
    invoices_by_email: bool = False


class ChildKnown(Narrow):
    """accounts.child.added and accounts.child.updated (v1): the name the booking e-mails print."""

    child_id: UUID
    dossier_id: UUID
    first_name: Name = Field(min_length=1, max_length=200)


class ActivityKnown(Narrow):
    """planning.activity.created and planning.activity.updated (v1)."""

    activity_id: UUID
    display_name: str = Field(min_length=1, max_length=200)


class ConfirmedDay(Narrow):
    child_id: UUID
    activity_id: UUID
    date: date


class ReservationsConfirmed(Narrow):
    """planning.reservations.confirmed (v1): the booking confirmation. It may confirm no day
    (staff closed every day of a basket being paid): then there is nothing to announce."""

    dossier_id: UUID
    payment_id: UUID | None = None
    reservations: list[ConfirmedDay] = Field(max_length=2000)


class ClosureDaysCancelled(Narrow):
    """planning.closure.days_cancelled (v1): staff closed days the family had booked."""

    dossier_id: UUID
    label: str = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date
    days: list[ConfirmedDay] = Field(min_length=1, max_length=2000)


class ReminderChild(Narrow):
    first_name: Name = Field(min_length=1, max_length=200)


class BookingReminderDue(Narrow):
    """planning.booking_reminder.due (v1): nothing booked next week, its deadline still open."""

    dossier_id: UUID
    week_starts_on: date
    deadline_at: datetime
    children: list[ReminderChild] = Field(min_length=1, max_length=30)


class PaymentSucceeded(Narrow):
    """billing.payment.succeeded (v1): the receipt. ``basket_id`` is null for an invoice."""

    payment_id: UUID
    dossier_id: UUID
    basket_id: UUID | None = None
    amount_cents: Cents
    credit_used_cents: Cents = 0
    reference: str = Field(min_length=1, max_length=200)


class CreditGranted(Narrow):
    """billing.credit.granted (v1): the credit notice."""

    dossier_id: UUID
    amount_cents: Cents
    reason: str = Field(max_length=60)


class InvoiceIssued(Narrow):
    """billing.invoice.issued (v1): the invoice e-mail, PDF attached."""

    invoice_id: UUID
    number: str = Field(max_length=40)
    dossier_id: UUID
    month: str = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")
    total_cents: Cents
    due_on: date


class QfCampaignReminderDue(Narrow):
    """billing.qf_campaign.reminder_due (v1): the February campaign's reminder."""

    dossier_id: UUID
    year: int = Field(ge=2000, le=2100)
    ends_on: date


class QfProofRejected(Narrow):
    """billing.qf_proof.rejected (v1): why staff refused the family's QF proof."""

    dossier_id: UUID
    year: int = Field(ge=2000, le=2100)
    reason: str = Field(min_length=1, max_length=500)


class QfChanged(Narrow):
    """billing.qf.changed (v1): the family's QF validated (or rejected) by staff."""

    dossier_id: UUID
    state: str = Field(max_length=20)
    value: int = Field(ge=0, le=999_999)
    valid_from: date
    valid_to: date


class DocumentReady(Narrow):
    """billing.document.ready (v1): « un document est disponible »."""

    dossier_id: UUID
    document_id: UUID
    kind: str = Field(max_length=60)
    title: str = Field(min_length=1, max_length=200)


UseCase = Callable[[Messaging, UnitOfWork, Event, BaseModel], Awaitable[None]]
Deps = Callable[[], Messaging]

# routing key → (narrow model, use case). Registering a consumer is one line here.
HANDLERS: Mapping[str, tuple[type[Narrow], UseCase]] = {
    "accounts.user.registered": (UserRegistered, use_cases.user_registered),
    "accounts.user.activation_resent": (UserRegistered, use_cases.user_registered),
    "accounts.user.activated": (UserActivated, use_cases.user_activated),
    "accounts.user.contact_changed": (ContactChanged, use_cases.contact_changed),
    "accounts.user.deactivated": (UserRef, use_cases.user_deactivated),
    "accounts.user.purged": (UserRef, use_cases.user_purged),
    "accounts.password_reset.requested": (PasswordResetRequested, use_cases.password_reset_requested),
    "accounts.password.changed": (PasswordChanged, use_cases.password_changed),
    "accounts.email_change.requested": (EmailChangeRequested, use_cases.email_change_requested),
    "accounts.registration.duplicate_attempted": (
        RegistrationDuplicateAttempted,
        use_cases.registration_duplicate_attempted,
    ),
    "accounts.dossier.updated": (DossierUpdated, use_cases.dossier_updated),
    "accounts.child.added": (ChildKnown, families.child_known),
    "accounts.child.updated": (ChildKnown, families.child_known),
    "planning.activity.created": (ActivityKnown, families.activity_known),
    "planning.activity.updated": (ActivityKnown, families.activity_known),
    "planning.reservations.confirmed": (ReservationsConfirmed, bookings.reservations_confirmed),
    "planning.booking_reminder.due": (BookingReminderDue, bookings.booking_reminder_due),
    "planning.closure.days_cancelled": (ClosureDaysCancelled, bookings.closure_days_cancelled),
    "billing.payment.succeeded": (PaymentSucceeded, payments.payment_succeeded),
    "billing.credit.granted": (CreditGranted, payments.credit_granted),
    "billing.invoice.issued": (InvoiceIssued, invoices.invoice_issued),
    "billing.qf_campaign.reminder_due": (QfCampaignReminderDue, qf.campaign_reminder_due),
    "billing.qf_proof.rejected": (QfProofRejected, qf.proof_rejected),
    "billing.document.ready": (DocumentReady, qf.document_ready),
    "billing.qf.changed": (QfChanged, qf.qf_changed),
}


def _handler(deps: Deps, model: type[Narrow], use_case: UseCase) -> Handler:
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
