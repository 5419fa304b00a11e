"""« Inscrivez-vous »: the 4 steps of the registration wizard.

Each step is a form that saves its part of the draft kept by accounts and redirects to
the next step (``registration_steps`` holds the frame: steps, draft cookie, gate). The
welcome page and the activation are in ``registration_activation``.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from ..clients import accounts
from ..clients.base import UpstreamProblem
from ..settings import SETTINGS
from . import registration_activation
from .forms import PASSWORD_RULES, Form, read_form, read_raw, redirect
from .registration_steps import (
    DOSSIER,
    DRAFT_COOKIE,
    IDENTITY,
    SUMMARY,
    TERMS,
    clear_draft_cookie,
    done,
    first_missing,
    gate,
    load_draft,
    set_draft_cookie,
    step_page,
)

IDENTITY_FIELDS = ("last_name", "first_name", "email", "username", "password", "mobile_display")
DOSSIER_FIELDS = ("dossier_number", "dossier_name")
ACCEPT_TERMS = "Vous devez accepter les conditions générales d'utilisation du site pour continuer votre inscription."


async def start(request: web.Request) -> web.Response:
    _, draft = await load_draft(request)
    return redirect(first_missing(draft).href)


# --- step 1: « Mes informations » -------------------------------------------------------


async def _suggestions(request: web.Request, values: dict[str, Any]) -> list[str]:
    """Free usernames from the names; the one typed first when it is free."""
    if not (values["last_name"] and values["first_name"]):
        return []
    try:
        return await accounts.username_suggestions(
            request, values["last_name"], values["first_name"], values.get("username") or ""
        )
    except UpstreamProblem:
        return []


def _identity_page(request, draft, form: Form, suggestions: list[str], *, status: int = 200) -> web.Response:
    context = {"form": form, "password_rules": PASSWORD_RULES, "suggestions": suggestions}
    return step_page(request, "identity.html", IDENTITY, draft, context, status=status)


async def identity_form(request: web.Request) -> web.Response:
    _, draft = await load_draft(request)
    values = {name: (draft or {}).get(name) or "" for name in IDENTITY_FIELDS if name != "password"}
    values["mobile_display"] = bool((draft or {}).get("mobile_display"))
    return _identity_page(request, draft, Form(values=values), [])


async def save_identity(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    values: dict[str, Any] = await read_form(
        request, ("last_name", "first_name", "email", "username", "mobile_display")
    )
    values["mobile_display"] = values["mobile_display"] == "oui"
    password = await read_raw(request, "password")
    form = Form(values=values)
    for name, sentence in (
        ("last_name", "Saisissez votre nom."),
        ("first_name", "Saisissez votre prénom."),
        ("email", "Saisissez votre adresse e-mail."),
    ):
        if not values[name]:
            form.error(name, sentence)
    if not password:
        form.error("password", "Choisissez un mot de passe.")
    suggestions: list[str] = []
    if not values["username"]:
        # The username is pre-filled with the first suggestion made from the names.
        suggestions = await _suggestions(request, values)
        values["username"] = suggestions[0] if suggestions else ""
    draft_id, draft = await load_draft(request)
    if form.has_errors:
        return _identity_page(request, draft, form, suggestions, status=422)

    new_draft = draft_id is None
    if new_draft:
        draft_id = await accounts.create_draft(request)
    identity = {**values, "password": password}
    try:
        await accounts.put_draft_identity(request, draft_id, identity)
    except UpstreamProblem as problem:
        if problem.status != 422:
            raise
        form.apply_problem(problem, IDENTITY_FIELDS)
        if "username" in form.errors:
            suggestions = await _suggestions(request, values)
        response = _identity_page(request, draft, form, suggestions, status=422)
    else:
        response = redirect(DOSSIER.href)
    if new_draft:
        set_draft_cookie(response, settings, draft_id)
    return response


# --- step 2: « Mes références dossier » -------------------------------------------------

WITHOUT_DOSSIER_PATH = "/inscription/dossier/sans"


def _dossier_page(request, draft, form: Form, *, status: int = 200) -> web.Response:
    context = {"form": form, "without_href": WITHOUT_DOSSIER_PATH}
    return step_page(request, "dossier.html", DOSSIER, draft, context, status=status)


async def dossier_form(request: web.Request) -> web.Response:
    _, draft = await load_draft(request)
    if (refused := gate(request, draft, DOSSIER)) is not None:
        return refused
    values = {name: (draft or {}).get(name) or "" for name in DOSSIER_FIELDS}
    return _dossier_page(request, draft, Form(values=values))


async def save_dossier(request: web.Request) -> web.Response:
    draft_id, draft = await load_draft(request)
    if (refused := gate(request, draft, DOSSIER)) is not None:
        return refused
    values = await read_form(request, DOSSIER_FIELDS)
    form = Form(values=values)
    if not values["dossier_number"]:
        form.error("dossier_number", "Saisissez le numéro de dossier indiqué par votre collectivité.")
    if not values["dossier_name"]:
        form.error("dossier_name", "Saisissez le nom indiqué par votre collectivité.")
    if form.has_errors:
        return _dossier_page(request, draft, form, status=422)
    try:
        await accounts.put_draft_dossier(request, draft_id, dict(values))
    except UpstreamProblem as problem:
        if problem.status not in (409, 422, 429):
            raise
        form.apply_problem(problem, DOSSIER_FIELDS)
        response = _dossier_page(request, draft, form, status=problem.status)
        if problem.retry_after:
            response.headers["Retry-After"] = problem.retry_after
        return response
    return redirect(TERMS.href)


async def without_dossier_form(request: web.Request) -> web.Response:
    """« Continuer sans dossier ? »: what the parent will miss, before they choose it."""
    _, draft = await load_draft(request)
    if (refused := gate(request, draft, DOSSIER)) is not None:
        return refused
    return step_page(request, "without_dossier.html", DOSSIER, draft, {"form": Form()})


async def continue_without_dossier(request: web.Request) -> web.Response:
    draft_id, draft = await load_draft(request)
    if (refused := gate(request, draft, DOSSIER)) is not None:
        return refused
    await accounts.put_draft_dossier(request, draft_id, {"without_dossier": True})
    return redirect(TERMS.href)


# --- step 3: « Conditions d'utilisation » -----------------------------------------------

_MARKED_HEADING = re.compile(r"^#{1,6}\s+")
_SENTENCE_END = (".", ":", ";", "!", "?", "…", "»")


def _is_heading(line: str) -> bool:
    line = line.strip()
    return bool(line) and len(line) <= 120 and not line.endswith(_SENTENCE_END)


def terms_blocks(text: str) -> list[tuple[str, str]]:
    """The terms as ``("heading" | "paragraph", text)``: a block's first line is a
    sub-heading when it is marked (``## ...``) or short and ends no sentence, and the
    rest of the block follows it."""
    blocks: list[tuple[str, str]] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if not lines:
            continue
        first, rest = lines[0], lines[1:]
        if _MARKED_HEADING.match(first) or (rest and _is_heading(first)):
            blocks.append(("heading", _MARKED_HEADING.sub("", first)))
            lines = rest
        if lines:
            blocks.append(("paragraph", " ".join(lines)))
    return blocks


async def _terms_page(request, draft, form: Form, *, status: int = 200) -> web.Response:
    terms = await accounts.get_terms(request)
    version = str(terms.get("version", ""))
    if "accepted" not in form.values:
        form.values["accepted"] = bool(draft and draft.get("terms_version") == version and done(draft)["terms"])
    context = {"form": form, "terms_version": version, "terms_blocks": terms_blocks(str(terms.get("text", "")))}
    return step_page(request, "terms.html", TERMS, draft, context, status=status)


async def terms_form(request: web.Request) -> web.Response:
    _, draft = await load_draft(request)
    if (refused := gate(request, draft, TERMS)) is not None:
        return refused
    return await _terms_page(request, draft, Form())


async def accept_terms(request: web.Request) -> web.Response:
    draft_id, draft = await load_draft(request)
    if (refused := gate(request, draft, TERMS)) is not None:
        return refused
    values = await read_form(request, ("accepted", "terms_version"))
    form = Form(values={"accepted": values["accepted"] == "oui"})
    if not form.values["accepted"]:
        form.error("accepted", ACCEPT_TERMS)
        return await _terms_page(request, draft, form, status=422)
    try:
        await accounts.put_draft_terms(request, draft_id, values["terms_version"])
    except UpstreamProblem as problem:
        if problem.status != 422:
            raise
        # Typically terms published meanwhile: the page shows the current text again.
        form.apply_problem(problem, ("accepted",))
        form.values["accepted"] = False
        return await _terms_page(request, draft, form, status=422)
    return redirect(SUMMARY.href)


# --- step 4: « Récapitulatif » ----------------------------------------------------------


def _summary_page(request, draft, form: Form, *, status: int = 200) -> web.Response:
    return step_page(request, "summary.html", SUMMARY, draft, {"form": form, "draft": draft}, status=status)


async def summary(request: web.Request) -> web.Response:
    _, draft = await load_draft(request)
    if (refused := gate(request, draft, SUMMARY)) is not None:
        return refused
    return _summary_page(request, draft, Form())


async def submit(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    draft_id, draft = await load_draft(request)
    if (refused := gate(request, draft, SUMMARY)) is not None:
        return refused
    try:
        await accounts.submit_draft(request, draft_id)
    except UpstreamProblem as problem:
        if problem.status in (404, 410):
            return redirect(IDENTITY.href + "?message=expiree")
        if problem.status not in (409, 422, 429):
            raise
        form = Form()
        form.apply_problem(problem, ())
        return _summary_page(request, draft, form, status=problem.status)
    response = redirect(registration_activation.WELCOME_PATH)
    clear_draft_cookie(response, settings)
    registration_activation.set_welcome_cookie(response, settings, draft)
    return response


async def cancel(request: web.Request) -> web.Response:
    draft_id = request.cookies.get(DRAFT_COOKIE)
    if draft_id:
        try:
            await accounts.delete_draft(request, draft_id)
        except accounts.InvalidDraftId:
            pass
        except UpstreamProblem as problem:
            if problem.status not in (404, 410):
                raise
    response = redirect(IDENTITY.href + "?message=annulee")
    clear_draft_cookie(response, request.app[SETTINGS])
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/inscription", start, name="registration")
    app.router.add_get(IDENTITY.href, identity_form)
    app.router.add_post(IDENTITY.href, save_identity)
    app.router.add_get(DOSSIER.href, dossier_form)
    app.router.add_post(DOSSIER.href, save_dossier)
    app.router.add_get(WITHOUT_DOSSIER_PATH, without_dossier_form)
    app.router.add_post(WITHOUT_DOSSIER_PATH, continue_without_dossier)
    app.router.add_get(TERMS.href, terms_form)
    app.router.add_post(TERMS.href, accept_terms)
    app.router.add_get(SUMMARY.href, summary)
    app.router.add_post("/inscription/valider", submit)
    app.router.add_post("/inscription/annuler", cancel)
    registration_activation.setup(app)
