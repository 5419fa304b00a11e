"""PostgreSQL behind a unit of work: every write of a use case in one transaction.

``UnitOfWork(pool)`` owns its transaction; ``UnitOfWork.joined(conn)`` runs inside the
idempotent consumer's (servicekit.uow). Use cases reach tables through the repositories
opened in ``attach``; ``uow.publish(event)`` writes the outbox row in the same transaction
as the change. Read-only queries for pages and exports live in ``views``.
"""

from __future__ import annotations

import asyncpg
import servicekit.uow

from .attestations import AttestationRequests
from .families import Activities, Families
from .invoices import Charges, Children, Counters, Invoices, Runs
from .ledger import Attendance, BookedDays, Credits, Ledger
from .payments import Payments
from .prices import Qfs, Tariffs
from .qf_proofs import QfCampaigns, QfProofs

__all__ = ["UnitOfWork"]


class UnitOfWork(servicekit.uow.UnitOfWork):
    source = "billing"

    def attach(self, conn: asyncpg.Connection) -> None:
        self.families = Families(conn)
        self.activities = Activities(conn)
        self.tariffs = Tariffs(conn)
        self.qfs = Qfs(conn)
        self.payments = Payments(conn)
        self.ledger = Ledger(conn)
        self.credits = Credits(conn)
        self.booked_days = BookedDays(conn)
        self.attendance = Attendance(conn)
        self.children = Children(conn)
        self.charges = Charges(conn)
        self.counters = Counters(conn)
        self.invoices = Invoices(conn)
        self.runs = Runs(conn)
        self.qf_proofs = QfProofs(conn)
        self.qf_campaigns = QfCampaigns(conn)
        self.attestations = AttestationRequests(conn)
