"""« Quotient familial »: the family's QF, its validity, the latest proof, the February
campaign, and the form that sends a proof (multipart, CSRF, no script).

The guide: « L'actualisation des QF se fait durant le mois de février de chaque année. Toute
famille n'ayant pas transmis son justificatif (avis d'imposition ou attestation CAF), se verra
appliquer le tarif le plus fort. » billing checks the file's type from its content and its
size; the page only says in French what billing refused, beside the file.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import structlog
from aiohttp import hdrs, web
from servicekit.problems import Problem

from ..clients.base import MAX_RESPONSE_BYTES, UpstreamProblem, call
from ..pages import render
from ..settings import SETTINGS
from ..upstream import headers_for_call, open_upstream
from .formats import long_date, short_date
from .forms import Form, login_required, read_form, redirect, without_dossier

log = structlog.get_logger(__name__)

PATH = "/facturation/quotient-familial"
SERVICE = "billing"
HEADING = "Quotient familial"
KINDS = {"avis_imposition": "Avis d'imposition", "attestation_caf": "Attestation CAF"}
FILE_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
FILE_HINT = "Un fichier PDF, JPEG ou PNG, 5 Mo maximum."
FIELDS = ("kind", "year", "file")
PROOF_STATES = {"pending": "En attente de vérification par le service Facturation", "accepted": "Accepté",
                "rejected": "Refusé"}  # fmt: skip
# billing's refusals of the file itself, as the parent reads them beside the file.
FILE_REFUSALS = {
    413: "Le fichier est trop volumineux (5 Mo maximum).",
    415: "Le justificatif doit être un fichier PDF, JPEG ou PNG : ce fichier n'en est pas un.",
}
FILE_NOT_KEPT = "Pour votre sécurité, le fichier n'a pas été conservé : choisissez-le à nouveau."
PARIS = ZoneInfo("Europe/Paris")


def _view(doc: dict[str, Any]) -> dict[str, Any]:
    qf = doc.get("qf") if isinstance(doc.get("qf"), dict) else None
    proof = doc.get("latest_proof") if isinstance(doc.get("latest_proof"), dict) else None
    campaign = doc.get("campaign") if isinstance(doc.get("campaign"), dict) else None
    return {
        "qf": None
        if qf is None
        else {
            "value": str(qf.get("value", "")),
            "valid_from": short_date(qf.get("valid_from")),
            "valid_to": short_date(qf.get("valid_to")),
            "proof": str(qf.get("proof_label") or ""),
        },
        "in_grace": bool(doc.get("in_grace")),
        "needs_renewal": bool(doc.get("needs_renewal")),
        "proof": None
        if proof is None
        else {
            "kind": KINDS.get(str(proof.get("kind")), ""),
            "year": str(proof.get("year") or ""),
            "state": str(proof.get("state") or ""),
            "state_label": PROOF_STATES.get(str(proof.get("state")), ""),
            "reason": str(proof.get("reject_reason") or ""),
            "uploaded_on": long_date(str(proof.get("uploaded_at") or "")[:10]),
        },
        "campaign": None
        if campaign is None
        else {"year": str(campaign.get("year") or ""), "ends_on": long_date(campaign.get("ends_on"))},
        "campaign_year": str(campaign.get("year")) if campaign else str(datetime.now(PARIS).year),
    }


async def _page(request: web.Request, form: Form | None = None, *, status: int = 200) -> web.Response:
    doc = await call(request, SERVICE, "GET", "/api/billing/qf")
    if not isinstance(doc, dict):
        log.warning("upstream_answer_malformed", service=SERVICE, call="qf")
        raise Problem(502)
    view = _view(doc)
    form = form or Form(values={"kind": "avis_imposition", "year": view["campaign_year"]})
    context = {**view, "form": form, "kinds": list(KINDS.items()), "file_accept": FILE_ACCEPT,
               "file_hint": FILE_HINT, "sent": request.query.get("envoye") == "oui"}  # fmt: skip
    return render(request, "billing/qf.html", context, status=status)


@login_required
async def show(request: web.Request) -> web.Response:
    if (page := without_dossier(request, HEADING)) is not None:
        return page
    return await _page(request)


async def _send_proof(request: web.Request, kind: str, year: str, chosen: web.FileField) -> None:
    """POST /api/billing/qf-proofs as multipart/form-data, the file streamed from aiohttp's spool."""
    form = aiohttp.MultipartWriter("form-data")
    for name, value in (("kind", kind), ("year", year)):
        form.append(value).set_content_disposition("form-data", name=name)
    part = form.append(chosen.file, {hdrs.CONTENT_TYPE: chosen.content_type or "application/octet-stream"})
    part.set_content_disposition("form-data", name="file", filename=chosen.filename or "justificatif")
    headers = headers_for_call(request, request.app[SETTINGS])
    headers[hdrs.CONTENT_TYPE] = form.content_type
    upstream = open_upstream(request.app, SERVICE, "POST", "/api/billing/qf-proofs", headers=headers, body=form)  # type: ignore[arg-type]
    async with upstream as response:
        status = response.status
        raw = await response.content.read(MAX_RESPONSE_BYTES + 1)
    if 200 <= status < 300:
        return
    if 400 <= status < 500:
        try:
            doc = json.loads(raw) if len(raw) <= MAX_RESPONSE_BYTES else None
        except ValueError:
            doc = None
        raise UpstreamProblem(status, doc if isinstance(doc, dict) else None)
    log.warning("upstream_failed", service=SERVICE, method="POST", status=status)
    raise Problem(status if status in (503, 504) else 502)


@login_required
async def upload(request: web.Request) -> web.Response:
    if (page := without_dossier(request, HEADING)) is not None:
        return page
    values: dict[str, Any] = await read_form(request, ("kind", "year"))
    chosen = (await request.post()).get("file")
    chosen = chosen if isinstance(chosen, web.FileField) and chosen.filename else None
    form = Form(values=values)
    if values["kind"] not in KINDS:
        form.error("kind", "Choisissez le type de justificatif.")
    if not (values["year"].isascii() and values["year"].isdigit() and len(values["year"]) == 4):
        form.error("year", "Saisissez l'année sur quatre chiffres (par exemple 2027).")
    if chosen is None:
        form.error("file", "Choisissez le fichier de votre justificatif (PDF, JPEG ou PNG).")
    status = 422
    if not form.has_errors:
        try:
            await _send_proof(request, values["kind"], values["year"], chosen)
        except UpstreamProblem as problem:
            if problem.status not in (404, 413, 415, 422):
                raise
            status = problem.status
            if problem.status in FILE_REFUSALS:
                form.error("file", FILE_REFUSALS[problem.status])
            else:
                form.apply_problem(problem, FIELDS)
        except Problem as problem:
            if problem.status != 503:
                raise
            status = 503
            form.error("file", "L'analyse du fichier est momentanément indisponible : réessayez dans quelques minutes.")
        else:
            return redirect(PATH + "?envoye=oui")
    if chosen is not None and "file" not in form.errors:
        form.error("file", FILE_NOT_KEPT)
    return await _page(request, form, status=status)


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, show)
    app.router.add_post(PATH, upload)
