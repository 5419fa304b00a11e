"""Payments and their lines; rows read ``FOR UPDATE`` when a use case will change them
(the row lock that makes five identical notifications one success)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from billing.domain.money import Money
from billing.domain.payments import Payment, PaymentPurpose


@dataclass(frozen=True)
class PaymentLine:
    child_id: uuid.UUID
    activity_id: uuid.UUID
    day: date
    label: str
    amount: Money


@dataclass(frozen=True)
class StoredPayment:
    """The aggregate plus what only the saga needs around it."""

    payment: Payment
    basket_id: uuid.UUID | None
    checkout_id: uuid.UUID | None
    invoice_id: uuid.UUID | None
    payment_url: str | None
    return_url: str | None
    basket_expires_at: datetime | None


def payment_of(row: asyncpg.Record) -> StoredPayment:
    subject = row["basket_id"] if row["purpose"] == PaymentPurpose.BASKET else row["invoice_id"]
    payment = Payment(
        id=row["id"],
        family_id=row["dossier_id"],
        purpose=row["purpose"],
        subject_id=subject,
        amount=Money(row["amount_cents"]),
        credit_used=Money(row["credit_used_cents"]),
        refdet=row["refdet"],
        provider=row["provider"],
        created_at=row["created_at"],
        state=row["state"],
        operation_id=row["operation_id"],
        started_at=row["started_at"],
        settled_at=row["settled_at"],
        outcome=row["outcome"],
        failure_reason=row["failure_reason"],
    )
    return StoredPayment(
        payment,
        row["basket_id"],
        row["checkout_id"],
        row["invoice_id"],
        row["payment_url"],
        row["return_url"],
        row["basket_expires_at"],
    )


class Payments:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def insert(
        self,
        p: Payment,
        *,
        checkout_id: uuid.UUID | None,
        basket_expires_at: datetime | None,
        return_url: str | None,
        lines: list[PaymentLine],
    ) -> None:
        basket_id = p.subject_id if p.purpose is PaymentPurpose.BASKET else None
        invoice_id = p.subject_id if p.purpose is PaymentPurpose.INVOICE else None
        await self.conn.execute(
            """
            INSERT INTO payments (id, dossier_id, purpose, basket_id, checkout_id, invoice_id, amount_cents,
                credit_used_cents, refdet, provider, state, outcome, operation_id, return_url, basket_expires_at,
                created_at, started_at, settled_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
            """,
            p.id,
            p.family_id,
            p.purpose.value,
            basket_id,
            checkout_id,
            invoice_id,
            p.amount.cents,
            p.credit_used.cents,
            p.refdet,
            p.provider,
            p.state.value,
            p.outcome.value if p.outcome else None,
            p.operation_id,
            return_url,
            basket_expires_at,
            p.created_at,
            p.started_at,
            p.settled_at,
        )
        await self.conn.executemany(
            "INSERT INTO payment_lines (payment_id, position, child_id, activity_id, day, label, amount_cents) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [(p.id, i, x.child_id, x.activity_id, x.day, x.label, x.amount.cents) for i, x in enumerate(lines)],
        )

    async def save(self, p: Payment, *, payment_url: str | None = None) -> None:
        """Write the aggregate's state back (its identity and amounts never change)."""
        await self.conn.execute(
            """
            UPDATE payments SET state = $2, outcome = $3, operation_id = $4, started_at = $5, settled_at = $6,
                failure_reason = $7, payment_url = COALESCE($8, payment_url)
            WHERE id = $1
            """,
            p.id,
            p.state.value,
            p.outcome.value if p.outcome else None,
            p.operation_id,
            p.started_at,
            p.settled_at,
            p.failure_reason,
            payment_url,
        )

    async def get(self, payment_id: uuid.UUID, *, lock: bool = False) -> StoredPayment | None:
        row = await self.conn.fetchrow(
            "SELECT * FROM payments WHERE id = $1" + (" FOR UPDATE" if lock else ""), payment_id
        )
        return None if row is None else payment_of(row)

    async def by_checkout(self, checkout_id: uuid.UUID, *, lock: bool = False) -> StoredPayment | None:
        row = await self.conn.fetchrow(
            "SELECT * FROM payments WHERE checkout_id = $1" + (" FOR UPDATE" if lock else ""), checkout_id
        )
        return None if row is None else payment_of(row)

    async def by_operation(self, provider: str, idop: str) -> StoredPayment | None:
        row = await self.conn.fetchrow(
            "SELECT * FROM payments WHERE provider = $1 AND operation_id = $2 FOR UPDATE", provider, idop
        )
        return None if row is None else payment_of(row)

    async def lines(self, payment_id: uuid.UUID) -> list[PaymentLine]:
        rows = await self.conn.fetch("SELECT * FROM payment_lines WHERE payment_id = $1 ORDER BY position", payment_id)
        return [
            PaymentLine(r["child_id"], r["activity_id"], r["day"], r["label"], Money(r["amount_cents"])) for r in rows
        ]

    async def to_resolve(
        self, *, open_before: datetime, abandoned_since: datetime, limit: int = 200
    ) -> list[uuid.UUID]:
        """Payments still created/pending that began before ``open_before`` (their notification is
        late), and those expired since ``abandoned_since`` with an operation that may still be paid."""
        rows = await self.conn.fetch(
            """
            (SELECT id, created_at FROM payments
              WHERE state IN ('created', 'pending') AND created_at < $1 ORDER BY created_at LIMIT $3)
            UNION ALL
            (SELECT id, created_at FROM payments
              WHERE state = 'expired' AND operation_id IS NOT NULL AND settled_at >= $2 ORDER BY created_at LIMIT $3)
            ORDER BY created_at
            """,
            open_before,
            abandoned_since,
            limit,
        )
        return [r["id"] for r in rows]
