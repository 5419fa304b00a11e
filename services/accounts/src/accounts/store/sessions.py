"""Login sessions: an opaque token (stored hashed), absolute and idle expiry."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


class Sessions:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def open(self, *, user_id: uuid.UUID, token_hash: str, now: datetime, expires_at: datetime) -> uuid.UUID:
        return await self.conn.fetchval(
            """
            INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at)
            VALUES ($1, $2, $3, $4, $3) RETURNING id
            """,
            token_hash,
            user_id,
            now,
            expires_at,
        )

    async def find(self, token_hash: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            """
            SELECT s.id, s.user_id, s.created_at, s.expires_at, s.last_seen_at, s.revoked_at,
                   u.username, u.first_name, u.status, u.roles, u.dossier_id, u.mobile_display
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = $1
            """,
            token_hash,
        )

    async def touch(self, session_id: uuid.UUID, now: datetime) -> None:
        # The condition keeps two concurrent requests from writing twice.
        await self.conn.execute(
            "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2", session_id, now
        )

    async def revoke(self, token_hash: str, now: datetime) -> uuid.UUID | None:
        return await self.conn.fetchval(
            "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL RETURNING user_id",
            token_hash,
            now,
        )

    async def open_id(
        self, user_id: uuid.UUID, *, session_id: uuid.UUID | None = None, token_hash: str | None = None
    ) -> uuid.UUID | None:
        """The id of this user's session named by id or token hash, if it is still open."""
        return await self.conn.fetchval(
            """
            SELECT id FROM sessions
            WHERE user_id = $1 AND revoked_at IS NULL AND (id = $2 OR token_hash = $3)
            """,
            user_id,
            session_id,
            token_hash,
        )

    async def revoke_all(
        self,
        user_id: uuid.UUID,
        now: datetime,
        *,
        except_token_hash: str | None = None,
        except_session_id: uuid.UUID | None = None,
    ) -> list[uuid.UUID]:
        """Close the user's open sessions but the one named; return the ids closed."""
        rows = await self.conn.fetch(
            """
            UPDATE sessions SET revoked_at = $2
            WHERE user_id = $1 AND revoked_at IS NULL
              AND ($3::text IS NULL OR token_hash <> $3) AND ($4::uuid IS NULL OR id <> $4)
            RETURNING id
            """,
            user_id,
            now,
            except_token_hash,
            except_session_id,
        )
        return [r["id"] for r in rows]

    async def delete_finished(self, before: datetime) -> int:
        result = await self.conn.execute("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1", before)
        return int(result.split()[-1])
