"""After the wizard: « Bienvenue sur le portail » (where the e-mail went, « Renvoyer
l'e-mail ») and the activation link of that e-mail."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..clients import accounts
from ..clients.base import UpstreamProblem
from ..pages import render
from ..settings import SETTINGS, GatewaySettings
from .forms import PASSWORD_RULES, Form, read_form, read_raw, redirect, retry_sentence, sign, unsign

WELCOME_COOKIE = "pf_bienvenue"
WELCOME_PURPOSE = b"pf-welcome"
WELCOME_PATH = "/inscription/bienvenue"
RESEND_PATH = WELCOME_PATH + "/renvoyer"
# Long enough to come back for « Renvoyer l'e-mail » when the first one is slow to arrive.
WELCOME_MAX_AGE = 60 * 60

RESENT = "Un nouvel e-mail d'activation vient d'être envoyé à {to}. Le lien de l'e-mail précédent ne fonctionne plus."
RESENT_TO_ADDRESS_TYPED = (
    "Si un compte en attente d'activation utilise cette adresse, un nouvel e-mail d'activation vient de lui être "
    "envoyé. Le lien de l'e-mail précédent ne fonctionne plus."
)
RESEND_THROTTLED = "Vous avez déjà demandé plusieurs e-mails d'activation."


def mask_email(email: str) -> str:
    """``jeanne.martin@exemple.fr`` → ``j•••@exemple.fr``: enough to recognise one's own
    address, not enough to read someone else's off a shared screen."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain:
        return ""
    return f"{local[0]}•••@{domain}"


def set_welcome_cookie(response: web.StreamResponse, settings: GatewaySettings, draft: dict[str, Any]) -> None:
    """What the welcome page says: the names, and the address (for « Renvoyer l'e-mail »)."""
    data = {name: str(draft.get(name) or "") for name in ("first_name", "last_name", "email")}
    response.set_cookie(
        WELCOME_COOKIE,
        sign(settings, WELCOME_PURPOSE, data),
        max_age=WELCOME_MAX_AGE,
        path=WELCOME_PATH,
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
    )


def _welcomed(request: web.Request) -> dict[str, str]:
    return unsign(request.app[SETTINGS], WELCOME_PURPOSE, request.cookies.get(WELCOME_COOKIE)) or {}


def _welcome_page(request: web.Request, form: Form, *, status: int = 200) -> web.Response:
    who = _welcomed(request)
    full_name = " ".join(str(who.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    masked = mask_email(str(who.get("email") or ""))
    sent = None
    if request.query.get("envoye") == "1":
        sent = RESENT.format(to=masked) if masked else RESENT_TO_ADDRESS_TYPED
    context = {"full_name": full_name, "masked_email": masked, "form": form, "sent": sent, "resend_path": RESEND_PATH}
    return render(request, "registration/welcome.html", context, status=status)


async def welcome(request: web.Request) -> web.Response:
    return _welcome_page(request, Form())


async def resend(request: web.Request) -> web.Response:
    """« Renvoyer l'e-mail »: to the address of the registration just made (the signed
    cookie), or to the one typed when that cookie is gone. The answer is the same whether
    an account waits at the address or not."""
    email = str(_welcomed(request).get("email") or "")
    form = Form()
    if not email:
        typed = (await read_form(request, ("email",)))["email"]
        form.values["email"] = typed
        if not typed:
            form.error("email", "Saisissez l'adresse e-mail utilisée pour votre inscription.")
            return _welcome_page(request, form, status=422)
        email = typed
    try:
        await accounts.resend_activation(request, email)
    except UpstreamProblem as problem:
        if problem.status == 422:
            form.apply_problem(problem, ("email",))
        elif problem.status == 429:
            form.summary_title = RESEND_THROTTLED
            form.general.append(retry_sentence(problem))
        else:
            raise
        response = _welcome_page(request, form, status=problem.status)
        if problem.retry_after:
            response.headers["Retry-After"] = problem.retry_after
        return response
    return redirect(WELCOME_PATH + "?envoye=1")


# --- activation (the link of the e-mail) ------------------------------------------------


def _activation_refused(request: web.Request, problem: UpstreamProblem | None, *, status: int) -> web.Response:
    if problem is not None and problem.type_name == "activation_token_used":
        # The account is active already: what the parent wants now is to sign in.
        context = {
            "heading": "Ce lien d'activation a déjà servi",
            "sentence": problem.title,
            "action_href": "/connexion",
            "action_label": "Se connecter",
            "other_href": "/mot-de-passe-oublie",
            "other_label": "Mot de passe oublié ?",
        }
    else:
        context = {
            "heading": "Ce lien d'activation n'est plus valable",
            "sentence": (problem.title if problem is not None else None)
            or "Ce lien a déjà servi ou a expiré : un compte non activé dans les 24 heures est supprimé.",
            "action_href": "/inscription",
            "action_label": "Recommencer mon inscription",
            # A link replaced by a newer one, or expired before the account was removed.
            "other_href": WELCOME_PATH,
            "other_label": "Recevoir un nouvel e-mail d'activation",
        }
    return render(request, "auth/link_invalid.html", context, status=status)


def _activation_page(request: web.Request, token: str, form: Form, *, with_password: bool, status: int = 200):
    context = {"token": token, "form": form, "with_password": with_password, "password_rules": PASSWORD_RULES}
    return render(request, "registration/activation.html", context, status=status)


async def activation_form(request: web.Request) -> web.Response:
    # E-mail scanners open links by themselves: this page only offers the button.
    token = request.query.get("token", "").strip()
    if not token:
        return _activation_refused(request, None, status=404)
    return _activation_page(request, token, Form(), with_password=False)


async def activate(request: web.Request) -> web.Response:
    values = await read_form(request, ("token", "with_password"))
    token = values["token"]
    if not token:
        return _activation_refused(request, None, status=404)
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
        return _activation_refused(request, problem, status=problem.status)
    return redirect("/activation/terminee")


async def activated(request: web.Request) -> web.Response:
    return render(request, "registration/activated.html")


def setup(app: web.Application) -> None:
    app.router.add_get(WELCOME_PATH, welcome)
    app.router.add_post(RESEND_PATH, resend)
    app.router.add_get("/activation", activation_form, name="activation")
    app.router.add_post("/activation", activate)
    app.router.add_get("/activation/terminee", activated)
