"""The integration events billing publishes (v1): docs/events.md is generated from them.

The book-and-pay saga's half owned by billing (docs/saga.md). Every amount is a strict
integer of cents (``NonNegativeCents`` / ``PositiveCents``): a float is refused when the event
is built, so none can reach the outbox.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field
from servicekit.events import EventData, IntegrationEvent

from billing.domain.money import NonNegativeCents, PositiveCents

SOURCE = "billing"

PAYMENT_SUCCEEDED = "billing.payment.succeeded"
PAYMENT_FAILED = "billing.payment.failed"
CREDIT_GRANTED = "billing.credit.granted"
QF_CHANGED = "billing.qf.changed"
INVOICE_ISSUED = "billing.invoice.issued"
QF_PROOF_REJECTED = "billing.qf_proof.rejected"
QF_CAMPAIGN_REMINDER_DUE = "billing.qf_campaign.reminder_due"
DOCUMENT_READY = "billing.document.ready"


class PaidLine(EventData):
    date: date
    child_id: uuid.UUID
    activity_id: uuid.UUID
    label: str = Field(description="« Arthur - 2026/2027 - Cantine (11h30 à 13h30) »")
    amount_cents: NonNegativeCents


class PaymentSucceeded(IntegrationEvent):
    """A payment is verified paid (the provider's own answer), or credits covered it all.
    planning: confirm the basket's reservations (or refuse them: billing then credits the
    money); messaging: the receipt. Published once per payment."""

    type = PAYMENT_SUCCEEDED
    version = 1

    payment_id: uuid.UUID
    dossier_id: uuid.UUID
    basket_id: uuid.UUID | None = Field(description="null for an invoice's payment")
    checkout_id: uuid.UUID | None = Field(description="null for an invoice's payment")
    invoice_id: uuid.UUID | None = Field(None, description="set for an invoice's payment (planning ignores those)")
    amount_cents: NonNegativeCents = Field(description="paid by card (0 when credits covered everything)")
    credit_used_cents: NonNegativeCents = Field(description="paid by the family's credits")
    total_cents: NonNegativeCents = Field(description="amount_cents + credit_used_cents")
    reference: str = Field(description="the payment's reference at the Treasury (refdet)")
    provider: str = Field(description="simulated | payfip | credit (covered by credits)")
    paid_at: datetime
    lines: list[PaidLine] = Field(description="what was paid, day by day")
    credited: bool = Field(
        False,
        description="true when the basket was already released (expired, abandoned) before the money came: "
        "the amount became a credit at once (billing.credit.granted follows), planning has nothing to confirm",
    )


class PaymentFailed(IntegrationEvent):
    """A payment was refused at the provider, or expired / was abandoned unpaid. planning:
    release the held places at once."""

    type = PAYMENT_FAILED
    version = 1

    payment_id: uuid.UUID
    dossier_id: uuid.UUID
    basket_id: uuid.UUID | None
    checkout_id: uuid.UUID | None
    invoice_id: uuid.UUID | None = None
    reason: str = Field(description="refused | expired | abandoned | not_started")


class CreditGranted(IntegrationEvent):
    """The family holds a new credit (« avoir »): a cancelled paid day, a payment that
    arrived for nothing (late, or its places went elsewhere), or a staff decision.
    messaging: notice."""

    type = CREDIT_GRANTED
    version = 1

    credit_id: uuid.UUID
    dossier_id: uuid.UUID
    amount_cents: PositiveCents
    reason: Literal["cancellation", "late_payment", "staff"]
    label: str
    payment_id: uuid.UUID | None = None
    granted_at: datetime


class QfChanged(IntegrationEvent):
    """Staff validated or rejected a family's quotient familial (or entered it validated):
    the family's prices change from ``valid_from`` on. messaging: notice to the family."""

    type = QF_CHANGED
    version = 1

    qf_id: uuid.UUID
    dossier_id: uuid.UUID
    state: Literal["validated", "rejected"]
    value: int = Field(ge=0, description="the CAF's monthly QF, in euros")
    valid_from: date
    valid_to: date = Field(description="inclusive")


class InvoiceIssued(IntegrationEvent):
    """A monthly invoice was issued and its PDF stored (published in the transaction that
    stores it). messaging: the invoice e-mail, PDF attached (asked over RPC
    ``billing.invoice_pdf``), to families who opted in (``invoices_by_email``)."""

    type = INVOICE_ISSUED
    version = 1

    invoice_id: uuid.UUID
    number: str = Field(description="« 2026-000042 »: one continuous sequence per year")
    dossier_id: uuid.UUID
    month: str = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="the month invoiced, YYYY-MM")
    total_cents: PositiveCents
    due_on: date
    lines: int = Field(ge=1, description="how many lines the invoice has")
    issued_at: datetime


class QfProofRejected(IntegrationEvent):
    """Staff refused a family's QF proof (unreadable, wrong document…). messaging: notice
    with the reason, so the family sends another before the campaign ends."""

    type = QF_PROOF_REJECTED
    version = 1

    proof_id: uuid.UUID
    dossier_id: uuid.UUID
    year: int = Field(description="the campaign year the proof was sent for")
    reason: str = Field(description="staff's reason, in French, shown to the family")


class QfCampaignReminderDue(IntegrationEvent):
    """The family has no validated QF for the campaign's new period and no proof waiting:
    messaging reminds it (at most once a week per family; billing's job decides)."""

    type = QF_CAMPAIGN_REMINDER_DUE
    version = 1

    dossier_id: uuid.UUID
    year: int
    ends_on: date = Field(description="the campaign's last day; the highest tariff applies from the day after")


class DocumentReady(IntegrationEvent):
    """A document the family asked for is in « Mes documents » (a tax attestation approved by
    staff). messaging: the « document disponible » notice."""

    type = DOCUMENT_READY
    version = 1

    dossier_id: uuid.UUID
    document_id: uuid.UUID
    kind: Literal["tax_attestation"]
    title: str = Field(description="« Attestation fiscale 2026 »")
    year: int | None = None


# The catalogue (servicekit.catalogue) reads this.
EVENTS = (
    PaymentSucceeded,
    PaymentFailed,
    CreditGranted,
    QfChanged,
    InvoiceIssued,
    QfProofRejected,
    QfCampaignReminderDue,
    DocumentReady,
)
