"""What a family reads: its history and its payments."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from .status import STATUS_SQL

HISTORY_KINDS = ["payment", "credit", "invoice", "refund"]


async def history_rows(
    conn: asyncpg.Connection, dossier_id: uuid.UUID, after: tuple[datetime, int] | None, limit: int
) -> list[asyncpg.Record]:
    """Newest first; ``after`` is the (occurred_at, seq) of the last entry of the previous page."""
    return await conn.fetch(
        """
        SELECT seq, kind, occurred_at, label, amount_cents, reference,
               CASE kind WHEN 'payment' THEN payment_id WHEN 'credit' THEN credit_id
                         WHEN 'invoice' THEN invoice_id END AS ref_id
        FROM ledger_entries
        WHERE dossier_id = $1 AND kind = ANY($2::text[])
          AND ($3::timestamptz IS NULL OR (occurred_at, seq) < ($3, $4))
        ORDER BY occurred_at DESC, seq DESC
        LIMIT $5
        """,
        dossier_id,
        HISTORY_KINDS,
        after[0] if after else None,
        after[1] if after else 0,
        limit,
    )


async def payment_with_lines(
    conn: asyncpg.Connection, payment_id: uuid.UUID, dossier_id: uuid.UUID | None
) -> tuple[asyncpg.Record, list[asyncpg.Record]] | None:
    """The payment (of that family when ``dossier_id`` is given) and its lines."""
    row = await conn.fetchrow(
        f"SELECT p.*, {STATUS_SQL} AS status FROM payments p WHERE p.id = $1 AND ($2::uuid IS NULL OR p.dossier_id = $2)",
        payment_id,
        dossier_id,
    )
    if row is None:
        return None
    lines = await conn.fetch("SELECT * FROM payment_lines WHERE payment_id = $1 ORDER BY day, label", payment_id)
    return row, lines
