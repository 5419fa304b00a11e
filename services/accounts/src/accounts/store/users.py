"""People with a login: parents and staff."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import asyncpg

USER_COLUMNS = """
    id, username, email, last_name, first_name, password_hash, status, roles, dossier_id,
    mobile_display, created_at, activated_at, disabled_at
"""


class Users:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
        lock = " FOR UPDATE" if for_update else ""
        return await self.conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1{lock}", user_id)

    async def by_username(self, username: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE lower(username) = lower($1)", username)

    async def active_by_email(self, email: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1) AND status = 'active' ORDER BY created_at",
            email,
        )

    async def pending_by_email(self, email: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1) AND status = 'pending_activation' "
            "ORDER BY created_at",
            email,
        )

    async def taken_usernames(self, candidates: Iterable[str]) -> set[str]:
        rows = await self.conn.fetch(
            "SELECT lower(username) AS u FROM users WHERE lower(username) = ANY($1::text[])", list(candidates)
        )
        return {r["u"] for r in rows}

    async def insert(
        self,
        *,
        username: str,
        email: str,
        last_name: str,
        first_name: str,
        password_hash: str | None,
        roles: list[str],
        dossier_id: uuid.UUID | None,
        mobile_display: bool,
        now: datetime,
    ) -> uuid.UUID:
        return await self.conn.fetchval(
            """
            INSERT INTO users (username, email, last_name, first_name, password_hash, status, roles,
                               dossier_id, mobile_display, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, 'pending_activation', $6, $7, $8, $9, $9)
            RETURNING id
            """,
            username,
            email,
            last_name,
            first_name,
            password_hash,
            roles,
            dossier_id,
            mobile_display,
            now,
        )

    async def activate(self, user_id: uuid.UUID, now: datetime, *, password_hash: str | None = None) -> None:
        await self.conn.execute(
            """
            UPDATE users SET status = 'active', activated_at = $2, updated_at = $2,
                             password_hash = coalesce($3, password_hash),
                             password_changed_at = CASE WHEN $3::text IS NULL THEN password_changed_at ELSE $2 END
            WHERE id = $1
            """,
            user_id,
            now,
            password_hash,
        )

    async def disable(self, user_id: uuid.UUID, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE users SET status = 'disabled', disabled_at = $2, updated_at = $2 WHERE id = $1", user_id, now
        )

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str, now: datetime, *, changed: bool) -> None:
        """``changed`` False for a mere rehash with new parameters (same password)."""
        await self.conn.execute(
            """
            UPDATE users SET password_hash = $2, updated_at = $3,
                             password_changed_at = CASE WHEN $4 THEN $3 ELSE password_changed_at END
            WHERE id = $1
            """,
            user_id,
            password_hash,
            now,
            changed,
        )

    async def set_email(self, user_id: uuid.UUID, email: str, now: datetime) -> None:
        await self.conn.execute("UPDATE users SET email = $2, updated_at = $3 WHERE id = $1", user_id, email, now)

    async def set_dossier(self, user_id: uuid.UUID, dossier_id: uuid.UUID | None, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE users SET dossier_id = $2, updated_at = $3 WHERE id = $1", user_id, dossier_id, now
        )

    async def set_roles(self, user_id: uuid.UUID, roles: list[str], now: datetime) -> None:
        await self.conn.execute("UPDATE users SET roles = $2, updated_at = $3 WHERE id = $1", user_id, roles, now)

    async def active_holder_of_dossier(self, dossier_id: uuid.UUID) -> uuid.UUID | None:
        return await self.conn.fetchval(
            "SELECT id FROM users WHERE dossier_id = $1 AND status = 'active' LIMIT 1", dossier_id
        )

    async def delete_expired_pending(
        self, *, created_before: datetime, now: datetime, limit: int = 500
    ) -> list[uuid.UUID]:
        """Pending accounts older than the activation window and holding no valid link.

        A link re-sent by staff keeps the account alive until that link expires. Rows are
        taken with SKIP LOCKED so two replicas purging at once never both report a user.
        """
        rows = await self.conn.fetch(
            """
            DELETE FROM users WHERE id IN (
                SELECT u.id FROM users u
                WHERE u.status = 'pending_activation' AND u.created_at < $1
                  AND NOT EXISTS (
                      SELECT 1 FROM user_tokens t
                      WHERE t.user_id = u.id AND t.purpose = 'activation' AND t.used_at IS NULL AND t.expires_at > $2
                  )
                ORDER BY u.created_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id
            """,
            created_before,
            now,
            limit,
        )
        return [r["id"] for r in rows]
