"""The idempotent consumer: one effect per event, whatever the broker redelivers.

For each message: validate the envelope (a malformed one is rejected to the dead-letter
queue at once), then in ONE database transaction record the event id in the inbox and run
the handler; ack only after commit. A handler failure is nacked with requeue: the quorum
queue counts deliveries and dead-letters the message once the limit is reached, so a
poison message never blocks the others and is never silently dropped.

A failure of the database itself (connection lost, server restarting, too many
connections, a serialization conflict) says nothing about the message: it is retried here,
with back-off, holding the message unacked, until the database answers or the process
stops — so a database restart never spends a message's deliveries and sends it to the
dead-letter queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import asyncpg
import structlog
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from .events import Envelope

log = structlog.get_logger(__name__)

Handler = Callable[[asyncpg.Connection, Envelope], Awaitable[None]]

TRANSIENT_DATABASE_ERRORS = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections
    asyncpg.exceptions.TransactionRollbackError,  # serialization failure, deadlock
)
MAX_RETRY_DELAY_SECONDS = 30.0


class IdempotentConsumer:
    def __init__(self, pool: asyncpg.Pool, handlers: Mapping[str, Handler]):
        self.pool = pool
        self.handlers = dict(handlers)

    @property
    def routing_keys(self) -> list[str]:
        return sorted(self.handlers)

    async def __call__(self, message: AbstractIncomingMessage) -> None:
        structlog.contextvars.clear_contextvars()
        try:
            envelope = Envelope.model_validate_json(message.body)
        except ValidationError:
            log.error("event_rejected_malformed", message_id=message.message_id)
            await message.reject(requeue=False)
            return
        structlog.contextvars.bind_contextvars(
            correlation_id=envelope.correlation_id, event_id=str(envelope.id), event_type=envelope.type
        )
        handler = self.handlers.get(envelope.type)
        if handler is None:
            log.warning("event_without_handler")
            await message.ack()
            return
        attempt = 0
        while True:
            try:
                handled = await self.handle(envelope, handler)
                break
            except TRANSIENT_DATABASE_ERRORS as exc:
                attempt += 1
                delay = min(0.1 * 2**attempt, MAX_RETRY_DELAY_SECONDS)
                log.warning("event_handler_database_unavailable", error=type(exc).__name__, retry_in_s=delay)
                await asyncio.sleep(delay)
            except Exception:
                log.exception("event_handler_failed", delivery=message.headers.get("x-delivery-count"))
                await message.nack(requeue=True)
                return
        await message.ack()
        log.info("event_handled" if handled else "event_duplicate_ignored")

    async def handle(self, envelope: Envelope, handler: Handler) -> bool:
        """Run the handler once per event id; return False for an already handled event."""
        async with self.pool.acquire() as conn, conn.transaction():
            first = await conn.fetchval(
                "INSERT INTO inbox (event_id, event_type) VALUES ($1, $2) "
                "ON CONFLICT (event_id) DO NOTHING RETURNING true",
                envelope.id,
                envelope.type,
            )
            if not first:
                return False
            await handler(conn, envelope)
            return True
