"""PostgreSQL behind a unit of work: every write of a use case in one transaction.

Messaging's ``UnitOfWork`` is servicekit's (``servicekit.uow``): ``UnitOfWork(pool)`` owns
its transaction, ``UnitOfWork.joined(conn)`` runs in the idempotent consumer's;
``publish(event)`` writes the outbox row and ``remember(key, answer)`` the Idempotency-Key
answer in that same transaction. Use cases reach tables through the repositories opened
here; e-mail rows are written through the same connection, hence with the change.
Read-only queries and their row → schema mapping live in ``views``.
"""

from __future__ import annotations

import asyncpg
from servicekit import uow

from ..events import SOURCE
from .contacts import Contacts, Dossiers
from .emails import Bounces, Emails
from .families import Activities, Children, Payments
from .themes import ReplyTemplates, Themes
from .threads import Attachments, Messages, Threads

Record = asyncpg.Record

__all__ = ["Record", "UnitOfWork"]


class UnitOfWork(uow.UnitOfWork):
    source = SOURCE

    def attach(self, conn: asyncpg.Connection) -> None:
        self.themes = Themes(conn)
        self.templates = ReplyTemplates(conn)
        self.contacts = Contacts(conn)
        self.dossiers = Dossiers(conn)
        self.threads = Threads(conn)
        self.messages = Messages(conn)
        self.attachments = Attachments(conn)
        self.emails = Emails(conn)
        self.bounces = Bounces(conn)
        self.children = Children(conn)
        self.activities = Activities(conn)
        self.payments = Payments(conn)
