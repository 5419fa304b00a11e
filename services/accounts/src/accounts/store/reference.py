"""The town's settings: its name, the published terms of use and who accepted them."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


class Reference:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def set_town(self, name: str, insee_code: str | None) -> bool:
        """The one town this deployment serves; False when it was already set (left alone)."""
        status = await self.conn.execute(
            "INSERT INTO town (id, name, insee_code) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING", name, insee_code
        )
        return status.endswith(" 1")

    async def publish_terms(self, version: str, text: str, now: datetime) -> bool:
        """A new version of the terms of use; False when that version exists (never rewritten)."""
        status = await self.conn.execute(
            "INSERT INTO terms (version, text, published_at) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING",
            version,
            text,
            now,
        )
        return status.endswith(" 1")

    async def accept_terms(self, user_id: uuid.UUID, version: str, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO terms_acceptances (user_id, terms_version, accepted_at) VALUES ($1, $2, $3)",
            user_id,
            version,
            now,
        )
