"""An in-process stand-in for the billing service: the parents' half of docs/saga.md and
the simulated Treasury's internal endpoints.

A real aiohttp server keeping accounts, payments and the Treasury's operations in memory:
``GET /api/billing/account``, ``/history`` (paginated, newest first), ``/payments/{id}``
(404 for another family's), the notification ``POST /api/billing/payments/notifications/
{provider}`` (the simulated Treasury's: form field ``idop``; believed only once the
operation is decided, applied once; ``payfip`` is not in use: 404) and
``/internal/simulated-treasury/operations/{idop}`` (+ ``/decision``, the first decision
kept). ``create_payment`` is what planning's request/reply call does; a verified
notification confirms or releases planning's basket as billing's events would (``link``).
Held to billing's OpenAPI document like the other fakes (``contracts.checked``).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from servicekit.files import sniff_content_type

from . import fake_billing_invoices, fake_planning
from .contracts import checked, multipart_fields
from .fake_accounts import refusal
from .fake_planning import dossier_of, euros, problem
from .standins import SEEN, SERVICE_NAME, echo, health, misbehaving_routes, remember


@dataclass
class Payment:
    id: str
    dossier_id: str
    basket_id: str
    amount_cents: int
    credit_used_cents: int
    lines: list[dict[str, Any]]
    idop: str
    reference: str
    created_at: datetime
    status: str = "pending"


@dataclass
class State:
    credits: dict[str, int] = field(default_factory=dict)
    unpaid: dict[str, int] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # newest first
    payments: dict[str, Payment] = field(default_factory=dict)
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifications: list[str] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    planning: Any = None  # fake_planning.State, linked by ``link``
    clock: datetime = field(default_factory=lambda: datetime(2026, 12, 6, 13, 5, tzinfo=UTC))
    # GET /api/billing/qf per dossier (what tests set), and the proofs received (qf_proofs).
    qf_pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    proofs: list[dict[str, Any]] = field(default_factory=list)

    def credit_of(self, dossier_id: str) -> int:
        return self.credits.get(str(dossier_id), 0)

    def use_credit(self, dossier_id: str, cents: int) -> None:
        self.credits[str(dossier_id)] = self.credit_of(dossier_id) - cents

    def add_entry(self, dossier_id: str, kind: str, label: str, cents: int, reference: str | None = None) -> None:
        self.clock += timedelta(hours=1)
        entry = {
            "kind": kind,
            "date": self.clock.date().isoformat(),
            "label": label,
            "amount_cents": cents,
            "amount": euros(cents),
            "reference": reference,
            "id": str(uuid.uuid4()) if kind == "invoice" else None,
        }
        self.history.setdefault(str(dossier_id), []).insert(0, entry)

    def create_payment(self, dossier_id: str, basket_id: str, basket: dict[str, Any]) -> Payment:
        """planning's ``billing.create_payment`` (the lines priced as the basket showed them)."""
        lines = [
            {"date": ln["date"], "element": ln["element"], "amount_cents": ln["amount_cents"], "amount": ln["amount"]}
            for ln in basket["lines"]
            if ln["change"] == "add"
        ]
        payment = Payment(
            id=str(uuid.uuid4()),
            dossier_id=str(dossier_id),
            basket_id=basket_id,
            amount_cents=basket["to_pay_cents"],
            credit_used_cents=basket["credit_applied_cents"],
            lines=lines,
            idop=secrets.token_hex(16),
            reference=f"PF{secrets.randbelow(10**8):08d}",
            created_at=self.clock,
        )
        self.payments[payment.id] = payment
        self.operations[payment.idop] = {
            "idop": payment.idop,
            "amount_cents": payment.amount_cents,
            "amount": euros(payment.amount_cents),
            "reference": payment.reference,
            "state": "pending",
            "return_url": f"/facturation/paiements/{payment.id}",
        }
        return payment

    def payment_of(self, idop: str) -> Payment:
        return next(p for p in self.payments.values() if p.idop == idop)


STATE = web.AppKey("fake_billing_state", State)


def link(planning_app: web.Application, billing_app: web.Application) -> None:
    """One saga: planning's checkout creates payments here, decided payments confirm there."""
    planning_app[fake_planning.STATE].billing = billing_app[STATE]
    billing_app[STATE].planning = planning_app[fake_planning.STATE]


def state(request: web.Request) -> State:
    return request.app[STATE]


@web.middleware
async def record(request: web.Request, handler):
    entry = {"method": request.method, "path": request.path, "headers": dict(request.headers)}
    if request.content_type == "application/x-www-form-urlencoded":
        entry["form"] = dict(await request.post())
    elif request.content_type == "application/json" and request.body_exists:
        entry["json"] = await request.json()
    request.app[STATE].received.append(entry)
    return await handler(request)


async def account(request: web.Request) -> web.Response:
    st, dossier = state(request), dossier_of(request)
    credit, unpaid = st.credit_of(dossier), st.unpaid.get(dossier, 0)
    balance = unpaid - credit
    return web.json_response(
        {
            "balance_cents": balance,
            "balance": euros(balance),
            "credit_cents": credit,
            "credit": euros(credit),
            "unpaid_cents": unpaid,
            "unpaid": euros(unpaid),
        }
    )


async def history(request: web.Request) -> web.Response:
    st, dossier = state(request), dossier_of(request)
    limit = int(request.query.get("limit", "20"))
    cursor = request.query.get("cursor")
    offset = int(cursor[1:]) if cursor and cursor.startswith("o") else 0
    entries = st.history.get(dossier, [])
    page = entries[offset : offset + limit]
    next_cursor = f"o{offset + limit}" if offset + limit < len(entries) else None
    return web.json_response({"entries": page, "next_cursor": next_cursor})


