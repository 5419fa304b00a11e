"""The invoices and documents half of the billing fake: « Payer mes factures » and « Mes
documents » (``GET /api/billing/invoices``, ``/invoices/{id}``, ``/invoices/{id}/pdf``,
``POST /invoices/{id}/payments``, ``GET /api/billing/documents``, ``/documents/{id}/pdf``) and
the tax-attestation requests (``GET``/``POST /api/billing/attestation-requests``: one per past
year, 409 after; ``approve`` plays the staff, the attestation then is one of the documents),
another family's id answering 404 as billing does. Added to ``fake_billing()`` by ``add_routes``
and held to billing's OpenAPI document by the same contract check."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from .fake_planning import dossier_of, euros, problem

PDF = b"%PDF-1.7\n% fake invoice\n%%EOF\n"


@dataclass
class Invoices:
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → {dossier, doc, pdf}
    payments: list[dict[str, Any]] = field(default_factory=list)
    attestations: list[dict[str, Any]] = field(default_factory=list)  # {dossier, doc}
    # billing's « today » (Paris): the years before it may be asked for.
    this_year: int = field(default_factory=lambda: datetime.now(ZoneInfo("Europe/Paris")).year)

    def approve(self, request_id: str, total_cents: int = 45600) -> None:
        """What staff do: the request approved, the attestation among the family's documents."""
        doc = next(a["doc"] for a in self.attestations if a["doc"]["id"] == request_id)
        doc.update(state="approved", approved_at="2026-12-07T09:30:00+00:00", total_cents=total_cents)

    def add(self, dossier_id: str, *, number: str = "2026-000042", total_cents: int = 748, paid: bool = False) -> str:
        invoice_id = str(uuid.uuid4())
        doc = {
            "id": invoice_id, "number": number, "month": "2026-11", "period": "novembre 2026",
            "issued_on": "2026-12-01", "due_on": "2026-12-31", "total_cents": total_cents,
            "paid_cents": total_cents if paid else 0, "outstanding_cents": 0 if paid else total_cents,
            "status": "paid" if paid else "unpaid", "pdf_url": f"/api/billing/invoices/{invoice_id}/pdf",
        }  # fmt: skip
        self.invoices[invoice_id] = {"dossier": str(dossier_id), "doc": doc, "pdf": PDF + number.encode()}
        return invoice_id


INVOICES = web.AppKey("fake_billing_invoices", Invoices)


def _own(request: web.Request, name: str = "id") -> dict[str, Any] | None:
    found = request.app[INVOICES].invoices.get(request.match_info[name])
    return found if found is not None and found["dossier"] == dossier_of(request) else None


def _not_found() -> web.Response:
    return problem(404, "invoice_not_found", "Cette facture est introuvable.")


async def list_invoices(request: web.Request) -> web.Response:
    dossier = dossier_of(request)
    mine = [x["doc"] for x in request.app[INVOICES].invoices.values() if x["dossier"] == dossier]
    mine.sort(key=lambda d: d["status"] != "unpaid")
    return web.json_response({"invoices": mine, "unpaid_cents": sum(d["outstanding_cents"] for d in mine)})


async def get_invoice(request: web.Request) -> web.Response:
    if (found := _own(request)) is None:
        return _not_found()
    doc = found["doc"]
    line = {"date": "2026-11-03", "child": "Arthur", "label": "2026/2027 - Cantine (présence sans réservation)",
            "unit_price_cents": 374, "quantity": 1, "amount_cents": 374}  # fmt: skip
    fees = {"date": "2026-11-20", "child": "", "label": "Retard à la sortie du périscolaire", "unit_price_cents": 500,
            "quantity": 2, "amount_cents": 1000}  # fmt: skip
    return web.json_response({**doc, "dossier_id": found["dossier"],
                              "lines": [line, {**line, "date": "2026-11-05"}, fees], "credit_notes": []})  # fmt: skip


