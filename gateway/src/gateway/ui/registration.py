"""« Inscrivez-vous »: the 4-step registration wizard, its welcome page and the activation.

The wizard's state lives at accounts as a registration draft (the password hashed as soon
as step 1 is saved); the browser holds only the draft id, in the HttpOnly ``pf_reg``
cookie. Each step is a form that saves its part of the draft and redirects to the next
step; a step whose predecessors are not done redirects back to the first missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..clients import accounts
from ..clients.base import UpstreamProblem
from ..pages import render
from ..settings import SETTINGS, GatewaySettings
from .forms import PASSWORD_RULES, Form, read_form, read_raw, redirect, sign, unsign

DRAFT_COOKIE = "pf_reg"
DRAFT_COOKIE_PATH = "/inscription"
DRAFT_COOKIE_MAX_AGE = 24 * 3600
WELCOME_COOKIE = "pf_bienvenue"
WELCOME_PURPOSE = b"pf-welcome"
WELCOME_PATH = "/inscription/bienvenue"
WELCOME_MAX_AGE = 15 * 60


@dataclass(frozen=True)
class Step:
    slug: str
    label: str
    done_key: str | None

    @property
    def href(self) -> str:
        return f"/inscription/{self.slug}"


STEPS = (
    Step("informations", "Mes informations", "identity"),
    Step("dossier", "Mes références dossier", "dossier"),
    Step("conditions", "Conditions d'utilisation", "terms"),
    Step("recapitulatif", "Récapitulatif", None),
)
IDENTITY_FIELDS = ("last_name", "first_name", "email", "username", "password", "mobile_display")
DOSSIER_FIELDS = ("dossier_number", "dossier_name")

MESSAGES = {
    "annulee": "Votre inscription a été annulée. Vous pouvez la recommencer ci-dessous.",
    "expiree": "Votre inscription en cours a expiré. Merci de la recommencer.",
}
ACCEPT_TERMS = "Vous devez accepter les conditions générales d'utilisation du site pour continuer votre inscription."


# --- the draft held by the browser ---------------------------------------------------


def _set_draft_cookie(response: web.StreamResponse, settings: GatewaySettings, draft_id: str) -> None:
    response.set_cookie(
        DRAFT_COOKIE,
        draft_id,
        max_age=DRAFT_COOKIE_MAX_AGE,
        path=DRAFT_COOKIE_PATH,
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
    )


def _clear_draft_cookie(response: web.StreamResponse, settings: GatewaySettings) -> None:
    response.del_cookie(
        DRAFT_COOKIE, path=DRAFT_COOKIE_PATH, httponly=True, samesite="Lax", secure=settings.secure_cookies
    )


async def _load_draft(request: web.Request) -> tuple[str | None, dict[str, Any] | None]:
    """``(draft_id, draft)`` from the cookie, or ``(None, None)`` when there is none (left)."""
    draft_id = request.cookies.get(DRAFT_COOKIE)
    if not draft_id:
        return None, None
    try:
        return draft_id, await accounts.get_draft(request, draft_id)
    except accounts.InvalidDraftId:
        return None, None
    except UpstreamProblem as problem:
        if problem.status in (404, 410):
            return None, None
        raise


def _done(draft: dict[str, Any] | None) -> dict[str, bool]:
    done = (draft or {}).get("step_done") or {}
    return {key: bool(done.get(key)) for key in ("identity", "dossier", "terms")}


def _first_missing(draft: dict[str, Any] | None) -> Step:
    done = _done(draft)
    for step in STEPS:
        if step.done_key is None or not done[step.done_key]:
            return step
    return STEPS[-1]


def _gate(request: web.Request, draft: dict[str, Any] | None, step: Step) -> web.Response | None:
    """A redirect to the first step not done yet when ``step`` cannot be shown."""
    first = _first_missing(draft)
    if STEPS.index(first) < STEPS.index(step):
        lost = draft is None and DRAFT_COOKIE in request.cookies
        return redirect(first.href + ("?message=expiree" if lost else ""))
    return None


def _indicator(draft: dict[str, Any] | None, current: Step) -> list[dict[str, Any]]:
    done = _done(draft)
    reachable = STEPS.index(_first_missing(draft))
    return [
        {
            "number": number,
            "label": step.label,
            "href": step.href,
            "done": step.done_key is not None and done[step.done_key],
            "current": step is current,
            "reachable": STEPS.index(step) <= reachable,
        }
        for number, step in enumerate(STEPS, start=1)
    ]


def _page(
    request: web.Request,
    template: str,
    step: Step,
    draft: dict[str, Any] | None,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> web.Response:
    index = STEPS.index(step)
    page = {
        "step": step,
        "step_number": index + 1,
        "steps": _indicator(draft, step),
        "previous": STEPS[index - 1] if index > 0 else None,
        "message": MESSAGES.get(request.query.get("message", "")),
        **context,
    }
    return render(request, f"registration/{template}", page, status=status)


async def start(request: web.Request) -> web.Response:
    _, draft = await _load_draft(request)
    return redirect(_first_missing(draft).href)


# --- step 1: « Mes informations » -------------------------------------------------------


async def _suggestion(request: web.Request, last_name: str, first_name: str) -> list[str]:
    if not (last_name and first_name):
        return []
    try:
        return await accounts.username_suggestions(request, last_name, first_name)
    except UpstreamProblem:
        return []


def _identity_page(request, draft, form: Form, suggestions: list[str], *, status: int = 200) -> web.Response:
    context = {"form": form, "password_rules": PASSWORD_RULES, "suggestions": suggestions}
    return _page(request, "identity.html", STEPS[0], draft, context, status=status)


async def identity_form(request: web.Request) -> web.Response:
    _, draft = await _load_draft(request)
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
        suggestions = await _suggestion(request, values["last_name"], values["first_name"])
        values["username"] = suggestions[0] if suggestions else ""
    draft_id, draft = await _load_draft(request)
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
            suggestions = await _suggestion(request, values["last_name"], values["first_name"])
        response = _identity_page(request, draft, form, suggestions, status=422)
    else:
        response = redirect(STEPS[1].href)
    if new_draft:
        _set_draft_cookie(response, settings, draft_id)
    return response


# --- step 2: « Mes références dossier » -------------------------------------------------


def _dossier_page(request, draft, form: Form, *, status: int = 200) -> web.Response:
    return _page(request, "dossier.html", STEPS[1], draft, {"form": form}, status=status)


async def dossier_form(request: web.Request) -> web.Response:
    _, draft = await _load_draft(request)
    if (gate := _gate(request, draft, STEPS[1])) is not None:
        return gate
    values = {name: (draft or {}).get(name) or "" for name in DOSSIER_FIELDS}
    return _dossier_page(request, draft, Form(values=values))


async def save_dossier(request: web.Request) -> web.Response:
    draft_id, draft = await _load_draft(request)
    if (gate := _gate(request, draft, STEPS[1])) is not None:
        return gate
    values = await read_form(request, (*DOSSIER_FIELDS, "action"))
    without = values.pop("action") == "sans"
    form = Form(values=values)
    if without:
        payload: dict[str, Any] = {"without_dossier": True}
    else:
        if not values["dossier_number"]:
            form.error("dossier_number", "Saisissez le numéro de dossier indiqué par votre collectivité.")
        if not values["dossier_name"]:
            form.error("dossier_name", "Saisissez le nom indiqué par votre collectivité.")
        if form.has_errors:
            return _dossier_page(request, draft, form, status=422)
        payload = dict(values)
    try:
        await accounts.put_draft_dossier(request, draft_id, payload)
    except UpstreamProblem as problem:
        if problem.status not in (409, 422, 429):
            raise
        form.apply_problem(problem, DOSSIER_FIELDS)
        response = _dossier_page(request, draft, form, status=problem.status)
        if problem.retry_after:
            response.headers["Retry-After"] = problem.retry_after
        return response
    return redirect(STEPS[2].href)


# --- step 3: « Conditions d'utilisation » -----------------------------------------------


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


async def _terms_page(request, draft, form: Form, *, status: int = 200) -> web.Response:
    terms = await accounts.get_terms(request)
    version = str(terms.get("version", ""))
    if "accepted" not in form.values:
        form.values["accepted"] = bool(draft and draft.get("terms_version") == version and _done(draft)["terms"])
    context = {"form": form, "terms_version": version, "terms_paragraphs": _paragraphs(str(terms.get("text", "")))}
    return _page(request, "terms.html", STEPS[2], draft, context, status=status)


async def terms_form(request: web.Request) -> web.Response:
    _, draft = await _load_draft(request)
    if (gate := _gate(request, draft, STEPS[2])) is not None:
        return gate
    return await _terms_page(request, draft, Form())


async def accept_terms(request: web.Request) -> web.Response:
    draft_id, draft = await _load_draft(request)
    if (gate := _gate(request, draft, STEPS[2])) is not None:
        return gate
    values = await read_form(request, ("accepted", "terms_version"))
    form = Form(values={"accepted": values["accepted"] == "oui"})
    if not form.values["accepted"]:
        form.summary_title = ACCEPT_TERMS
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
    return redirect(STEPS[3].href)


# --- step 4: « Récapitulatif » ----------------------------------------------------------


def _summary_page(request, draft, form: Form, *, status: int = 200) -> web.Response:
    return _page(request, "summary.html", STEPS[3], draft, {"form": form, "draft": draft}, status=status)


async def summary(request: web.Request) -> web.Response:
    _, draft = await _load_draft(request)
    if (gate := _gate(request, draft, STEPS[3])) is not None:
        return gate
    return _summary_page(request, draft, Form())


async def submit(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    draft_id, draft = await _load_draft(request)
    if (gate := _gate(request, draft, STEPS[3])) is not None:
        return gate
    try:
        await accounts.submit_draft(request, draft_id)
    except UpstreamProblem as problem:
        if problem.status in (404, 410):
            return redirect(STEPS[0].href + "?message=expiree")
        if problem.status not in (409, 422, 429):
            raise
        form = Form()
        form.apply_problem(problem, ())
        return _summary_page(request, draft, form, status=problem.status)
    response = redirect(WELCOME_PATH)
    _clear_draft_cookie(response, settings)
    name = {"first_name": draft.get("first_name") or "", "last_name": draft.get("last_name") or ""}
    response.set_cookie(
        WELCOME_COOKIE,
        sign(settings, WELCOME_PURPOSE, name),
        max_age=WELCOME_MAX_AGE,
        path=WELCOME_PATH,
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
    )
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
    response = redirect(STEPS[0].href + "?message=annulee")
    _clear_draft_cookie(response, request.app[SETTINGS])
    return response


# --- « Bienvenue sur le portail » -------------------------------------------------------


async def welcome(request: web.Request) -> web.Response:
    name = unsign(request.app[SETTINGS], WELCOME_PURPOSE, request.cookies.get(WELCOME_COOKIE)) or {}
    full_name = " ".join(str(name.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    return render(request, "registration/welcome.html", {"full_name": full_name})


# --- activation (the link of the e-mail) ------------------------------------------------


def _activation_invalid(request: web.Request, sentence: str | None, *, status: int) -> web.Response:
    context = {
        "heading": "Ce lien d'activation n'est plus valable",
        "sentence": sentence
        or "Ce lien a déjà servi ou a expiré : un compte non activé dans les 24 heures est supprimé.",
        "action_href": "/inscription",
        "action_label": "Recommencer mon inscription",
    }
    return render(request, "auth/link_invalid.html", context, status=status)


def _activation_page(request: web.Request, token: str, form: Form, *, with_password: bool, status: int = 200):
    context = {"token": token, "form": form, "with_password": with_password, "password_rules": PASSWORD_RULES}
    return render(request, "registration/activation.html", context, status=status)


async def activation_form(request: web.Request) -> web.Response:
    # E-mail scanners open links by themselves: this page only offers the button.
    token = request.query.get("token", "").strip()
    if not token:
        return _activation_invalid(request, None, status=404)
    return _activation_page(request, token, Form(), with_password=False)


async def activate(request: web.Request) -> web.Response:
    values = await read_form(request, ("token", "with_password"))
    token = values["token"]
    if not token:
        return _activation_invalid(request, None, status=404)
    # Accounts made by the town's staff have no password yet: it is chosen here.
    with_password = values["with_password"] == "oui"
    password = await read_raw(request, "password") if with_password else None
    form = Form()
    if with_password:
        if not password:
            form.error("password", "Choisissez un mot de passe.")
        elif password != await read_raw(request, "confirmation"):
            form.error("confirmation", "Les deux mots de passe saisis ne sont pas identiques.")
        if form.has_errors:
            return _activation_page(request, token, form, with_password=True, status=422)
    try:
        await accounts.activate(request, token, password)
    except UpstreamProblem as problem:
        if problem.status == 429:
            raise
        if problem.type_name in ("already_active", "already_activated"):
            return redirect("/activation/terminee")
        if problem.status == 422 and (
            problem.type_name == "password_required" or any(e.get("field") == "password" for e in problem.errors)
        ):
            if with_password:
                form.apply_problem(problem, ("password",))
            return _activation_page(request, token, form, with_password=True, status=422 if with_password else 200)
        return _activation_invalid(request, problem.title, status=problem.status)
    return redirect("/activation/terminee")


async def activated(request: web.Request) -> web.Response:
    return render(request, "registration/activated.html")


def setup(app: web.Application) -> None:
    app.router.add_get("/inscription", start, name="registration")
    app.router.add_get("/inscription/informations", identity_form)
    app.router.add_post("/inscription/informations", save_identity)
    app.router.add_get("/inscription/dossier", dossier_form)
    app.router.add_post("/inscription/dossier", save_dossier)
    app.router.add_get("/inscription/conditions", terms_form)
    app.router.add_post("/inscription/conditions", accept_terms)
    app.router.add_get("/inscription/recapitulatif", summary)
    app.router.add_post("/inscription/valider", submit)
    app.router.add_post("/inscription/annuler", cancel)
    app.router.add_get(WELCOME_PATH, welcome)
    app.router.add_get("/activation", activation_form, name="activation")
    app.router.add_post("/activation", activate)
    app.router.add_get("/activation/terminee", activated)
