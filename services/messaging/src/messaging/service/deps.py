"""What every use case works with, built once by the composition root (app.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from servicekit.pagination import CursorCodec
from servicekit.requests import Upload

from ..mail.compose import MailComposer
from ..store import UnitOfWork

__all__ = ["Event", "Messaging", "Upload"]


@dataclass(frozen=True)
class Messaging:
    """What the use cases need besides a transaction."""

    pool: asyncpg.Pool
    mail: MailComposer
    attachment_max_bytes: int
    # Signs and checks the cursors of every list (servicekit.pagination).
    cursors: CursorCodec
    # Request/reply to other services (servicekit.rpc.RpcClient): billing's invoice PDF.
    rpc: Any = None

    def uow(self) -> UnitOfWork:
        """A unit of work of its own (a use case called by an event joins the consumer's)."""
        return UnitOfWork(self.pool)

    def read(self):
        """A connection for read-only views (``async with ctx.read() as conn``)."""
        return self.pool.acquire()


@dataclass(frozen=True)
class Event:
    """What a use case needs to know of the event that asked for it."""

    id: UUID
    occurred_at: datetime
