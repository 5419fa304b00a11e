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