async def get_payment(request: web.Request) -> web.Response:
    st, dossier = state(request), dossier_of(request)
    payment = st.payments.get(request.match_info["id"])
    if payment is None or payment.dossier_id != dossier:
        return problem(404, "not_found", "Ce paiement n'existe pas.")
    return web.json_response(
        {
            "id": payment.id,
            "status": payment.status,
            "amount_cents": payment.amount_cents,
            "amount": euros(payment.amount_cents),
            "credit_used_cents": payment.credit_used_cents,
            "credit_used": euros(payment.credit_used_cents),
            "total_cents": payment.amount_cents + payment.credit_used_cents,
            "total": euros(payment.amount_cents + payment.credit_used_cents),
            "reference": payment.reference,
            "created_at": payment.created_at.isoformat(),
            "lines": payment.lines,
            "purpose": "basket",
        }
    )


async def notification(request: web.Request) -> web.Response:
    """Believed only after asking the operation's state (here: reading it); applied once."""
    st = state(request)
    if request.match_info["provider"] != "simulated":
        return problem(404, "unknown_provider", "Ce moyen de paiement n'est pas utilisé ici.")
    idop = str((await request.post()).get("idop") or "")
    st.notifications.append(idop)
    operation = st.operations.get(idop)
    if operation is None or operation["state"] == "pending":
        return web.Response(text="OK")  # billing answers the provider 200 "OK", whatever it made of it
    payment = st.payment_of(idop)
    if payment.status != "pending":
        return web.Response(text="OK")  # billing answers the provider 200 "OK", whatever it made of it
    if operation["state"] == "paid":
        payment.status = "succeeded"
        st.use_credit(payment.dossier_id, payment.credit_used_cents)
        st.add_entry(
            payment.dossier_id, "payment", "Paiement en ligne (simulation)", payment.amount_cents, payment.reference
        )
        st.planning.confirm(payment.basket_id)
    else:
        payment.status = "failed"
        st.planning.release(payment.basket_id)
    return web.Response(text="OK")


def own_operation(request: web.Request) -> dict[str, Any]:
    operation = state(request).operations.get(request.match_info["idop"])
    if operation is None:
        raise refusal(404, "not_found", "Cette opération n'existe pas.")
    return operation


async def get_operation(request: web.Request) -> web.Response:
    return web.json_response(own_operation(request))


async def decide(request: web.Request) -> web.Response:
    operation = own_operation(request)
    decision = (await request.json()).get("decision")
    if decision not in ("pay", "refuse"):
        return problem(422, "validation_error", "Certaines informations saisies ne sont pas valides.")
    if operation["state"] == "pending":  # deciding twice keeps the first decision
        operation["state"] = "paid" if decision == "pay" else "refused"
    return web.json_response(operation)


PROOF_MAX_BYTES = 5 * 1024 * 1024


async def family_qf(request: web.Request) -> web.Response:
    st, dossier = state(request), dossier_of(request)
    page = st.qf_pages.get(dossier) or {"qf": None, "in_grace": False, "campaign": None, "needs_renewal": False}
    latest = next((p for p in reversed(st.proofs) if p["dossier_id"] == dossier), None)
    out = {k: v for k, v in latest.items() if k not in ("dossier_id", "content")} if latest else None
    return web.json_response({**page, "latest_proof": out})


async def upload_proof(request: web.Request) -> web.Response:
    """billing's checks, in short: the type from the content (servicekit.files), the size."""
    st, dossier = state(request), dossier_of(request)
    fields, upload = await multipart_fields(request)  # over a copy: the contract check read the body
    content = upload["content"] if upload else None
    if not content:
        return problem(422, "qf_proof_missing", "Joignez votre justificatif (fichier PDF, JPEG ou PNG).")
    if len(content) > PROOF_MAX_BYTES:
        return problem(413, "qf_proof_too_large", "Le justificatif ne doit pas dépasser 5 Mo.")
    content_type = sniff_content_type(content)
    if content_type is None:
        return problem(415, "qf_proof_unsupported", "Le justificatif doit être un fichier PDF, JPEG ou PNG.")
    proof = {
        "id": str(uuid.uuid4()),
        "kind": fields.get("kind"),
        "year": int(fields.get("year", "0")),
        "content_type": content_type,
        "size_bytes": len(content),
        "state": "pending",
        "reject_reason": None,
        "uploaded_at": st.clock.isoformat(),
        "decided_at": None,
        "dossier_id": dossier,
        "content": content,
    }
    st.proofs.append(proof)
    return web.json_response({k: v for k, v in proof.items() if k not in ("dossier_id", "content")}, status=201)


def fake_billing() -> web.Application:
    app = checked(web.Application(middlewares=[remember, record]), "billing")
    app[SERVICE_NAME] = "billing"
    app[SEEN] = []
    app[STATE] = State()
    r = app.router
    r.add_get("/health", health)
    misbehaving_routes(app, "billing")
    r.add_get("/api/billing/account", account)
    r.add_get("/api/billing/history", history)
    r.add_get("/api/billing/payments/{id}", get_payment)
    r.add_post("/api/billing/payments/notifications/{provider}", notification)
    r.add_get("/api/billing/qf", family_qf)
    r.add_post("/api/billing/qf-proofs", upload_proof)
    r.add_get("/internal/simulated-treasury/operations/{idop}", get_operation)
    r.add_post("/internal/simulated-treasury/operations/{idop}/decision", decide)
    fake_billing_invoices.add_routes(app)
    r.add_route("*", "/{tail:.*}", echo)
    return app
