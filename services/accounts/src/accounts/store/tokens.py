"""Single-use link tokens (activation, password reset, e-mail change), stored hashed."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg

from ..domain import tokens as rules

ACTIVATION = "activation"
PASSWORD_RESET = "password_reset"
EMAIL_CHANGE = "email_change"


class Tokens:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def issue(
        self, user_id: uuid.UUID, purpose: str, now: datetime, ttl: timedelta, *, new_email: str | None = None
    ) -> tuple[str, datetime]:
        """A new link token: only its hash is stored; the value goes into the e-mail event."""
        token = rules.new_token()
        expires_at = now + ttl
        await self.add(
            user_id=user_id,
            purpose=purpose,
            token_hash=rules.token_hash(token),
            created_at=now,
            expires_at=expires_at,
            new_email=new_email,
        )
        return token, expires_at

    async def add(
        self,
        *,
        user_id: uuid.UUID,
        purpose: str,
        token_hash: str,
        created_at: datetime,
        expires_at: datetime,
        new_email: str | None = None,
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO user_tokens (token_hash, user_id, purpose, new_email, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            token_hash,
            user_id,
            purpose,
            new_email,
            created_at,
            expires_at,
        )

    async def take(self, token_hash: str, purpose: str) -> asyncpg.Record | None:
        """The token's row, locked until the end of the transaction (single use under races)."""
        return await self.conn.fetchrow(
            """
            SELECT token_hash, user_id, purpose, new_email, created_at, expires_at, used_at
            FROM user_tokens WHERE token_hash = $1 AND purpose = $2
            FOR UPDATE
            """,
            token_hash,
            purpose,
        )

    async def mark_used(self, token_hash: str, at: datetime) -> None:
        await self.conn.execute("UPDATE user_tokens SET used_at = $2 WHERE token_hash = $1", token_hash, at)

    async def use_up_all(self, user_id: uuid.UUID, purpose: str, at: datetime) -> None:
        """Once one link did its job, the user's other links of that kind stop working."""
        await self.conn.execute(
            "UPDATE user_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
            user_id,
            purpose,
            at,
        )

    async def delete_unused(self, user_id: uuid.UUID, purpose: str) -> None:
        await self.conn.execute(
            "DELETE FROM user_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL", user_id, purpose
        )

    async def delete_stale(self, before: datetime) -> int:
        """Links expired or used more than a while ago: nothing left to answer about them."""
        result = await self.conn.execute(
            "DELETE FROM user_tokens WHERE purpose <> 'activation' AND expires_at < $1", before
        )
        return int(result.split()[-1])
