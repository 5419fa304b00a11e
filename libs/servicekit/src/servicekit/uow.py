"""The unit of work every service's use cases run in: one transaction, owned or joined.

``async with UnitOfWork(pool) as uow`` takes a connection, starts a transaction and rolls
it back on the way out unless ``await uow.commit()`` was called. ``UnitOfWork.joined(conn)``
runs inside a transaction someone else owns (the idempotent consumer's, which holds the
inbox row): its ``commit()`` only records the intent and the owner commits or rolls back
everything together. A service subclasses it, sets ``source`` and opens its repositories
on the connection in ``attach``::

    class UnitOfWork(servicekit.uow.UnitOfWork):
        source = "planning"

        def attach(self, conn):
            self.bookings = Bookings(conn)

``publish(event)`` writes the event's outbox row, and ``remember(key, answer)`` the
Idempotency-Key's stored answer, in that same transaction: the change, its events and
its replayable answer are committed together or not at all.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import asyncpg
from pydantic import BaseModel

from .events import IntegrationEvent, add_to_outbox, make_envelope
from .idempotency import IdempotencyKey, IdempotencyRace, IdempotencyRecords


class UnitOfWork:
    source: ClassVar[str] = ""

    def __init__(self, pool: asyncpg.Pool | None = None, *, conn: asyncpg.Connection | None = None):
        if (pool is None) == (conn is None):
            raise ValueError("a unit of work takes a pool or a joined connection, not both")
        self._pool = pool
        self._joined = conn
        self._tx: asyncpg.transaction.Transaction | None = None
        self._committed = False
        self.conn: asyncpg.Connection

    @classmethod
    def joined(cls, conn: asyncpg.Connection) -> Self:
        if not conn.is_in_transaction():
            raise RuntimeError("a joined unit of work needs its owner's transaction")
        return cls(conn=conn)

    def attach(self, conn: asyncpg.Connection) -> None:
        """Open the service's repositories on ``conn`` (a subclass's hook)."""

    async def __aenter__(self) -> Self:
        if self._joined is not None:
            self.conn = self._joined
        else:
            self.conn = await self._pool.acquire()
            try:
                self._tx = self.conn.transaction()
                await self._tx.start()
            except BaseException:
                await self._pool.release(self.conn)
                raise
        self.idempotency = IdempotencyRecords(self.conn)
        self.attach(self.conn)
        return self

    async def commit(self) -> None:
        if self._tx is not None:
            await self._tx.commit()
        self._committed = True

    @property
    def committed(self) -> bool:
        return self._committed

    async def __aexit__(self, *exc) -> None:
        if self._tx is None:
            return
        try:
            if not self._committed:
                await self._tx.rollback()
        finally:
            await self._pool.release(self.conn)

    async def publish(self, event: IntegrationEvent | str, data: BaseModel | dict[str, Any] | None = None) -> None:
        """Write ``event`` to the outbox in this transaction (published after commit)."""
        if not self.source:
            raise RuntimeError(f"{type(self).__name__}.source names the producing service")
        secrets: tuple[str, ...] = ()
        if isinstance(event, IntegrationEvent):
            envelope = make_envelope(event, source=self.source)
            secrets = event.secret_fields()
        else:
            # transitional: removed when accounts/messaging adopt typed events (issue 7 phase B)
            envelope = make_envelope(event, data, source=self.source)
        await add_to_outbox(self.conn, envelope, secret_fields=secrets)

    async def remember(self, key: IdempotencyKey | None, answer: BaseModel | dict[str, Any]) -> None:
        """Store the answer to replay for ``key`` (nothing without a key), in this transaction.

        Raises ``IdempotencyRace`` when a request with the same key committed first: the
        caller lets it propagate, this transaction (and its effect) rolls back, and
        ``idempotent()`` replays the first answer.
        """
        if key is None:
            return
        body = answer.model_dump(mode="json") if isinstance(answer, BaseModel) else answer
        if not await self.idempotency.save(key, body):
            raise IdempotencyRace()
        key.remembered = True
