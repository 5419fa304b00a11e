"""« Mon compte »: the login's own details, change of password and of e-mail address."""

from __future__ import annotations

from aiohttp import web

from .. import auth
from ..clients import accounts
from ..clients.base import UpstreamProblem
from ..pages import render
from .forms import (
    PASSWORD_RULES,
    Form,
    login_required,
    read_form,
    read_raw,
    redirect,
    require_caller,
)

MESSAGES = {
    "mot-de-passe-modifie": "Votre mot de passe a été modifié.",
    "email-envoye": (
        "Un e-mail de confirmation vient d'être envoyé à votre nouvelle adresse. "
        "Cliquez sur le lien qu'il contient pour confirmer le changement."
    ),
}


@login_required
async def account(request: web.Request) -> web.Response:
    me = await accounts.get_me(request)
    user = me.get("user") if isinstance(me, dict) else None
    context = {"me": user if isinstance(user, dict) else {}, "message": MESSAGES.get(request.query.get("message", ""))}
    return render(request, "account/account.html", context)


def _password_page(request: web.Request, form: Form, *, status: int = 200) -> web.Response:
    return render(request, "account/password.html", {"form": form, "password_rules": PASSWORD_RULES}, status=status)


@login_required
async def password_form(request: web.Request) -> web.Response:
    return _password_page(request, Form())


@login_required
async def change_password(request: web.Request) -> web.Response:
    caller = require_caller(request)
    current = await read_raw(request, "current_password")
    new = await read_raw(request, "new_password")
    confirmation = await read_raw(request, "confirmation")
    form = Form()
    if not current:
        form.error("current_password", "Saisissez votre mot de passe actuel.")
    if not new:
        form.error("new_password", "Choisissez un nouveau mot de passe.")
    elif new != confirmation:
        form.error("confirmation", "Les deux mots de passe saisis ne sont pas identiques.")
    if form.has_errors:
        return _password_page(request, form, status=422)
    try:
        await accounts.change_password(request, current, new, caller.token)
    except UpstreamProblem as problem:
        if problem.status not in (400, 401, 403, 422, 429):
            raise
        form.apply_problem(problem, ("current_password", "new_password"))
        if not problem.errors and problem.status in (401, 403):
            # A wrong current password: said beside the field it concerns.
            form.general.clear()
            form.error("current_password", problem.title)
        return _password_page(request, form, status=problem.status)
    # Accounts closed the other sessions and kept this one: none of their cache entries stays.
    auth.forget_user_sessions(request, caller.session.user_id)
    return redirect("/compte?message=mot-de-passe-modifie")


def _email_page(request: web.Request, form: Form, *, status: int = 200) -> web.Response:
    return render(request, "account/email.html", {"form": form}, status=status)


@login_required
async def email_form(request: web.Request) -> web.Response:
    return _email_page(request, Form())


@login_required
async def change_email(request: web.Request) -> web.Response:
    values = await read_form(request, ("new_email",))
    password = await read_raw(request, "password")
    form = Form(values=values)
    if not values["new_email"]:
        form.error("new_email", "Saisissez votre nouvelle adresse e-mail.")
    if not password:
        form.error("password", "Saisissez votre mot de passe.")
    if form.has_errors:
        return _email_page(request, form, status=422)
    try:
        await accounts.change_email(request, values["new_email"], password)
    except UpstreamProblem as problem:
        if problem.status not in (400, 401, 403, 409, 422, 429):
            raise
        form.apply_problem(problem, ("new_email", "password"))
        if not problem.errors and problem.status in (401, 403):
            form.general.clear()
            form.error("password", problem.title)
        return _email_page(request, form, status=problem.status)
    return redirect("/compte?message=email-envoye")


def _confirm_invalid(request: web.Request, sentence: str | None, *, status: int) -> web.Response:
    context = {
        "heading": "Ce lien n'est plus valable",
        "sentence": sentence or "Ce lien de confirmation a déjà servi ou a expiré.",
        "action_href": "/compte/email",
        "action_label": "Modifier mon adresse e-mail",
    }
    return render(request, "auth/link_invalid.html", context, status=status)


async def confirm_email_form(request: web.Request) -> web.Response:
    # As for activation: a GET only shows the button, e-mail scanners follow links.
    token = request.query.get("token", "").strip()
    if not token:
        return _confirm_invalid(request, None, status=404)
    return render(request, "account/email_confirm.html", {"token": token})


async def confirm_email(request: web.Request) -> web.Response:
    token = (await read_form(request, ("token",)))["token"]
    if not token:
        return _confirm_invalid(request, None, status=404)
    try:
        await accounts.confirm_email_change(request, token)
    except UpstreamProblem as problem:
        if problem.status == 429:
            raise
        return _confirm_invalid(request, problem.title, status=problem.status)
    return redirect("/email/confirmee")


async def email_confirmed(request: web.Request) -> web.Response:
    return render(request, "account/email_confirmed.html")


def setup(app: web.Application) -> None:
    app.router.add_get("/compte", account, name="account")
    app.router.add_get("/compte/mot-de-passe", password_form)
    app.router.add_post("/compte/mot-de-passe", change_password)
    app.router.add_get("/compte/email", email_form)
    app.router.add_post("/compte/email", change_email)
    app.router.add_get("/email/confirmer", confirm_email_form, name="confirm_email")
    app.router.add_post("/email/confirmer", confirm_email)
    app.router.add_get("/email/confirmee", email_confirmed)
