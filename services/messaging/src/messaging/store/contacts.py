"""Local copies fed by accounts' events: who a user is (contacts) and their family file (dossiers).

Each write carries the event's time (``as_of``): an event older than the copy changes
nothing, and a purged contact stays a tombstone whatever arrives late.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


class Contacts:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def get(self, user_id: uuid.UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM contacts WHERE user_id = $1", user_id)

    async def of_dossier(self, dossier_id: uuid.UUID) -> list[asyncpg.Record]:
        """The family's contacts (purged ones are forgotten), in a stable order."""
        return await self.conn.fetch(
            "SELECT * FROM contacts WHERE dossier_id = $1 AND status <> 'purged' ORDER BY user_id", dossier_id
        )

    async def apply_profile(
        self,
        user_id: uuid.UUID,
        as_of: datetime,
        *,
        email: str,
        first_name: str | None,
        last_name: str | None,
        dossier_id: uuid.UUID | None = None,
        set_dossier: bool = False,
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO contacts (user_id, email, first_name, last_name, dossier_id, profile_as_of)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (user_id) DO UPDATE SET
              email = EXCLUDED.email, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
              dossier_id = CASE WHEN $7 THEN EXCLUDED.dossier_id ELSE contacts.dossier_id END,
              profile_as_of = EXCLUDED.profile_as_of
            WHERE contacts.profile_as_of <= EXCLUDED.profile_as_of AND contacts.status <> 'purged'
            """,
            user_id,
            email,
            first_name,
            last_name,
            dossier_id,
            as_of,
            set_dossier,
        )

    async def apply_status(self, user_id: uuid.UUID, as_of: datetime, status: str) -> None:
        await self.conn.execute(
            """
            INSERT INTO contacts (user_id, status, status_as_of) VALUES ($1, $2, $3)
            ON CONFLICT (user_id) DO UPDATE SET status = EXCLUDED.status, status_as_of = EXCLUDED.status_as_of
            WHERE contacts.status_as_of <= EXCLUDED.status_as_of AND contacts.status <> 'purged'
            """,
            user_id,
            status,
            as_of,
        )

    async def purge(self, user_id: uuid.UUID, as_of: datetime) -> None:
        """Forget who they were; keep a tombstone so that a late event cannot revive them."""
        await self.conn.execute(
            """
            INSERT INTO contacts (user_id, status, profile_as_of, status_as_of) VALUES ($1, 'purged', $2, $2)
            ON CONFLICT (user_id) DO UPDATE SET status = 'purged', email = NULL, first_name = NULL,
              last_name = NULL, dossier_id = NULL, profile_as_of = $2, status_as_of = $2
            """,
            user_id,
            as_of,
        )


class Dossiers:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def apply(
        self, dossier_id: uuid.UUID, as_of: datetime, *, number: str, family_name: str, invoices_by_email: bool
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO dossiers (dossier_id, number, family_name, invoices_by_email, as_of)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (dossier_id) DO UPDATE SET number = EXCLUDED.number,
              family_name = EXCLUDED.family_name, invoices_by_email = EXCLUDED.invoices_by_email,
              as_of = EXCLUDED.as_of
            WHERE dossiers.as_of <= EXCLUDED.as_of
            """,
            dossier_id,
            number,
            family_name,
            invoices_by_email,
            as_of,
        )

    async def invoices_by_email(self, dossier_id: uuid.UUID) -> bool:
        """Whether the family asked for its invoices by e-mail (unknown family: no)."""
        return bool(
            await self.conn.fetchval("SELECT invoices_by_email FROM dossiers WHERE dossier_id = $1", dossier_id)
        )
