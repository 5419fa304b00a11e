"""« Facturation »: the family account, its history, and the pages after a payment.

Worded as chapter 4 of the guide (« Consulter l'historique de mon compte »: « l'historique
de vos factures et impayés »). Only what billing serves today is offered: « Payer mes
factures » comes with the invoices. The page a payment returns to says what happened
(« Paiement accepté », « Paiement refusé ») and what comes next; the provider's
notification may lag behind the browser, so « Paiement en cours de vérification » offers
« Vérifier à nouveau » (a link: a page that reloads by itself fails WCAG 2.2.1).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..clients import billing
from ..pages import render
from . import documents, invoices
from .formats import long_date, money, paris_datetime, short_date
from .forms import UUID_PATTERN, login_required, without_dossier

PAGE_SIZE = 20
# billing's cursors: opaque, URL-safe; anything else starts again at the newest entries.
_CURSOR = re.compile(r"^[A-Za-z0-9_\-=.]{1,200}$")

KINDS = {"payment": "Paiement", "credit": "Avoir", "invoice": "Facture", "refund": "Remboursement"}
# status → the heading, and which page body says what happens next.
OUTCOMES = {
    "succeeded": "Paiement accepté",
    "failed": "Paiement refusé",
    "expired": "Paiement refusé",
    "credited": "Paiement enregistré comme avoir",
    "pending": "Paiement en cours de vérification",
}


@dataclass
class Entry:
    date: str
    date_iso: str
    kind: str
    label: str
    amount: str
    reference: str


def _entry(doc: dict[str, Any]) -> Entry:
    return Entry(
        date=long_date(doc.get("date")),
        date_iso=str(doc.get("date") or ""),
        kind=KINDS.get(str(doc.get("kind")), ""),
        label=str(doc.get("label") or ""),
        amount=money(doc, "amount"),
        reference=str(doc.get("reference") or ""),
    )


def _account(doc: dict[str, Any]) -> dict[str, str]:
    return {"balance": money(doc, "balance"), "credit": money(doc, "credit"), "unpaid": money(doc, "unpaid")}


@login_required
async def index(request: web.Request) -> web.Response:
    """The zone's entries: only those whose page works."""
    if (page := without_dossier(request, "Facturation")) is not None:
        return page
    return render(request, "billing/index.html")


@login_required
async def history(request: web.Request) -> web.Response:
    if (page := without_dossier(request, "Consulter l'historique de mon compte")) is not None:
        return page
    cursor = request.query.get("curseur")
    cursor = cursor if cursor and _CURSOR.match(cursor) else None
    account, page = await asyncio.gather(
        billing.get_account(request), billing.get_history(request, cursor=cursor, limit=PAGE_SIZE)
    )
    next_cursor = page.get("next_cursor")
    context = {
        "account": _account(account),
        "entries": [_entry(e) for e in page.get("entries") or [] if isinstance(e, dict)],
        "older_href": f"/facturation/historique?curseur={next_cursor}"
        if isinstance(next_cursor, str) and _CURSOR.match(next_cursor)
        else None,
        "newest_href": "/facturation/historique" if cursor else None,
    }
    return render(request, "billing/history.html", context)


@login_required
async def payment(request: web.Request) -> web.Response:
    doc = await billing.get_payment(request, uuid.UUID(request.match_info["payment_id"]))
    status = str(doc.get("status") or "pending")
    status = status if status in OUTCOMES else "pending"
    context = {
        "status": status,
        "heading": OUTCOMES[status],
        "amount": money(doc, "amount"),
        "credit_used": money(doc, "credit_used") if doc.get("credit_used_cents") else "",
        "reference": str(doc.get("reference") or ""),
        "created_at": paris_datetime(doc.get("created_at")),
        "lines": [
            {
                "date": short_date(line.get("date")),
                "element": str(line.get("element") or ""),
                "cost": money(line, "amount"),
            }
            for line in doc.get("lines") or []
            if isinstance(line, dict)
        ],
        "payment_id": str(uuid.UUID(request.match_info["payment_id"])),
        "for_invoice": doc.get("purpose") == "invoice",
    }
    return render(request, "billing/payment.html", context)


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/facturation", index, name="billing")
    r.add_get("/facturation/historique", history)
    r.add_get("/facturation/paiements/{payment_id:" + UUID_PATTERN + "}", payment)
    invoices.setup(app)  # « Payer mes factures » and the PDFs
    documents.setup(app)  # « Mes documents », « Demander une attestation fiscale »
