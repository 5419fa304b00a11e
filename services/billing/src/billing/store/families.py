"""Local copies of what other services own: families (accounts) and activities (planning)."""

from __future__ import annotations

import uuid

import asyncpg


class Families:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def upsert(
        self,
        *,
        dossier_id: uuid.UUID,
        number: str,
        family_name: str,
        contact_email: str | None,
        invoices_by_email: bool,
        address: dict | None = None,
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO families (dossier_id, dossier_number, family_name, contact_email, invoices_by_email, address)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            ON CONFLICT (dossier_id) DO UPDATE SET dossier_number = EXCLUDED.dossier_number,
                family_name = EXCLUDED.family_name, contact_email = EXCLUDED.contact_email,
                invoices_by_email = EXCLUDED.invoices_by_email, address = EXCLUDED.address, updated_at = now()
            """,
            dossier_id,
            number,
            family_name,
            contact_email,
            invoices_by_email,
            address,
        )

    async def get(self, dossier_id: uuid.UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM families WHERE dossier_id = $1", dossier_id)

    async def lock_account(self, dossier_id: uuid.UUID) -> None:
        """Take the family's money lock for the rest of the transaction (credits are spent under it)."""
        await self.conn.execute(
            "INSERT INTO family_accounts (dossier_id) VALUES ($1) ON CONFLICT DO NOTHING", dossier_id
        )
        await self.conn.execute("SELECT 1 FROM family_accounts WHERE dossier_id = $1 FOR UPDATE", dossier_id)


class Activities:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def upsert(
        self, *, activity_id: uuid.UUID, school_year: str, code: str, name: str, display_name: str
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO activities (id, school_year, code, name, display_name) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (id) DO UPDATE SET school_year = EXCLUDED.school_year, code = EXCLUDED.code,
                name = EXCLUDED.name, display_name = EXCLUDED.display_name, updated_at = now()
            """,
            activity_id,
            school_year,
            code,
            name,
            display_name,
        )

    async def get(self, activity_id: uuid.UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM activities WHERE id = $1", activity_id)
