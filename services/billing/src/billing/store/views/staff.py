"""What staff read: tariff grids, payments (filtered, paginated), CSV exports."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from .status import STATUS_SQL


async def tariff_rows(conn: asyncpg.Connection, activity_id: uuid.UUID | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT g.activity_id, g.school_year, a.display_name, b.qf_max, b.unit_price_cents
        FROM tariff_grids g
        JOIN activities a ON a.id = g.activity_id
        JOIN tariff_brackets b ON (b.activity_id, b.school_year) = (g.activity_id, g.school_year)
        WHERE $1::uuid IS NULL OR g.activity_id = $1
        ORDER BY g.school_year DESC, a.display_name, g.activity_id, b.position
        """,
        activity_id,
    )


async def staff_payment_rows(
    conn: asyncpg.Connection,
    *,
    status: str | None,
    dossier_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""
        SELECT * FROM (
            SELECT p.*, {STATUS_SQL} AS status, f.dossier_number, f.family_name
            FROM payments p LEFT JOIN families f ON f.dossier_id = p.dossier_id
        ) p
        WHERE ($1::text IS NULL OR p.status = $1) AND ($2::uuid IS NULL OR p.dossier_id = $2)
          AND ($3::timestamptz IS NULL OR (p.created_at, p.id) < ($3, $4))
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT $5
        """,
        status,
        dossier_id,
        after[0] if after else None,
        after[1] if after else uuid.UUID(int=0),
        limit,
    )


async def payment_export_rows(conn: asyncpg.Connection, start: date | None, end: date | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""
        SELECT p.id, p.created_at, p.settled_at, {STATUS_SQL} AS status, p.provider, p.refdet,
               p.amount_cents, p.credit_used_cents, p.failure_reason, f.dossier_number, f.family_name
        FROM payments p LEFT JOIN families f ON f.dossier_id = p.dossier_id
        WHERE ($1::date IS NULL OR (p.created_at AT TIME ZONE 'Europe/Paris')::date >= $1)
          AND ($2::date IS NULL OR (p.created_at AT TIME ZONE 'Europe/Paris')::date <= $2)
        ORDER BY p.created_at, p.id
        """,
        start,
        end,
    )


async def ledger_export_rows(conn: asyncpg.Connection, start: date | None, end: date | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT e.occurred_at, e.kind, e.label, e.amount_cents, e.reference, e.credit_reason, e.payment_id,
               f.dossier_number, f.family_name
        FROM ledger_entries e LEFT JOIN families f ON f.dossier_id = e.dossier_id
        WHERE ($1::date IS NULL OR (e.occurred_at AT TIME ZONE 'Europe/Paris')::date >= $1)
          AND ($2::date IS NULL OR (e.occurred_at AT TIME ZONE 'Europe/Paris')::date <= $2)
        ORDER BY e.seq
        """,
        start,
        end,
    )
