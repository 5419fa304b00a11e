"""Idempotency-Key records: the first request's answer, replayed for a repeat.

Messaging's own copy, to be replaced by servicekit's shared Idempotency-Key storage
(issue 7): keep it here and in service/idempotency.py, nowhere else.
"""

from __future__ import annotations

import uuid

import asyncpg


class IdempotencyKeys:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def claim(self, user_id: uuid.UUID, key: str, request_hash: str) -> asyncpg.Record | None:
        """None when the key is new (now taken); else the first request's stored answer.

        A concurrent request with the same key waits on the unique index until the first
        one commits, then reads its answer.
        """
        claimed = await self.conn.fetchval(
            """
            INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
            ON CONFLICT (user_id, key) DO NOTHING RETURNING true
            """,
            user_id,
            key,
            request_hash,
        )
        if claimed:
            return None
        return await self.conn.fetchrow(
            "SELECT request_hash, status, response FROM idempotency_keys WHERE user_id = $1 AND key = $2",
            user_id,
            key,
        )

    async def save_response(self, user_id: uuid.UUID, key: str, status: int, response: dict) -> None:
        await self.conn.execute(
            "UPDATE idempotency_keys SET status = $3, response = $4 WHERE user_id = $1 AND key = $2",
            user_id,
            key,
            status,
            response,
        )
