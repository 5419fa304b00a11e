"""Failed guesses (dossier references, passwords), counted in SQL over a sliding window."""

from __future__ import annotations

from datetime import datetime

import asyncpg

DOSSIER_CLIENT = "dossier_client"
DOSSIER_NUMBER = "dossier_number"
DOSSIER_PAIR = "dossier_pair"
LOGIN_USER = "login_user"
LOGIN_CLIENT = "login_client"
LOGIN_PAIR = "login_pair"
RESET_EMAIL = "reset_email"
RESET_CLIENT = "reset_client"
REGISTER_CLIENT = "register_client"
RESEND_EMAIL = "resend_email"
RESEND_CLIENT = "resend_client"
RESEND_ACCOUNT = "resend_account"


class Attempts:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def lock(self, key: str) -> None:
        """Serialise check-then-count for ``key`` until the transaction ends, so that a
        burst of parallel guesses cannot all read the count before any of them adds to it."""
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "throttle:" + key)

    async def record(self, kind: str, key: str, at: datetime) -> int:
        return await self.conn.fetchval(
            "INSERT INTO attempts (kind, key, at) VALUES ($1, $2, $3) RETURNING id", kind, key, at
        )

    async def forget(self, ids: list[int]) -> None:
        """Take back attempts counted in advance (the guess proved right)."""
        await self.conn.execute("DELETE FROM attempts WHERE id = ANY($1::bigint[])", ids)

    async def count_and_last(self, kind: str, key: str, since: datetime) -> tuple[int, datetime | None]:
        row = await self.conn.fetchrow(
            "SELECT count(*) AS n, max(at) AS last FROM attempts WHERE kind = $1 AND key = $2 AND at > $3",
            kind,
            key,
            since,
        )
        return row["n"], row["last"]

    async def nth_most_recent(self, kind: str, key: str, since: datetime, n: int) -> datetime | None:
        """The time of the n-th most recent attempt in the window, None if there are fewer."""
        return await self.conn.fetchval(
            """
            SELECT at FROM attempts WHERE kind = $1 AND key = $2 AND at > $3
            ORDER BY at DESC OFFSET $4 LIMIT 1
            """,
            kind,
            key,
            since,
            n - 1,
        )

    async def clear(self, kind: str, key: str) -> None:
        await self.conn.execute("DELETE FROM attempts WHERE kind = $1 AND key = $2", kind, key)

    async def clear_pairs(self, kind: str, subject: str) -> None:
        """Every (subject, client) pair of ``kind`` (keys made by ``throttle.pair_key``)."""
        prefix = subject + "\n"
        await self.conn.execute("DELETE FROM attempts WHERE kind = $1 AND left(key, length($2)) = $2", kind, prefix)

    async def delete_older_than(self, before: datetime) -> int:
        result = await self.conn.execute("DELETE FROM attempts WHERE at < $1", before)
        return int(result.split()[-1])
