"""The family ledger, its credits, the days it paid for, and attendance kept for invoices."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from billing.domain.ledger import Ledger as DomainLedger
from billing.domain.ledger import LedgerEntry
from billing.domain.money import Money


class Ledger:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(
        self,
        dossier_id: uuid.UUID,
        entry: LedgerEntry,
        *,
        credit_id: uuid.UUID | None = None,
        by: uuid.UUID | None = None,
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO ledger_entries (id, dossier_id, kind, amount_cents, occurred_at, label, reference,
                credit_reason, invoice_id, payment_id, credit_id, recorded_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            """,
            entry.id or uuid.uuid4(),
            dossier_id,
            entry.kind.value,
            entry.amount.cents,
            entry.occurred_at,
            entry.label,
            entry.reference,
            entry.credit_reason.value if entry.credit_reason else None,
            entry.invoice_id,
            entry.payment_id,
            credit_id,
            by,
        )

    async def of(self, dossier_id: uuid.UUID) -> DomainLedger:
        """The family's ledger replayed in the order it was written."""
        rows = await self.conn.fetch("SELECT * FROM ledger_entries WHERE dossier_id = $1 ORDER BY seq", dossier_id)
        return DomainLedger(
            LedgerEntry(
                id=r["id"],
                kind=r["kind"],
                amount=Money(r["amount_cents"]),
                occurred_at=r["occurred_at"],
                label=r["label"],
                reference=r["reference"],
                credit_reason=r["credit_reason"],
                invoice_id=r["invoice_id"],
                payment_id=r["payment_id"],
            )
            for r in rows
        )


class Credits:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def insert(
        self,
        *,
        credit_id: uuid.UUID,
        dossier_id: uuid.UUID,
        amount: Money,
        reason: str,
        label: str,
        at: datetime,
        payment_id: uuid.UUID | None = None,
        reservation_id: uuid.UUID | None = None,
        by: uuid.UUID | None = None,
    ) -> bool:
        """False when this credit was already granted (the same cancelled day, the same late payment)."""
        inserted = await self.conn.fetchval(
            """
            INSERT INTO credits (id, dossier_id, amount_cents, reason, label, payment_id, reservation_id,
                granted_by, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT DO NOTHING RETURNING true
            """,
            credit_id,
            dossier_id,
            amount.cents,
            reason,
            label,
            payment_id,
            reservation_id,
            by,
            at,
        )
        return bool(inserted)


class BookedDays:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(
        self,
        *,
        reservation_id: uuid.UUID,
        dossier_id: uuid.UUID,
        payment_id: uuid.UUID,
        child_id: uuid.UUID,
        activity_id: uuid.UUID,
        day: date,
        label: str,
        amount: Money,
        at: datetime,
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO booked_days (reservation_id, dossier_id, payment_id, child_id, activity_id, day, label,
                amount_cents, confirmed_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING
            """,
            reservation_id,
            dossier_id,
            payment_id,
            child_id,
            activity_id,
            day,
            label,
            amount.cents,
            at,
        )

    async def paid_for(self, dossier_id: uuid.UUID, keys: list[tuple[uuid.UUID, uuid.UUID, date]]) -> dict:
        """(child, activity, day) → what was paid for that still-booked day."""
        if not keys:
            return {}
        rows = await self.conn.fetch(
            """
            SELECT b.child_id, b.activity_id, b.day, b.amount_cents FROM booked_days b
            JOIN unnest($2::uuid[], $3::uuid[], $4::date[]) AS k(child_id, activity_id, day)
              ON (k.child_id, k.activity_id, k.day) = (b.child_id, b.activity_id, b.day)
            WHERE b.dossier_id = $1 AND b.cancelled_at IS NULL
            """,
            dossier_id,
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
        )
        return {(r["child_id"], r["activity_id"], r["day"]): Money(r["amount_cents"]) for r in rows}

    async def cancel(self, reservation_id: uuid.UUID, at: datetime) -> asyncpg.Record | None:
        """Mark the day cancelled; None when it was unknown or already cancelled."""
        return await self.conn.fetchrow(
            "UPDATE booked_days SET cancelled_at = $2 WHERE reservation_id = $1 AND cancelled_at IS NULL RETURNING *",
            reservation_id,
            at,
        )


class Attendance:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def record(
        self, *, dossier_id, child_id, activity_id, day: date, status: str, booked: bool, at: datetime
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO attendance_records (child_id, activity_id, day, dossier_id, status, booked, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (child_id, activity_id, day) DO UPDATE SET status = EXCLUDED.status,
                booked = EXCLUDED.booked, recorded_at = EXCLUDED.recorded_at
            WHERE attendance_records.recorded_at <= EXCLUDED.recorded_at
            """,
            child_id,
            activity_id,
            day,
            dossier_id,
            status,
            booked,
            at,
        )
