"""« Mes documents »: every document a family can download, whatever its kind, behind one
listing and one download route (``GET /api/billing/documents``, ``…/documents/{id}/pdf``).

Each kind registers a :class:`DocumentKind` (``register(...)`` at import of its module): how to
list a family's documents of that kind and how to fetch one's PDF **only if it is that
family's** (``None`` otherwise, so another family's id answers 404 like an unknown one). Ids are
UUIDs, unique across kinds. Invoices and credit notes register in ``invoice_queries``; the QF
card and tax attestations register in their own modules.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from ..domain.errors import NotFound
from ..store import UnitOfWork
from .deps import Billing


@dataclass(frozen=True)
class Document:
    id: uuid.UUID
    kind: str
    title: str  # French, as the page shows it: « Facture n° 2026-000042 — décembre 2026 »
    date: date
    number: str | None = None
    amount_cents: int = 0  # 0 when the document states no amount (a QF card)

    def as_payload(self) -> dict:
        return {
            "id": str(self.id),
            "kind": self.kind,
            "title": self.title,
            "date": self.date.isoformat(),
            "number": self.number,
            "amount_cents": self.amount_cents,
            "pdf_url": f"/api/billing/documents/{self.id}/pdf",
        }


@dataclass(frozen=True)
class DocumentKind:
    name: str
    list: Callable[[Billing, UnitOfWork, uuid.UUID], Awaitable[list[Document]]]
    # The PDF's bytes and file name, or None when the id is not this family's document of this kind.
    pdf: Callable[[Billing, UnitOfWork, uuid.UUID, uuid.UUID], Awaitable[tuple[bytes, str] | None]]


KINDS: dict[str, DocumentKind] = {}


def register(kind: DocumentKind) -> None:
    KINDS[kind.name] = kind


class DocumentNotFound(NotFound):
    code = "document_not_found"
    message = "Ce document est introuvable."


async def listing(ctx: Billing, dossier_id: uuid.UUID) -> list[dict]:
    found: list[Document] = []
    async with ctx.uow() as uow:
        for kind in KINDS.values():
            found += await kind.list(ctx, uow, dossier_id)
    found.sort(key=lambda d: (d.date, d.number or ""), reverse=True)
    return [d.as_payload() for d in found]


async def pdf(ctx: Billing, dossier_id: uuid.UUID, document_id: uuid.UUID) -> tuple[bytes, str]:
    async with ctx.uow() as uow:
        for kind in KINDS.values():
            got = await kind.pdf(ctx, uow, dossier_id, document_id)
            if got is not None:
                return got
    raise DocumentNotFound()
