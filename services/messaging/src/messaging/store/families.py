"""Local copies the booking and payment e-mails read: children, activities, payments.

Fed by events (service/families.py); each write carries the event's time (``as_of``) so
that an older event arriving late changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import asyncpg


class Children:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def apply(self, child_id: uuid.UUID, as_of: datetime, *, dossier_id: uuid.UUID, first_name: str) -> None:
        await self.conn.execute(
            """
            INSERT INTO children (child_id, dossier_id, first_name, as_of) VALUES ($1, $2, $3, $4)
            ON CONFLICT (child_id) DO UPDATE SET dossier_id = EXCLUDED.dossier_id,
              first_name = EXCLUDED.first_name, as_of = EXCLUDED.as_of
            WHERE children.as_of <= EXCLUDED.as_of
            """,
            child_id,
            dossier_id,
            first_name,
            as_of,
        )

    async def first_names(self, child_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await self.conn.fetch(
            "SELECT child_id, first_name FROM children WHERE child_id = ANY($1::uuid[])", list(child_ids)
        )
        return {r["child_id"]: r["first_name"] for r in rows}


class Activities:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def apply(self, activity_id: uuid.UUID, as_of: datetime, *, name: str) -> None:
        await self.conn.execute(
            """
            INSERT INTO activities (activity_id, name, as_of) VALUES ($1, $2, $3)
            ON CONFLICT (activity_id) DO UPDATE SET name = EXCLUDED.name, as_of = EXCLUDED.as_of
            WHERE activities.as_of <= EXCLUDED.as_of
            """,
            activity_id,
            name,
            as_of,
        )

    async def names(self, activity_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await self.conn.fetch(
            "SELECT activity_id, name FROM activities WHERE activity_id = ANY($1::uuid[])", list(activity_ids)
        )
        return {r["activity_id"]: r["name"] for r in rows}


class Payments:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(
        self,
        payment_id: uuid.UUID,
        *,
        dossier_id: uuid.UUID,
        amount_cents: int,
        credit_used_cents: int,
        reference: str,
        paid_at: datetime,
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO payments (payment_id, dossier_id, amount_cents, credit_used_cents, reference, paid_at)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (payment_id) DO NOTHING
            """,
            payment_id,
            dossier_id,
            amount_cents,
            credit_used_cents,
            reference,
            paid_at,
        )

    async def get(self, payment_id: uuid.UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM payments WHERE payment_id = $1", payment_id)
