"""« Validation des modifications »: the basket, « Tout supprimer », « Retour », « Payer ».

Worded as chapter 3 of the guide: « Afin d'enregistrer définitivement votre saisie… »,
« Récapitulatif de votre saisie », « Paiement immédiat » (Date, Élément, Tarification,
Coût), « A payer », and « Les réservations ne seront pas prises en compte si le règlement
n'est pas effectué. ».

« Payer » posts an Idempotency-Key made when the page was rendered: a double click (or the
form sent again) is one checkout at planning, hence one payment. Planning answers the
provider's URL (the browser is sent there, 303) or that nothing is left to pay (credits,
removals only: the confirmation page). Days taken by other families meanwhile (409
``days_full``) are dropped by planning and named here; billing away (503) changes nothing.
« Tout supprimer » asks on a page of its own (no script to confirm with).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web
from servicekit.problems import Problem

from ..clients import planning
from ..clients.base import UpstreamProblem
from ..pages import render
from .formats import MONTH, long_day, money, paris_time, parse_date, short_date
from .forms import Form, idempotency_key, login_required, made_here, read_form, redirect, safe_next, without_dossier

log = structlog.get_logger(__name__)

BASKET_PATH = "/planning/panier"
FORM_EXPIRED = "Ce formulaire n'est plus valable : vérifiez votre panier puis cliquez de nouveau sur « Payer »."
PAYMENT_UNAVAILABLE = (
    "Le paiement en ligne est momentanément indisponible. Vos réservations n'ont pas été modifiées. "
    "Veuillez réessayer dans quelques minutes."
)
DAYS_FULL = "Ces jours sont complets et ont été retirés : {days}."
MESSAGES = {"supprime": "Vos modifications ont été effacées."}


@dataclass
class BasketLine:
    date: str
    element: str
    pricing: str
    cost: str
    removal: bool


@dataclass
class Back:
    """Where « Retour » goes: the month the parent came from, else the child chooser."""

    child: str = ""
    month: str = ""

    @property
    def href(self) -> str:
        return f"/planning/{self.child}/{self.month}" if self.child else "/planning"

    @property
    def query(self) -> str:
        return f"enfant={self.child}&mois={self.month}" if self.child else ""


def _back(values) -> Back:
    child, month = str(values.get("enfant") or ""), str(values.get("mois") or "")
    try:
        child = str(uuid.UUID(child))
    except ValueError:
        return Back()
    return Back(child, month) if MONTH.match(month) else Back()


def _lines(doc: dict[str, Any]) -> list[BasketLine]:
    lines = []
    for line in doc.get("lines") or []:
        if not isinstance(line, dict):
            continue
        removal = line.get("change") == "remove"
        element = str(line.get("element") or "")
        lines.append(
            BasketLine(
                date=short_date(line.get("date")),
                element=f"Annulation : {element}" if removal else element,
                pricing=str(line.get("pricing") or ""),
                cost=money(line, "amount"),
                removal=removal,
            )
        )
    return lines


async def _page(
    request: web.Request, back: Back, form: Form | None = None, *, status: int = 200, message=None
) -> web.Response:
    doc = await planning.get_basket(request)
    frozen = doc.get("status") == "checking_out"
    context = {
        "lines": _lines(doc),
        "total": money(doc, "total"),
        "credit": money(doc, "credit_applied") if doc.get("credit_applied_cents") else "",
        "to_pay": money(doc, "to_pay"),
        "priced": doc.get("priced") is not False,
        "hold_until": paris_time(doc.get("expires_at")) if frozen and doc.get("expires_at") else "",
        "back": back,
        "form": form or Form(),
        # Made now, sent back by « Payer »: the same key however many times it is clicked.
        "idempotency_key": idempotency_key(None),
        "message": message,
    }
    return render(request, "planning/basket.html", context, status=status)


@login_required
async def basket(request: web.Request) -> web.Response:
    if (page := without_dossier(request, "Validation des modifications")) is not None:
        return page
    return await _page(request, _back(request.query), message=MESSAGES.get(request.query.get("message", "")))


@login_required
async def delete_form(request: web.Request) -> web.Response:
    return render(request, "planning/basket_delete.html", {"back": _back(request.query)})


@login_required
async def delete(request: web.Request) -> web.Response:
    back = _back(await read_form(request, ("enfant", "mois")))
    try:
        await planning.delete_basket(request)
    except UpstreamProblem as problem:
        if problem.status != 409:
            raise
        form = Form(summary_title=problem.title, general=[problem.title])
        return await _page(request, back, form, status=409)
    query = "&".join(q for q in ("message=supprime", back.query) if q)
    return redirect(f"{BASKET_PATH}?{query}")


async def _full_days(request: web.Request, problem: UpstreamProblem) -> str:
    """« jeudi 10 décembre (Arthur - 2026/2027 - Cantine (11h30 à 13h30)) », … for the days
    planning dropped (it names them by child and activity ids: the children's list names them)."""
    try:
        children = await planning.list_children(request)
    except (UpstreamProblem, Problem):
        children = []  # the days are still worth naming by their date
    elements = {
        (str(child.get("id")), str(activity.get("id"))): f"{child.get('first_name')} - {activity.get('name')}"
        for child in children
        for activity in child.get("activities") or []
        if isinstance(activity, dict)
    }
    names = []
    for day in problem.problem.get("days") or []:
        when = parse_date(day.get("date")) if isinstance(day, dict) else None
        if when is None:
            continue
        what = elements.get((str(day.get("child_id")), str(day.get("activity_id"))))
        names.append(f"{long_day(when)} ({what})" if what else long_day(when))
    return ", ".join(names)


def _day_sentences(problem: UpstreamProblem) -> list[str]:
    """planning's sentence for each refused day (« … 01/12/2026 … »), else its title."""
    sentences = [
        str(day.get("message")).strip()
        for day in problem.problem.get("days") or []
        if isinstance(day, dict) and str(day.get("message") or "").strip()
    ]
    return sentences or [problem.title]


def _payment_target(url: Any) -> str | None:
    """Where « Payer » sends the browser: a page of this site, or the provider's https page."""
    text = str(url or "")
    if text.startswith("https://") and text.isprintable() and " " not in text:
        return text
    target = safe_next(text, default="")
    return target or None


@login_required
async def pay(request: web.Request) -> web.Response:
    values = await read_form(request, ("enfant", "mois", "idempotency_key"))
    back = _back(values)
    if not made_here(values["idempotency_key"]):
        # Not the form this page renders (a forged or mangled body): no checkout from it,
        # the basket is shown again with a fresh « Payer ».
        form = Form(summary_title=FORM_EXPIRED, general=[FORM_EXPIRED])
        return await _page(request, back, form, status=400)
    try:
        answer = await planning.checkout(request, values["idempotency_key"])
    except UpstreamProblem as problem:
        if problem.status not in (409, 422):
            raise
        form = Form(summary_title=problem.title)
        if problem.type_name == "days_full":
            days = await _full_days(request, problem)
            form.summary_title = DAYS_FULL.format(days=days) if days else problem.title
            form.general.append(form.summary_title)
        elif problem.status == 422:
            # Days past their deadline meanwhile: planning dropped them and says which.
            form.general.extend(_day_sentences(problem))
        else:
            form.general.append(problem.title)
        return await _page(request, back, form, status=problem.status)
    except Problem as problem:
        if problem.status != 503:
            raise
        form = Form(summary_title=PAYMENT_UNAVAILABLE, general=[PAYMENT_UNAVAILABLE])
        return await _page(request, back, form, status=503)
    if answer.get("status") == "confirmed":
        return redirect("/planning/panier/confirmee" + (f"?{back.query}" if back.query else ""))
    target = _payment_target(answer.get("payment_url"))
    if target is None:
        log.warning("upstream_answer_malformed", service="planning", call="checkout")
        raise Problem(502)
    if target.startswith("https://"):
        # The provider's own site: a link, not a redirect. Browsers apply the page's
        # Content-Security-Policy « form-action 'self' » to where a form's answer
        # redirects, so a 303 to another site would be blocked; following a link is not.
        return render(request, "planning/leaving.html", {"payment_url": target, "back": back})
    return redirect(target)


@login_required
async def confirmed(request: web.Request) -> web.Response:
    """Nothing was left to pay (credits, or removals only): the changes are recorded."""
    return render(request, "planning/confirmed.html", {"back": _back(request.query)})


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get(BASKET_PATH, basket)
    r.add_get(BASKET_PATH + "/supprimer", delete_form)
    r.add_post(BASKET_PATH + "/supprimer", delete)
    r.add_post(BASKET_PATH + "/payer", pay)
    r.add_get(BASKET_PATH + "/confirmee", confirmed)
