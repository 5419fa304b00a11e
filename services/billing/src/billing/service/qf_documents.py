"""The QF campaign's documents in « Mes documents »: the QF card and the tax attestations.

Registered in « Mes documents » (``GET /api/billing/documents``, service/documents.py):
``documents_for(ctx, dossier_id)`` lists this family's documents of these kinds and
``pdf_for(ctx, dossier_id, document_id)`` answers one's PDF, or ``NotFound`` when the id is not
one of **this** family's documents (another family's id is unknown here: 404, never 403).

- ``qf_card``: one per validated QF (id: the QF's id), made on demand from the QF as it is;
- ``tax_attestation``: one per approved request (id: the request's id), made once at
  approval and kept, so every download gives the same bytes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from ..domain.errors import NotFound
from . import documents
from .campaign import today
from .deps import Billing
from .qf_pdf import Family, qf_card_html

UNKNOWN_DOCUMENT = NotFound("Ce document n'existe pas.", code="document_unknown")


@dataclass(frozen=True)
class Document:
    id: uuid.UUID
    kind: str  # qf_card | tax_attestation
    title: str
    date: date
    created_at: datetime | None = None


async def _documents(uow, dossier_id: uuid.UUID) -> list[Document]:
    history = await uow.qfs.history(dossier_id)
    requests = await uow.attestations.listing(dossier_id=dossier_id, state="approved")
    found = [
        Document(qf.id, "qf_card", f"Carte quotient familial (valable jusqu'au {qf.valid_to:%d/%m/%Y})", qf.valid_from)
        for qf in history.validated()
    ]
    found += [
        Document(
            r["id"], "tax_attestation", f"Attestation fiscale {r['year']}", r["approved_at"].date(), r["approved_at"]
        )
        for r in requests
    ]
    return sorted(found, key=lambda d: d.date, reverse=True)


async def documents_for(ctx: Billing, dossier_id: uuid.UUID) -> list[Document]:
    async with ctx.uow() as uow:
        return await _documents(uow, dossier_id)


async def pdf_for(ctx: Billing, dossier_id: uuid.UUID, document_id: uuid.UUID) -> tuple[Document, bytes]:
    async with ctx.uow() as uow:
        attestation = await uow.attestations.get(document_id)
        if attestation is not None:
            if attestation["dossier_id"] != dossier_id or attestation["state"] != "approved":
                raise UNKNOWN_DOCUMENT
            doc = Document(attestation["id"], "tax_attestation", f"Attestation fiscale {attestation['year']}",
                           attestation["approved_at"].date(), attestation["approved_at"])  # fmt: skip
            return doc, bytes(attestation["pdf"])
        history = await uow.qfs.history(dossier_id)  # only this family's QFs: another's id is not found
        family = await uow.families.get(dossier_id)
    qf = next((q for q in history.validated() if q.id == document_id), None)
    if qf is None or family is None:
        raise UNKNOWN_DOCUMENT
    pdf = await ctx.printer(qf_card_html(ctx.qf.town_name, Family(family["dossier_number"], family["family_name"]), qf))
    return Document(qf.id, "qf_card", "Carte quotient familial", qf.valid_from), pdf


async def current_card(ctx: Billing, dossier_id: uuid.UUID) -> tuple[Document, bytes]:
    """The card of the QF that prices today (the QF page's « Télécharger ma carte QF »)."""
    async with ctx.uow() as uow:
        history = await uow.qfs.history(dossier_id)
    qf = history.proved_on(today(ctx))
    if qf is None:
        raise NotFound("Vous n'avez pas de quotient familial valide aujourd'hui.", code="qf_card_unavailable")
    return await pdf_for(ctx, dossier_id, qf.id)


# « Mes documents » lists these kinds beside the invoices (service/documents.py).
async def _listed(ctx: Billing, uow, dossier_id: uuid.UUID) -> list[documents.Document]:
    return [documents.Document(d.id, d.kind, d.title, d.date) for d in await _documents(uow, dossier_id)]


async def _downloaded(ctx: Billing, uow, dossier_id: uuid.UUID, document_id: uuid.UUID) -> tuple[bytes, str] | None:
    try:
        doc, pdf = await pdf_for(ctx, dossier_id, document_id)
    except NotFound:
        return None
    name = "carte-quotient-familial" if doc.kind == "qf_card" else doc.title.lower().replace(" ", "-")
    return pdf, f"{name}.pdf"


documents.register(documents.DocumentKind("qf", _listed, _downloaded))
