"""What every use case works with, built once by the composition root (app.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from ..pdf import PdfPrinter
from ..providers import PaymentProvider
from ..store import UnitOfWork
from .qf_config import QfConfig


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Billing:
    """What the use cases need besides a transaction."""

    pool: asyncpg.Pool
    provider: PaymentProvider
    # Prefix of the URLs handed to the provider ("" → relative, what the simulated Treasury wants).
    public_url: str = ""
    # A payment still open this long after its creation is asked for at the provider.
    resolve_after: timedelta = timedelta(minutes=5)
    clock: Callable[[], datetime] = utc_now
    # Printed on invoices (BILLING_TOWN_NAME / BILLING_TOWN_ADDRESS, lines separated by « | »).
    town_name: str = "Mairie de Puiseux-en-France"
    town_address: tuple[str, ...] = ("Place de la Mairie", "95380 Puiseux-en-France")
    invoice_due_days: int = 30
    # Families invoiced per transaction by the monthly run (BILLING_INVOICING_BATCH_SIZE).
    invoicing_batch_size: int = 500
    # Batches in flight at once (BILLING_INVOICING_IN_FLIGHT): one reads and prices while the
    # other writes; the numbering counter's lock orders their writes.
    invoicing_in_flight: int = 2
    qf: QfConfig = QfConfig()
    # Prints the PDFs out of the event loop (BILLING_PDF_WORKERS: the app's one, shared).
    printer: PdfPrinter = field(default_factory=PdfPrinter)

    def uow(self) -> UnitOfWork:
        """A unit of work of its own (a use case called by an event joins the consumer's)."""
        return UnitOfWork(self.pool)

    def read(self):
        """A connection for read-only views (``async with ctx.read() as conn``)."""
        return self.pool.acquire()

    def now(self) -> datetime:
        return self.clock()


@dataclass(frozen=True)
class Event:
    """What a use case needs to know of the event that asked for it."""

    id: UUID
    occurred_at: datetime
