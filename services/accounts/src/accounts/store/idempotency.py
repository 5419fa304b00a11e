"""Answers already given to a creation request, replayed for the same Idempotency-Key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg


@dataclass(frozen=True)
class IdempotencyRecord:
    """What the HTTP layer knows about a request that carries an Idempotency-Key."""

    scope: str
    key: str
    request_hash: str
    status: int


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status: int
    body: Any


class IdempotencyKeys:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def find(self, scope: str, key: str) -> StoredResponse | None:
        row = await self.conn.fetchrow(
            "SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2",
            scope,
            key,
        )
        return StoredResponse(row["request_hash"], row["response_status"], row["response_body"]) if row else None

    async def save(self, record: IdempotencyRecord, body: Any, at: datetime) -> bool:
        """False when another request with the same key committed first."""
        inserted = await self.conn.fetchval(
            """
            INSERT INTO idempotency_keys (scope, key, request_hash, response_status, response_body, created_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (scope, key) DO NOTHING
            RETURNING 1
            """,
            record.scope,
            record.key,
            record.request_hash,
            record.status,
            body,
            at,
        )
        return inserted is not None

    async def delete_older_than(self, before: datetime) -> int:
        result = await self.conn.execute("DELETE FROM idempotency_keys WHERE created_at < $1", before)
        return int(result.split()[-1])
