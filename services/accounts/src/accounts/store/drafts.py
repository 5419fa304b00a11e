"""The registration wizard's drafts, found by the SHA-256 of their random id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from .dossiers import set_clause

DRAFT_UPDATABLE = frozenset(
    {
        "last_name",
        "first_name",
        "email",
        "username",
        "mobile_display",
        "password_hash",
        "dossier_id",
        "without_dossier",
        "terms_version",
        "terms_accepted_at",
    }
)


class Drafts:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def create(self, id_hash: str, now: datetime, expires_at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO registration_drafts (id_hash, created_at, expires_at) VALUES ($1, $2, $3)",
            id_hash,
            now,
            expires_at,
        )

    async def find(self, id_hash: str, now: datetime, *, for_update: bool = False) -> asyncpg.Record | None:
        """A live draft, with the number and name of the dossier it designates."""
        return await self.conn.fetchrow(
            """
            SELECT d.*, o.number AS dossier_number, o.family_name AS dossier_name
            FROM registration_drafts d LEFT JOIN dossiers o ON o.id = d.dossier_id
            WHERE d.id_hash = $1 AND d.expires_at > $2
            """
            + (" FOR UPDATE OF d" if for_update else ""),
            id_hash,
            now,
        )

    async def update(self, id_hash: str, fields: dict[str, Any]) -> None:
        clause, values = set_clause(fields, DRAFT_UPDATABLE, 2)
        await self.conn.execute(f"UPDATE registration_drafts SET {clause} WHERE id_hash = $1", id_hash, *values)

    async def delete(self, id_hash: str) -> None:
        await self.conn.execute("DELETE FROM registration_drafts WHERE id_hash = $1", id_hash)

    async def delete_expired(self, now: datetime) -> int:
        status = await self.conn.execute("DELETE FROM registration_drafts WHERE expires_at <= $1", now)
        return int(status.split()[-1])
