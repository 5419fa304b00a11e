"""SQL behind a unit of work: one transaction per use case, rolled back unless committed.

Use cases reach tables through the small repositories the unit of work opens on its
connection; ``publish(event)`` writes an event's outbox row and ``remember(key, answer)``
an Idempotency-Key's answer in that same transaction (servicekit's UnitOfWork).
Read-only views for the API live in ``views``.
"""

from __future__ import annotations

import asyncpg
import servicekit.uow

from .attempts import Attempts
from .audit import AuditLog
from .dossiers import Dossiers
from .drafts import Drafts
from .reference import Reference
from .sessions import Sessions
from .tokens import Tokens
from .users import Users

__all__ = ["UnitOfWork"]


class UnitOfWork(servicekit.uow.UnitOfWork):
    source = "accounts"

    def attach(self, conn: asyncpg.Connection) -> None:
        self.users = Users(conn)
        self.dossiers = Dossiers(conn)
        self.drafts = Drafts(conn)
        self.tokens = Tokens(conn)
        self.sessions = Sessions(conn)
        self.attempts = Attempts(conn)
        self.audit = AuditLog(conn)
        self.reference = Reference(conn)