def _pdf(found: dict[str, Any]) -> web.Response:
    name = f"facture-{found['doc']['number']}.pdf"
    return web.Response(body=found["pdf"], content_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


async def get_invoice_pdf(request: web.Request) -> web.Response:
    found = _own(request)
    return _not_found() if found is None else _pdf(found)


async def pay(request: web.Request) -> web.Response:
    from .fake_billing import STATE  # the Treasury's operations live with the payments

    if (found := _own(request)) is None:
        return _not_found()
    doc = found["doc"]
    if doc["status"] == "paid":
        return problem(409, "invoice_already_paid", "Cette facture est déjà réglée.")
    payment_id, idop = str(uuid.uuid4()), secrets.token_hex(16)
    reference = f"PF{secrets.randbelow(10**8):08d}"
    request.app[STATE].operations[idop] = {
        "idop": idop, "amount_cents": doc["outstanding_cents"], "amount": euros(doc["outstanding_cents"]),
        "reference": reference, "state": "pending", "return_url": f"/facturation/paiements/{payment_id}",
    }  # fmt: skip
    answer = {
        "payment_id": payment_id, "status": "pending", "payment_url": f"/simulated-treasury/?idop={idop}",
        "amount_cents": doc["outstanding_cents"], "amount": euros(doc["outstanding_cents"]),
        "credit_used_cents": 0, "credit_used": euros(0), "reference": reference,
    }  # fmt: skip
    request.app[INVOICES].payments.append(answer)
    return web.json_response(answer, status=201)


def _attestations(request: web.Request) -> list[dict[str, Any]]:
    dossier = dossier_of(request)
    return [a["doc"] for a in request.app[INVOICES].attestations if a["dossier"] == dossier]


async def list_attestation_requests(request: web.Request) -> web.Response:
    return web.json_response({"requests": _attestations(request)})


async def request_attestation(request: web.Request) -> web.Response:
    state, year = request.app[INVOICES], (await request.json()).get("year")
    if not isinstance(year, int) or not 2000 <= year < state.this_year:
        error = {"field": "year", "code": "attestation_year_invalid",
                 "message": f"Choisissez une année passée (avant {state.this_year})."}  # fmt: skip
        return problem(422, "attestation_year_invalid", error["message"], errors=[error])
    if any(a["year"] == year for a in _attestations(request)):
        return problem(409, "attestation_already_requested", f"L'attestation {year} a déjà été demandée.")
    doc = {"id": str(uuid.uuid4()), "year": year, "state": "pending", "requested_at": "2026-12-06T13:05:00+00:00",
           "approved_at": None, "total_cents": 0}  # fmt: skip
    state.attestations.append({"dossier": dossier_of(request), "doc": doc})
    return web.json_response(doc, status=201)


async def list_documents(request: web.Request) -> web.Response:
    dossier = dossier_of(request)
    attestations = [
        {"id": a["id"], "kind": "tax_attestation", "title": f"Attestation fiscale {a['year']}", "date": "2026-12-07",
         "number": None, "amount_cents": a["total_cents"], "pdf_url": f"/api/billing/documents/{a['id']}/pdf"}
        for a in _attestations(request) if a["state"] == "approved"
    ]  # fmt: skip
    docs = attestations + [
        {"id": x["doc"]["id"], "kind": "invoice", "title": f"Facture n° {x['doc']['number']} — novembre 2026",
         "date": x["doc"]["issued_on"], "number": x["doc"]["number"], "amount_cents": x["doc"]["total_cents"],
         "pdf_url": f"/api/billing/documents/{x['doc']['id']}/pdf"}
        for x in request.app[INVOICES].invoices.values() if x["dossier"] == dossier
    ]  # fmt: skip
    return web.json_response({"documents": docs})


async def get_document_pdf(request: web.Request) -> web.Response:
    attestation = next((a for a in _attestations(request) if a["id"] == request.match_info["id"]), None)
    if attestation is not None and attestation["state"] == "approved":
        name = f"attestation-fiscale-{attestation['year']}.pdf"
        return web.Response(body=PDF + b"attestation", content_type="application/pdf",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
    found = _own(request)
    return problem(404, "document_not_found", "Ce document est introuvable.") if found is None else _pdf(found)


def add_routes(app: web.Application) -> None:
    app[INVOICES] = Invoices()
    r = app.router
    r.add_get("/api/billing/invoices", list_invoices)
    r.add_get("/api/billing/invoices/{id}", get_invoice)
    r.add_get("/api/billing/invoices/{id}/pdf", get_invoice_pdf)
    r.add_post("/api/billing/invoices/{id}/payments", pay)
    r.add_get("/api/billing/documents", list_documents)
    r.add_get("/api/billing/documents/{id}/pdf", get_document_pdf)
    r.add_get("/api/billing/attestation-requests", list_attestation_requests)
    r.add_post("/api/billing/attestation-requests", request_attestation)
