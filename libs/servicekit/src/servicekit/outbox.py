"""The outbox relay: publishes committed events, marks them sent, retries what failed.

Woken by ``LISTEN outbox`` (the writer's ``NOTIFY`` arrives at commit), polling as a
fallback. Rows are taken with ``FOR UPDATE SKIP LOCKED`` so several replicas share the work
without publishing the same row at the same time. A row is marked sent in the same
transaction that locked it, after the broker confirmed it: if the process dies in between,
the lock goes with the connection and the event is published again later. Consumers are
idempotent, so that duplicate has no second effect.

No secret at rest: the statement that marks a row published also wipes its envelope's
secret fields (``IntegrationEvent.secret_fields``, e.g. a reset link's token), so a
database or backup reader never finds a live link. ``purge_retained`` deletes published
rows and old inbox rows after their retention period (every service runs it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from .worker import NotifiedLoop

log = structlog.get_logger(__name__)

Publish = Callable[[dict], Awaitable[None]]

MAX_BACKOFF_SECONDS = 300
WIPED = "[wiped]"

# Each secret field present in ``data`` is replaced by "[wiped]" (the shape stays valid
# JSON of the same keys; the value no longer opens anything).
_WIPE_SECRETS = f"""
  envelope = CASE WHEN cardinality(secret_fields) = 0 THEN envelope
    ELSE jsonb_set(envelope, '{{data}}', (envelope -> 'data') || coalesce(
      (SELECT jsonb_object_agg(f, to_jsonb('{WIPED}'::text))
       FROM unnest(secret_fields) AS f WHERE (envelope -> 'data') ? f),
      '{{}}'::jsonb))
  END
"""
PURGE_BATCH = 5000


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        publish: Publish,
        *,
        dsn: str,
        poll_seconds: float = 2.0,
        batch_size: int = 100,
    ):
        self.pool = pool
        self.publish = publish
        self.dsn = dsn
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size

    async def drain_once(self) -> int:
        """Publish one batch of due events; return how many were published."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """
                SELECT id, event_type, envelope FROM outbox
                WHERE published_at IS NULL AND next_attempt_at <= now()
                ORDER BY id
                LIMIT $1
                FOR UPDATE SKIP LOCKED
                """,
                self.batch_size,
            )
            # All of the batch goes out before waiting: the broker confirms them while the
            # next ones are sent, instead of one round trip per event.
            results = await asyncio.gather(*(self.publish(row["envelope"]) for row in rows), return_exceptions=True)
            published: list[int] = []
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException) and not isinstance(result, Exception):
                    raise result  # cancellation or the process dying: nothing gets marked
                if isinstance(result, Exception):  # the broker is down or refused: retry later
                    await conn.execute(
                        """
                        UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                          next_attempt_at = now() + make_interval(secs => least($3::float8, 2 ^ attempts))
                        WHERE id = $1
                        """,
                        row["id"],
                        f"{type(result).__name__}: {result}"[:500],
                        MAX_BACKOFF_SECONDS,
                    )
                    log.warning(
                        "outbox_publish_failed",
                        outbox_id=row["id"],
                        event_type=row["event_type"],
                        error=type(result).__name__,
                    )
                    continue
                published.append(row["id"])
            if published:
                await conn.execute(
                    f"""
                    UPDATE outbox SET published_at = now(), last_error = NULL, {_WIPE_SECRETS}
                    WHERE id = ANY($1::bigint[])
                    """,
                    published,
                )
            return len(published)

    async def drain(self) -> int:
        total = 0
        while True:
            n = await self.drain_once()
            total += n
            if n < self.batch_size:
                return total

    async def run(self) -> None:
        """Run until cancelled; survives database and broker outages."""
        await NotifiedLoop(
            self.dsn, "outbox", self._drain_logged, poll_seconds=self.poll_seconds, name="outbox_relay"
        ).run()

    async def _drain_logged(self) -> None:
        published = await self.drain()
        if published:
            log.debug("outbox_published", count=published)


async def purge_retained(pool: asyncpg.Pool, *, outbox_before: datetime, inbox_before: datetime) -> tuple[int, int]:
    """Delete outbox rows published before ``outbox_before`` and inbox rows handled before
    ``inbox_before``, in small batches (no long lock); return how many of each went.

    The inbox must outlive any redelivery of an event (the broker's retries, a replayed
    dead-letter queue): its retention is counted in days, the outbox's in hours."""
    deleted = [0, 0]
    statements = (
        (
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at < $1 LIMIT $2)",
            outbox_before,
        ),
        (
            "DELETE FROM inbox WHERE event_id IN (SELECT event_id FROM inbox WHERE handled_at < $1 LIMIT $2)",
            inbox_before,
        ),
    )
    for i, (sql, before) in enumerate(statements):
        while True:
            n = int((await pool.execute(sql, before, PURGE_BATCH)).split()[-1])
            deleted[i] += n
            if n < PURGE_BATCH:
                break
    return deleted[0], deleted[1]


async def retention_loop(
    pool: asyncpg.Pool, *, outbox_retention: timedelta, inbox_retention: timedelta, interval_seconds: float
) -> None:
    """Run ``purge_retained`` now and then every ``interval_seconds`` until cancelled."""
    while True:
        try:
            now = datetime.now(UTC)
            outbox, inbox = await purge_retained(
                pool, outbox_before=now - outbox_retention, inbox_before=now - inbox_retention
            )
            if outbox or inbox:
                log.info("retention_purged", outbox=outbox, inbox=inbox)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("retention_purge_failed", error=type(exc).__name__)
        await asyncio.sleep(interval_seconds)
