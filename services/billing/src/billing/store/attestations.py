"""Tax-attestation requests, and what a family paid in a year."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from billing.domain.attestation import InvoicedLine, PaidInvoice, PaidLine


class AttestationRequests:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(
        self, request_id: uuid.UUID, dossier_id: uuid.UUID, year: int, *, by: uuid.UUID | None, at: datetime
    ) -> asyncpg.Record:
        """The family's request for ``year``: the new one, or the one already there."""
        await self.conn.execute(
            "INSERT INTO attestation_requests (id, dossier_id, year, state, requested_at, requested_by) "
            "VALUES ($1, $2, $3, 'pending', $4, $5) ON CONFLICT (dossier_id, year) DO NOTHING",
            request_id,
            dossier_id,
            year,
            at,
            by,
        )
        return await self.conn.fetchrow(
            f"SELECT {SUMMARY} FROM attestation_requests r WHERE dossier_id = $1 AND year = $2", dossier_id, year
        )

    async def get(self, request_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM attestation_requests WHERE id = $1" + (" FOR UPDATE" if lock else ""), request_id
        )

    async def approve(
        self, request_id: uuid.UUID, *, total_cents: int, pdf: bytes, by: uuid.UUID, at: datetime
    ) -> None:
        await self.conn.execute(
            "UPDATE attestation_requests SET state = 'approved', total_cents = $2, pdf = $3, approved_by = $4, "
            "approved_at = $5 WHERE id = $1",
            request_id,
            total_cents,
            pdf,
            by,
            at,
        )

    async def listing(self, *, dossier_id: uuid.UUID | None = None, state: str | None = None) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"""
            SELECT {SUMMARY}, f.dossier_number, f.family_name FROM attestation_requests r
            LEFT JOIN families f ON f.dossier_id = r.dossier_id
            WHERE ($1::uuid IS NULL OR r.dossier_id = $1) AND ($2::text IS NULL OR r.state = $2)
            ORDER BY r.requested_at, r.id
            """,
            dossier_id,
            state,
        )

    async def paid_lines(self, dossier_id: uuid.UUID, start: datetime, end: datetime) -> list[PaidLine]:
        """Lines of the family's payments settled in [start, end), days cancelled since left out
        (their amount became a credit, spent on other days that count in their own payment)."""
        rows = await self.conn.fetch(
            """
            SELECT l.child_id, a.code, (p.settled_at AT TIME ZONE 'Europe/Paris')::date AS paid_on, l.amount_cents
            FROM payment_lines l
            JOIN payments p ON p.id = l.payment_id
            JOIN activities a ON a.id = l.activity_id
            WHERE p.dossier_id = $1 AND p.state = 'succeeded' AND p.outcome IS DISTINCT FROM 'credited'
              AND p.settled_at >= $2 AND p.settled_at < $3
              AND NOT EXISTS (SELECT 1 FROM booked_days b WHERE b.payment_id = l.payment_id
                              AND b.child_id = l.child_id AND b.activity_id = l.activity_id AND b.day = l.day
                              AND b.cancelled_at IS NOT NULL)
            """,
            dossier_id,
            start,
            end,
        )
        return [PaidLine(r["child_id"], r["code"], r["paid_on"], r["amount_cents"]) for r in rows]

    async def paid_invoices(self, dossier_id: uuid.UUID, start: datetime, end: datetime) -> list[PaidInvoice]:
        """The family's invoices whose payment was settled in [start, end), with their lines
        (a staff charge's line has no child nor activity)."""
        rows = await self.conn.fetch(
            """
            SELECT p.invoice_id, (p.settled_at AT TIME ZONE 'Europe/Paris')::date AS paid_on, l.child_id, a.code,
                   l.amount_cents
            FROM payments p
            JOIN invoice_lines l ON l.invoice_id = p.invoice_id
            LEFT JOIN activities a ON a.id = l.activity_id
            WHERE p.dossier_id = $1 AND p.purpose = 'invoice' AND p.state = 'succeeded'
              AND p.outcome IS DISTINCT FROM 'credited' AND p.settled_at >= $2 AND p.settled_at < $3
            ORDER BY p.invoice_id, l.position
            """,
            dossier_id,
            start,
            end,
        )
        invoices: dict[uuid.UUID, tuple] = {}
        for r in rows:
            paid_on, lines = invoices.setdefault(r["invoice_id"], (r["paid_on"], []))
            lines.append(InvoicedLine(r["child_id"], r["code"], r["amount_cents"]))
        return [PaidInvoice(paid_on, tuple(lines)) for paid_on, lines in invoices.values()]


SUMMARY = (
    "r.id, r.dossier_id, r.year, r.state, r.requested_at, r.approved_at, coalesce(r.total_cents, 0) AS total_cents"
)
