"""« Mon dossier »: consult the family file, « Modifier » the contacts, link a dossier."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiohttp import web

from .. import auth
from ..clients import accounts
from ..clients.base import UpstreamProblem
from ..pages import render
from .demarches import family_demarches
from .forms import Form, login_required, read_form, redirect, require_caller

MESSAGES = {
    "modifie": "Vos modifications ont été enregistrées.",
    "rattache": "Votre dossier famille est rattaché à votre compte.",
}
SUBSCRIPTION_STATUSES = {
    "pending_activation": "En attente d'activation",
    "active": "Active",
    "suspended": "Suspendue",
    "closed": "Close",
}
SERVICES = {"enfance": "Service enfance"}
CONTACT_FIELDS = ("phone_mobile", "phone_home", "phone_work", "email")


@dataclass
class DossierView:
    """The family file as the pages show it, tolerant of fields accounts leaves out."""

    number: str
    family_name: str
    address_lines: list[str]
    adults: list[dict[str, Any]]
    children: list[dict[str, Any]]
    subscriptions: list[dict[str, str]]
    invoices_by_email: bool
    extra: dict[str, Any] = field(default_factory=dict)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def french_date(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return _text(value)


def dossier_view(doc: dict[str, Any]) -> DossierView:
    address = doc.get("address") or {}
    city_line = " ".join(p for p in (_text(address.get("postal_code")), _text(address.get("city"))) if p)
    lines = [_text(address.get("line1")), _text(address.get("line2")), city_line]
    adults = [
        {
            "id": _text(a.get("id")),
            "name": " ".join(p for p in (_text(a.get("first_name")), _text(a.get("last_name"))) if p),
            **{name: _text(a.get(name)) for name in CONTACT_FIELDS},
        }
        for a in doc.get("adults") or []
        if isinstance(a, dict)
    ]
    children = [
        {
            "name": " ".join(p for p in (_text(c.get("first_name")), _text(c.get("last_name"))) if p),
            "birth_date": french_date(c.get("birth_date")) if c.get("birth_date") else "",
            "school": _text(c.get("school")),
            "level": _text(c.get("level")),
        }
        for c in doc.get("children") or []
        if isinstance(c, dict)
    ]
    subscriptions = [
        {
            "service": SERVICES.get(_text(s.get("service")), _text(s.get("service")) or "Service enfance"),
            "dossier_number": _text(s.get("dossier_number")) or _text(doc.get("number")),
            "status": SUBSCRIPTION_STATUSES.get(_text(s.get("status")), _text(s.get("status"))),
        }
        for s in doc.get("subscriptions") or []
        if isinstance(s, dict)
    ]
    return DossierView(
        number=_text(doc.get("number")),
        family_name=_text(doc.get("family_name")),
        address_lines=[line for line in lines if line],
        adults=adults,
        children=children,
        subscriptions=subscriptions,
        invoices_by_email=bool(doc.get("invoices_by_email")),
    )


async def _dossier_or_none(request: web.Request) -> dict[str, Any] | None:
    """The caller's family file, or ``None`` while the account has none."""
    if require_caller(request).session.dossier_id is None:
        return None
    try:
        return await accounts.get_dossier(request)
    except UpstreamProblem as problem:
        if problem.status in (403, 404) and problem.type_name in ("no_dossier", "not_found"):
            return None
        raise


async def _login_email(request: web.Request) -> str:
    """The account's own address (« Mon compte »): where the portal's e-mails go."""
    me = await accounts.get_me(request)
    user = me.get("user") if isinstance(me, dict) else None
    return _text(user.get("email")) if isinstance(user, dict) else ""


@login_required
async def view(request: web.Request) -> web.Response:
    doc = await _dossier_or_none(request)
    context = {
        "dossier": dossier_view(doc) if doc is not None else None,
        "message": MESSAGES.get(request.query.get("message", "")),
    }
    if doc is None:
        context |= {"login_email": await _login_email(request), "demarches": None}
    else:
        login_email, demarches = await asyncio.gather(_login_email(request), family_demarches(request))
        context |= {"login_email": login_email, "demarches": demarches}
    return render(request, "dossier/view.html", context)


