"""The JSON shapes of billing's HTTP API (docs/saga.md's parent shapes, API.md's staff paths).

Every amount comes in a pair: ``*_cents`` (a strict integer: a float is refused on the way
in and cannot be produced on the way out) and the French display string (« 11,22 € »).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .domain.money import Cents, NonNegativeCents, PositiveCents
from .domain.tariffs import MAX_BRACKETS


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- parents ---------------------------------------------------------------------------------


class Account(Out):
    balance_cents: Cents = Field(description="what the family owes (negative: what the town owes it)")
    balance: str
    credit_cents: NonNegativeCents = Field(description="available credit (« avoir »)")
    credit: str
    unpaid_cents: NonNegativeCents = Field(description="what is left to pay of issued invoices")
    unpaid: str


class HistoryEntry(Out):
    kind: Literal["payment", "credit", "invoice", "refund"]
    date: date
    label: str
    amount_cents: NonNegativeCents
    amount: str
    reference: str | None
    id: uuid.UUID | None


class HistoryPage(Out):
    entries: list[HistoryEntry]
    next_cursor: str | None


class HistoryQuery(In):
    model_config = ConfigDict(extra="ignore")
    limit: str | None = Field(None, description="1 to 100 (20 by default)")
    cursor: str | None = Field(None, description="next_cursor of the previous page")


class PaymentLineOut(Out):
    date: date
    element: str
    amount_cents: NonNegativeCents
    amount: str


class PaymentOut(Out):
    id: uuid.UUID
    status: Literal["pending", "succeeded", "failed", "expired", "credited"]
    amount_cents: NonNegativeCents = Field(description="paid (or to pay) by card")
    amount: str
    credit_used_cents: NonNegativeCents
    credit_used: str
    total_cents: NonNegativeCents
    total: str
    reference: str
    created_at: datetime
    lines: list[PaymentLineOut]
    purpose: Literal["basket", "invoice"] = Field(
        "basket", description="basket: days booked at « Payer »; invoice: « Payer mes factures »"
    )


# --- staff -----------------------------------------------------------------------------------


class BracketIn(In):
    qf_max: int | None = Field(description="inclusive upper bound of the QF; null: the default (highest) bracket")
    unit_price_cents: int = Field(description="price of one day, integer cents")
    qf_min: int | None = Field(None, description="optional; checked against the previous bracket's qf_max + 1")


class TariffIn(In):
    brackets: list[BracketIn] = Field(max_length=MAX_BRACKETS)


class BracketOut(Out):
    qf_min: int
    qf_max: int | None
    unit_price_cents: NonNegativeCents
    unit_price: str


class TariffOut(Out):
    activity_id: uuid.UUID
    activity_name: str
    school_year: str
    brackets: list[BracketOut]


class TariffList(Out):
    tariffs: list[TariffOut]


class QfIn(In):
    value: int = Field(description="the CAF's monthly QF, in euros")
    valid_from: date
    valid_to: date = Field(description="inclusive")
    proof: Literal["avis_imposition", "attestation_caf"]
    state: Literal["pending", "validated"] = Field("pending", description="validated: the proof was checked already")


class QfOut(Out):
    id: uuid.UUID
    value: int
    valid_from: date
    valid_to: date
    proof: Literal["avis_imposition", "attestation_caf"]
    proof_label: str
    state: Literal["pending", "validated", "rejected"]


class QfList(Out):
    qfs: list[QfOut]


class PaymentsQuery(In):
    model_config = ConfigDict(extra="ignore")
    status: Literal["pending", "succeeded", "failed", "expired", "credited"] | None = None
    dossier_id: uuid.UUID | None = None
    limit: str | None = None
    cursor: str | None = None


class StaffPayment(Out):
    id: uuid.UUID
    dossier_id: uuid.UUID
    dossier_number: str | None
    family_name: str | None
    status: Literal["pending", "succeeded", "failed", "expired", "credited"]
    provider: str
    amount_cents: NonNegativeCents
    amount: str
    credit_used_cents: NonNegativeCents
    reference: str
    failure_reason: str | None
    created_at: datetime
    settled_at: datetime | None


class StaffPaymentPage(Out):
    payments: list[StaffPayment]
    next_cursor: str | None


class MoneyIn(In):
    amount_cents: PositiveCents
    label: str = Field(min_length=1, max_length=200)


class CreditOut(Out):
    id: uuid.UUID
    dossier_id: uuid.UUID
    amount_cents: PositiveCents
    amount: str
    label: str


class RefundOut(Out):
    id: uuid.UUID
    dossier_id: uuid.UUID
    amount_cents: PositiveCents
    amount: str
    label: str


class ExportQuery(In):
    model_config = ConfigDict(extra="ignore")
    from_: date | None = Field(None, alias="from", description="first day (Europe/Paris), inclusive")
    to: date | None = Field(None, description="last day (Europe/Paris), inclusive")


# --- the simulated Treasury (internal) -------------------------------------------------------


class DecisionIn(In):
    decision: Literal["pay", "refuse"]


class OperationOut(Out):
    idop: str
    amount_cents: PositiveCents
    amount: str
    reference: str
    state: Literal["pending", "paid", "refused"]
    return_url: str


class NotificationForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    idop: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


# --- invoices, credit notes, documents, invoicing runs ------------------------------------------

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class InvoiceSummary(Out):
    id: uuid.UUID
    number: str = Field(description="« 2026-000042 »")
    month: str = Field(description="the month invoiced, YYYY-MM")
    period: str = Field(description="« décembre 2026 »")
    issued_on: date
    due_on: date
    total_cents: PositiveCents
    paid_cents: NonNegativeCents = Field(description="paid so far (payments and credits used)")
    outstanding_cents: NonNegativeCents = Field(description="what is left to pay (a payment pays all of it)")
    status: Literal["unpaid", "paid"]
    pdf_url: str


class InvoiceList(Out):
    invoices: list[InvoiceSummary] = Field(description="unpaid first, then newest first")
    unpaid_cents: NonNegativeCents


class InvoiceLineOut(Out):
    date: date
    child: str = Field(description="the child's first name (empty for a fee not tied to a child)")
    label: str
    unit_price_cents: Cents
    quantity: int
    amount_cents: Cents


class CreditNoteRef(Out):
    id: uuid.UUID
    number: str = Field(description="« AV-2026-000001 »: credit notes have their own yearly sequence")
    amount_cents: PositiveCents


class InvoiceDetail(InvoiceSummary):
    dossier_id: uuid.UUID
    lines: list[InvoiceLineOut]
    credit_notes: list[CreditNoteRef]


class InvoicePaymentOut(Out):
    payment_id: uuid.UUID
    status: Literal["pending", "covered", "created", "succeeded", "failed", "expired"] = Field(
        description="pending: go to payment_url; covered: credits paid it all"
    )
    payment_url: str | None = Field(None, description="the provider's page (simulated Treasury or PayFiP)")
    amount_cents: NonNegativeCents = Field(description="paid by card")
    amount: str
    credit_used_cents: NonNegativeCents
    credit_used: str
    reference: str


class DocumentOut(Out):
    id: uuid.UUID
    kind: str = Field(description="invoice | credit_note (and the kinds other modules register)")
    title: str
    date: date
    number: str | None
    amount_cents: NonNegativeCents = Field(0, description="the document's amount (0 when it has none: a QF card)")
    pdf_url: str


class DocumentList(Out):
    documents: list[DocumentOut] = Field(description="newest first")


class ChargeIn(In):
    date: date
    label: str = Field(min_length=1, max_length=200, description="« Retard à la sortie du périscolaire »")
    amount_cents: PositiveCents


class ChargeOut(Out):
    id: uuid.UUID
    dossier_id: uuid.UUID
    date: date
    label: str
    amount_cents: PositiveCents


class CreditNoteIn(In):
    amount_cents: PositiveCents = Field(description="at most what is left to credit on the invoice")
    reason: str = Field(min_length=1, max_length=200)


class CreditNoteOut(Out):
    id: uuid.UUID
    number: str
    invoice_id: uuid.UUID
    amount_cents: PositiveCents
    reason: str


class RunIn(In):
    month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM: a past month, or the current one")


class RunStarted(Out):
    id: uuid.UUID
    status: Literal["running", "done", "failed"]


class RunOut(RunStarted):
    month: str
    trigger: Literal["staff", "schedule"]
    invoices: int = Field(description="how many invoices this run issued")
    total_cents: NonNegativeCents
    families_total: int
    families_done: int
    errors: int = Field(description="families that could not be invoiced (the run then ends failed)")
    started_at: datetime
    finished_at: datetime | None
