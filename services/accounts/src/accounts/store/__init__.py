"""SQL behind a unit of work: one transaction per use case, rolled back unless committed.

Use cases reach tables through the small repositories the unit of work opens on its
connection, and write their events with ``publish`` (the outbox row lands in the same
transaction as the change). Read-only views for the API live in ``views``.
"""

from __future__ import annotations

from typing import Self

import asyncpg
from pydantic import BaseModel
from servicekit.events import add_to_outbox, make_envelope

from .attempts import Attempts
from .audit import AuditLog
from .dossiers import Dossiers
from .idempotency import IdempotencyKeys, IdempotencyRecord, StoredResponse
from .sessions import Sessions
from .tokens import Tokens
from .users import Users

SOURCE = "accounts"

__all__ = ["IdempotencyRecord", "StoredResponse", "UnitOfWork"]


class UnitOfWork:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool
        self._acquire = None
        self._tx = None
        self._committed = False
        self.conn: asyncpg.Connection

    async def __aenter__(self) -> Self:
        self._acquire = self._pool.acquire()
        self.conn = await self._acquire.__aenter__()
        try:
            self._tx = self.conn.transaction()
            await self._tx.start()
        except BaseException:
            await self._acquire.__aexit__(None, None, None)
            raise
        self.users = Users(self.conn)
        self.dossiers = Dossiers(self.conn)
        self.tokens = Tokens(self.conn)
        self.sessions = Sessions(self.conn)
        self.attempts = Attempts(self.conn)
        self.audit = AuditLog(self.conn)
        self.idempotency = IdempotencyKeys(self.conn)
        return self

    async def commit(self) -> None:
        await self._tx.commit()
        self._committed = True

    async def __aexit__(self, exc_type, exc, tb) -> None:
        try:
            if not self._committed:
                await self._tx.rollback()
        finally:
            await self._acquire.__aexit__(exc_type, exc, tb)

    async def publish(self, event_type: str, data: BaseModel) -> None:
        await add_to_outbox(self.conn, make_envelope(event_type, data, source=SOURCE))