def _edit_page(request: web.Request, dossier: DossierView, form: Form, *, status: int = 200) -> web.Response:
    return render(request, "dossier/edit.html", {"dossier": dossier, "form": form}, status=status)


def _field(index: int, name: str) -> str:
    return f"adults-{index}-{name}"


@login_required
async def edit_form(request: web.Request) -> web.Response:
    doc = await _dossier_or_none(request)
    if doc is None:
        return redirect("/dossier/rattacher")
    dossier = dossier_view(doc)
    values: dict[str, Any] = {"invoices_by_email": dossier.invoices_by_email}
    for index, adult in enumerate(dossier.adults):
        values.update({_field(index, name): adult[name] for name in CONTACT_FIELDS})
    return _edit_page(request, dossier, Form(values=values))


@login_required
async def edit(request: web.Request) -> web.Response:
    doc = await _dossier_or_none(request)
    if doc is None:
        return redirect("/dossier/rattacher")
    dossier = dossier_view(doc)
    names = [_field(i, name) for i in range(len(dossier.adults)) for name in CONTACT_FIELDS]
    values: dict[str, Any] = await read_form(request, (*names, "invoices_by_email"))
    values["invoices_by_email"] = values["invoices_by_email"] == "oui"
    changes = {
        "adults": [
            {"id": adult["id"], **{name: values[_field(i, name)] or None for name in CONTACT_FIELDS}}
            for i, adult in enumerate(dossier.adults)
        ],
        "invoices_by_email": values["invoices_by_email"],
    }
    form = Form(values=values)
    try:
        await accounts.patch_dossier(request, changes)
    except UpstreamProblem as problem:
        if problem.status not in (409, 422):
            raise
        # "adults.0.phone_mobile" (the service's field) is "adults-0-phone_mobile" here.
        form.apply_problem(problem, (*names, "invoices_by_email"), rename=lambda f: f.replace(".", "-"))
        return _edit_page(request, dossier, form, status=problem.status)
    return redirect("/dossier?message=modifie")


def _link_page(request: web.Request, form: Form, *, status: int = 200) -> web.Response:
    return render(request, "dossier/link.html", {"form": form}, status=status)


@login_required
async def link_form(request: web.Request) -> web.Response:
    if require_caller(request).session.dossier_id is not None:
        return redirect("/dossier")
    return _link_page(request, Form())


@login_required
async def link(request: web.Request) -> web.Response:
    caller = require_caller(request)
    values = await read_form(request, ("dossier_number", "family_name"))
    form = Form(values=values)
    if not values["dossier_number"]:
        form.error("dossier_number", "Saisissez le numéro de dossier indiqué par votre collectivité.")
    if not values["family_name"]:
        form.error("family_name", "Saisissez le nom indiqué par votre collectivité.")
    if form.has_errors:
        return _link_page(request, form, status=422)
    try:
        await accounts.link_dossier(request, values["dossier_number"], values["family_name"])
    except UpstreamProblem as problem:
        if problem.status not in (409, 422, 429):
            raise
        form.apply_problem(problem, ("dossier_number", "family_name"))
        response = _link_page(request, form, status=problem.status)
        if problem.retry_after:
            response.headers["Retry-After"] = problem.retry_after
        return response
    # The user's sessions now stand for a dossier: their cached resolutions are out of date.
    auth.forget_user_sessions(request, caller.session.user_id)
    return redirect("/dossier?message=rattache")


def setup(app: web.Application) -> None:
    app.router.add_get("/dossier", view, name="dossier")
    app.router.add_get("/dossier/modifier", edit_form)
    app.router.add_post("/dossier/modifier", edit)
    app.router.add_get("/dossier/rattacher", link_form)
    app.router.add_post("/dossier/rattacher", link)
