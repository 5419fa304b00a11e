"""Periodic housekeeping: what expires is deleted, so tables do not grow for ever."""

from __future__ import annotations

import asyncio

import asyncpg
import structlog
from servicekit.idempotency import IdempotencyRecords

log = structlog.get_logger(__name__)


async def purge_once(pool: asyncpg.Pool) -> int:
    """Delete the Idempotency-Key answers past their expiry (a retry after 24 h is a new request)."""
    async with pool.acquire() as conn:
        purged = await IdempotencyRecords(conn).purge_expired()
    if purged:
        log.info("idempotency_answers_purged", count=purged)
    return purged


async def purge_expired_answers(pool: asyncpg.Pool, interval: float) -> None:
    """``purge_once`` every ``interval`` seconds, until cancelled."""
    while True:
        await asyncio.sleep(interval)
        try:
            await purge_once(pool)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a database hiccup must not end the housekeeping for good
            log.warning("purge_failed", error=type(exc).__name__)
