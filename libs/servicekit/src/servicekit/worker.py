"""A background loop woken by PostgreSQL ``NOTIFY``, polling as a fallback.

The outbox relay and messaging's mail sender share its shape: a writer commits rows and
``NOTIFY``s a channel (delivered only at commit), and a worker takes the due rows with
``FOR UPDATE SKIP LOCKED``. This loop keeps the listening connection, survives database
outages (reconnects at the next round) and bugs in a round (logged by class only — a
message could hold personal data — and retried at the next poll), and stops cleanly:
``stop()`` lets the round in hand finish, cancellation interrupts it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

log = structlog.get_logger(__name__)


class NotifiedLoop:
    def __init__(
        self,
        dsn: str,
        channel: str,
        work: Callable[[], Awaitable[object]],
        *,
        poll_seconds: float,
        name: str,
    ):
        self.dsn = dsn
        self.channel = channel
        self.work = work
        self.poll_seconds = poll_seconds
        self.name = name
        self.wake = asyncio.Event()
        self.stopping = False

    def _on_notify(self, *_args) -> None:
        self.wake.set()

    def stop(self) -> None:
        """Finish the round in hand, then return from ``run``."""
        self.stopping = True
        self.wake.set()

    async def run(self) -> None:
        listener: asyncpg.Connection | None = None
        try:
            while not self.stopping:
                try:
                    if listener is None or listener.is_closed():
                        listener = await asyncpg.connect(self.dsn)
                        await listener.add_listener(self.channel, self._on_notify)
                    self.wake.clear()
                    await self.work()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("worker_database_error", worker=self.name, error=type(exc).__name__)
                    if listener is not None and not listener.is_closed():
                        listener.terminate()
                    listener = None
                except Exception as exc:
                    log.error("worker_round_failed", worker=self.name, error=type(exc).__name__)
                if not self.stopping:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), timeout=self.poll_seconds)
        finally:
            if listener is not None and not listener.is_closed():
                with contextlib.suppress(Exception):
                    await asyncio.shield(listener.close())


@contextlib.asynccontextmanager
async def background(coro, *, name: str, stop: Callable[[], None] | None = None, grace_seconds: float = 0.0):
    """Run ``coro`` as a task for the body of the ``async with`` (a ``cleanup_ctx``'s yield).

    On the way out, ``stop()`` (when given) asks the task to finish what it holds, within
    ``grace_seconds``; then the task is cancelled and awaited, never left dangling.
    """
    task = asyncio.create_task(coro, name=name)
    try:
        yield task
    finally:
        if stop is not None:
            stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), timeout=grace_seconds)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
