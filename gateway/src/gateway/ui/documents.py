"""« Mes documents »: every document billing keeps for the family, and « Demander une
attestation fiscale » (the childcare expenses of a past year, for the tax return).

A parent chooses a past year and posts the form (CSRF like every form); billing records one
request per year (``POST /api/billing/attestation-requests``, 409
``attestation_already_requested`` after), staff approve it, and the attestation then is one
of the family's documents (its id is the request's). The page lists the requests with their
state: « En attente de validation » or « Disponible » with its download.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web
from servicekit.problems import Problem

from ..clients.base import UpstreamProblem, call
from ..pages import render
from .formats import long_date, money, parse_moment
from .forms import Form, login_required, read_form, redirect, without_dossier

log = structlog.get_logger(__name__)

SERVICE = "billing"
DOCUMENTS = "/mon-dossier/documents"
REQUEST_ACTION = DOCUMENTS + "/attestation-fiscale"
REQUESTS_API = "/api/billing/attestation-requests"
PARIS = ZoneInfo("Europe/Paris")
# The past years offered: a tax return may be corrected for the three years before.
YEARS_OFFERED = 3
STATES = {"pending": "En attente de validation par le service Facturation", "approved": "Disponible"}
MESSAGES = {"attestation-demandee": "Votre demande d'attestation fiscale est enregistrée. Le service Facturation "
            "la valide ; elle apparaîtra ensuite dans cette page et vous serez prévenu par e-mail."}  # fmt: skip
BILLING_UNAVAILABLE = (
    "Le service Facturation est momentanément indisponible : votre demande n'a pas été enregistrée. "
    "Merci de réessayer dans quelques minutes."
)
CHOOSE_YEAR = "Choisissez l'année de l'attestation."


def _object(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict):
        log.warning("upstream_answer_malformed", service=SERVICE)
        raise Problem(502)
    return doc


def this_year() -> int:
    return datetime.now(PARIS).year


def offered_years(today_year: int, requested: set[int]) -> list[tuple[str, str]]:
    """The past years a family may still ask for, newest first, less those asked already
    (as the select's ``(value, text)`` options)."""
    years = range(today_year - 1, today_year - 1 - YEARS_OFFERED, -1)
    return [(str(y), str(y)) for y in years if y not in requested]


def document_view(doc: dict[str, Any]) -> dict[str, str]:
    document_id = str(uuid.UUID(str(doc.get("id"))))
    return {"title": str(doc.get("title") or "Document"), "date": long_date(doc.get("date")),
            "date_iso": str(doc.get("date") or ""), "href": f"{DOCUMENTS}/{document_id}/pdf"}  # fmt: skip


def request_view(doc: dict[str, Any]) -> dict[str, Any]:
    """One attestation request as « Mes documents » and « Mon dossier » show it."""
    request_id = str(uuid.UUID(str(doc.get("id"))))
    approved = doc.get("state") == "approved"
    moment = parse_moment(doc.get("requested_at"))
    day = moment.astimezone(PARIS).date().isoformat() if moment else ""
    return {
        "year": int(doc.get("year") or 0),
        "state": STATES["approved" if approved else "pending"],
        "approved": approved,
        "requested_on": long_date(day),
        "requested_iso": day,
        "total": money(doc, "total") if approved else "",
        "href": f"{DOCUMENTS}/{request_id}/pdf" if approved else None,
    }


async def attestation_requests(request: web.Request) -> list[dict[str, Any]]:
    doc = _object(await call(request, SERVICE, "GET", REQUESTS_API))
    found = [request_view(r) for r in doc.get("requests") or [] if isinstance(r, dict)]
    return sorted(found, key=lambda r: r["year"], reverse=True)


async def _page(request: web.Request, form: Form | None = None, *, status: int = 200) -> web.Response:
    docs, requests = await asyncio.gather(
        call(request, SERVICE, "GET", "/api/billing/documents"), attestation_requests(request)
    )
    documents = [document_view(x) for x in _object(docs).get("documents") or [] if isinstance(x, dict)]
    context = {
        "documents": documents,
        "requests": requests,
        "years": offered_years(this_year(), {r["year"] for r in requests}),
        "form": form or Form(),
        "message": MESSAGES.get(request.query.get("message", "")),
    }
    return render(request, "billing/documents.html", context, status=status)


@login_required
async def documents(request: web.Request) -> web.Response:
    if (page := without_dossier(request, "Mes documents")) is not None:
        return page
    return await _page(request)


@login_required
async def request_attestation(request: web.Request) -> web.Response:
    if (page := without_dossier(request, "Mes documents")) is not None:
        return page
    values = await read_form(request, ("year",))
    form = Form(values=values)
    year = int(values["year"]) if values["year"].isdecimal() and len(values["year"]) == 4 else None
    if year is None:
        form.error("year", CHOOSE_YEAR)
        return await _page(request, form, status=422)
    try:
        await call(request, SERVICE, "POST", REQUESTS_API, {"year": year})
    except UpstreamProblem as problem:
        if problem.status not in (409, 422):
            raise
        form.apply_problem(problem, ("year",))
        return await _page(request, form, status=problem.status)
    except Problem as problem:
        if problem.status not in (502, 503, 504):
            raise
        # Billing is down: say so on the form, without asking billing for the lists again.
        form = Form(values=values, summary_title=BILLING_UNAVAILABLE, general=[BILLING_UNAVAILABLE])
        context = {"documents": None, "requests": None, "years": offered_years(this_year(), set()), "form": form,
                   "message": None}  # fmt: skip
        return render(request, "billing/documents.html", context, status=problem.status)
    return redirect(DOCUMENTS + "?message=attestation-demandee")


def setup(app: web.Application) -> None:
    app.router.add_get(DOCUMENTS, documents)
    app.router.add_post(REQUEST_ACTION, request_attestation)
