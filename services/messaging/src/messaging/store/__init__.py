"""PostgreSQL behind a unit of work: every write of a use case in one transaction.

``UnitOfWork(pool)`` opens its own transaction and rolls it back unless ``commit()`` was
called. ``UnitOfWork.joined(conn)`` runs inside a transaction someone else owns (the
idempotent consumer's, which holds the inbox row): its ``commit()`` is a no-op and the
owner commits or rolls back everything together. Use cases reach tables through the
repositories the unit of work opens on its connection; outbox rows (events) and e-mail
rows are written through that same connection, hence in the same transaction as the
change. Read-only queries and their row → schema mapping live in ``views``.
"""

from __future__ import annotations

from typing import Self

import asyncpg
from servicekit.events import Envelope, add_to_outbox

from .contacts import Contacts, Dossiers
from .emails import Bounces, Emails
from .idempotency import IdempotencyKeys
from .themes import ReplyTemplates, Themes
from .threads import Attachments, Messages, Threads

Record = asyncpg.Record

__all__ = ["Record", "UnitOfWork"]


class UnitOfWork:
    def __init__(self, pool: asyncpg.Pool | None = None, *, conn: asyncpg.Connection | None = None):
        if (pool is None) == (conn is None):
            raise ValueError("a pool or a connection")
        self._pool = pool
        self._joined = conn
        self._tx = None
        self._committed = False
        self.conn: asyncpg.Connection

    @classmethod
    def joined(cls, conn: asyncpg.Connection) -> UnitOfWork:
        if not conn.is_in_transaction():
            raise RuntimeError("a joined unit of work needs its owner's transaction")
        return cls(conn=conn)

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
        self.themes = Themes(self.conn)
        self.templates = ReplyTemplates(self.conn)
        self.contacts = Contacts(self.conn)
        self.dossiers = Dossiers(self.conn)
        self.threads = Threads(self.conn)
        self.messages = Messages(self.conn)
        self.attachments = Attachments(self.conn)
        self.emails = Emails(self.conn)
        self.bounces = Bounces(self.conn)
        self.idempotency = IdempotencyKeys(self.conn)
        return self

    async def publish(self, envelope: Envelope) -> None:
        await add_to_outbox(self.conn, envelope)

    async def commit(self) -> None:
        if self._tx is not None:
            await self._tx.commit()
        self._committed = True

    async def __aexit__(self, *exc) -> None:
        if self._tx is None:
            return
        try:
            if not self._committed:
                await self._tx.rollback()
        finally:
            await self._pool.release(self.conn)
