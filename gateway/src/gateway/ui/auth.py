"""Pages: « Connexion », « Se déconnecter », « Mot de passe oublié » and the new password."""

from __future__ import annotations

from aiohttp import web

from .. import auth
from ..caller import current_caller
from ..clients import accounts
from ..clients.base import UpstreamProblem
from ..pages import render
from ..settings import SETTINGS
from .forms import PASSWORD_RULES, Form, read_form, read_raw, redirect, retry_sentence, safe_next

LOGIN_MESSAGES = {
    "deconnecte": "Vous êtes déconnecté. À bientôt sur le Portail Famille.",
    "mot-de-passe-modifie": "Votre mot de passe a été modifié. Connectez-vous avec votre nouveau mot de passe.",
    "compte-active": "Votre compte est activé. Connectez-vous pour accéder à votre espace.",
}
BAD_CREDENTIALS = "Nom d'utilisateur ou mot de passe incorrect."
NOT_ACTIVE = (
    "Votre compte n'est pas encore activé. Cliquez sur le lien de l'e-mail que nous vous avons "
    "envoyé à votre inscription (pensez à regarder dans vos courriers indésirables)."
)
RESET_SENT = (
    "Si cette adresse correspond à un compte du portail, un e-mail vient de lui être envoyé avec "
    "un lien pour choisir un nouveau mot de passe. Ce lien ne sert qu'une fois et n'est valable "
    "que peu de temps. Pensez à regarder dans vos courriers indésirables."
)


def _login_page(
    request: web.Request, form: Form, next_: str, *, status: int = 200, not_active: bool = False
) -> web.Response:
    message = LOGIN_MESSAGES.get(request.query.get("message", ""))
    context = {"form": form, "next": next_, "message": message, "not_active": not_active}
    return render(request, "auth/login.html", context, status=status)


async def login_form(request: web.Request) -> web.Response:
    next_ = safe_next(request.query.get("next"))
    if current_caller(request) is not None:
        raise web.HTTPSeeOther(next_)
    return _login_page(request, Form(), next_)


async def login(request: web.Request) -> web.Response:
    values = await read_form(request, ("username", "next"))
    password = await read_raw(request, "password")
    next_ = safe_next(values["next"])
    form = Form(values={"username": values["username"]})
    if not values["username"]:
        form.error("username", "Saisissez votre nom d'utilisateur.")
    if not password:
        form.error("password", "Saisissez votre mot de passe.")
    if form.has_errors:
        return _login_page(request, form, next_, status=422)
    try:
        token, expires_at, _ = await auth.log_in(request, values["username"], password)
    except UpstreamProblem as problem:
        not_active = problem.status == 403 and problem.type_name in ("account_not_activated", "account_not_active")
        if problem.status == 401:
            # Which of the two is wrong is not told: one sentence about both fields.
            form.error_together(("username", "password"), BAD_CREDENTIALS)
        elif not_active:
            form.summary_title = "Compte non activé"
            form.general.append(NOT_ACTIVE)
        elif problem.status == 429:
            form.summary_title = problem.title
            form.general.append(retry_sentence(problem))
        else:
            form.apply_problem(problem, ("username", "password"))
        response = _login_page(request, form, next_, status=problem.status, not_active=not_active)
        if problem.retry_after:
            response.headers["Retry-After"] = problem.retry_after
        return response
    response = redirect(next_)
    auth.set_session_cookie(response, request.app[SETTINGS], token, expires_at)
    return response


async def logout(request: web.Request) -> web.Response:
    await auth.log_out(request)
    response = redirect("/connexion?message=deconnecte")
    auth.clear_session_cookie(response, request.app[SETTINGS])
    return response


async def forgotten_password_form(request: web.Request) -> web.Response:
    sent = request.query.get("envoye") == "1"
    return render(request, "auth/forgotten_password.html", {"form": Form(), "sent": sent, "sent_sentence": RESET_SENT})


async def forgotten_password(request: web.Request) -> web.Response:
    values = await read_form(request, ("email",))
    form = Form(values=values)
    if not values["email"]:
        form.error("email", "Saisissez l'adresse e-mail de votre compte.")
    else:
        try:
            await accounts.request_password_reset(request, values["email"])
        except UpstreamProblem as problem:
            # Only what the address looks like or the pace of requests may be told: never
            # whether an account uses it.
            if problem.status == 422:
                form.apply_problem(problem, ("email",))
            elif problem.status == 429:
                form.summary_title = problem.title
                form.general.append(retry_sentence(problem))
    if form.has_errors:
        context = {"form": form, "sent": False, "sent_sentence": RESET_SENT}
        return render(request, "auth/forgotten_password.html", context, status=422)
    return redirect("/mot-de-passe-oublie?envoye=1")


def _link_invalid(request: web.Request, sentence: str | None, *, status: int) -> web.Response:
    context = {
        "heading": "Ce lien n'est plus valable",
        "sentence": sentence or "Ce lien a déjà servi ou a expiré.",
        "action_href": "/mot-de-passe-oublie",
        "action_label": "Demander un nouveau lien",
    }
    return render(request, "auth/link_invalid.html", context, status=status)


def _reset_page(request: web.Request, form: Form, token: str, *, status: int = 200) -> web.Response:
    context = {"form": form, "token": token, "password_rules": PASSWORD_RULES}
    return render(request, "auth/new_password.html", context, status=status)


async def new_password_form(request: web.Request) -> web.Response:
    token = request.query.get("token", "").strip()
    if not token:
        return _link_invalid(request, None, status=404)
    return _reset_page(request, Form(), token)


async def new_password(request: web.Request) -> web.Response:
    token = (await read_form(request, ("token",)))["token"]
    password = await read_raw(request, "new_password")
    confirmation = await read_raw(request, "confirmation")
    if not token:
        return _link_invalid(request, None, status=404)
    form = Form()
    if not password:
        form.error("new_password", "Choisissez un nouveau mot de passe.")
    elif password != confirmation:
        form.error("confirmation", "Les deux mots de passe saisis ne sont pas identiques.")
    if form.has_errors:
        return _reset_page(request, form, token, status=422)
    try:
        await accounts.confirm_password_reset(request, token, password)
    except UpstreamProblem as problem:
        if problem.status == 429:
            raise
        if any(e.get("field") == "new_password" for e in problem.errors):
            form.apply_problem(problem, ("new_password",))
            return _reset_page(request, form, token, status=problem.status)
        return _link_invalid(request, problem.title, status=problem.status)
    return redirect("/connexion?message=mot-de-passe-modifie")


def setup(app: web.Application) -> None:
    app.router.add_get("/connexion", login_form, name="login")
    app.router.add_post("/connexion", login)
    app.router.add_post("/deconnexion", logout, name="logout")
    app.router.add_get("/mot-de-passe-oublie", forgotten_password_form, name="forgotten_password")
    app.router.add_post("/mot-de-passe-oublie", forgotten_password)
    app.router.add_get("/mot-de-passe/nouveau", new_password_form, name="new_password")
    app.router.add_post("/mot-de-passe/nouveau", new_password)
