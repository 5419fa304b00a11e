"""An in-process stand-in for the accounts service: the contract the gateway codes against.

A real aiohttp server holding its state in memory, implementing just enough of each call
(sessions, internal resolution, registration drafts, activation, password reset, the
dossier) for the gateway's pages to be exercised over HTTP. Identity tokens are verified
as a service would, so a test can tell what the gateway signed. Anything else falls
through to the echo of ``standins`` so the proxy tests keep working.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from accounts.domain.errors import BAD_CREDENTIALS, DOSSIER_MISMATCH
from accounts.domain.names import name_key
from accounts.domain.usernames import candidates, normalise_username, username_problem
from accounts.service.registration import ACTIVATION_UNKNOWN, ACTIVATION_USED
from aiohttp import web
from servicekit.identity import (
    IDENTITY_HEADER,
    Identity,
    InvalidIdentity,
    verify_identity,
)

from .contracts import checked
from .standins import (
    IDENTITY_SECRET,
    SEEN,
    SERVICE_NAME,
    echo,
    health,
    misbehaving_routes,
    remember,
)

TYPE = "https://portail-famille.fr/problems/"
TERMS_VERSION = "2026-01"
TERMS_TEXT = (
    "Le Portail famille (ci-après « le Site ») vous est proposé sous certaines conditions.\n\n"
    "Protection du Site (droits d'auteur et droits voisins, droit des marques)\n"
    "Toute reproduction sans accord est une contrefaçon."
)
PASSWORD = "Motdepasse-2026"
RESEND_PER_EMAIL = 3

# accounts.schemas.common.Token: what /internal/sessions/resolve accepts.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def problem(status: int, type_: str, title: str, *, errors=None, headers=None) -> web.Response:
    doc: dict[str, Any] = {"type": TYPE + type_, "title": title, "status": status}
    if errors:
        doc["errors"] = errors
    return web.json_response(doc, status=status, content_type="application/problem+json", headers=headers)


def refusal(status: int, type_: str, title: str) -> web.HTTPException:
    """A problem as an exception, for the helpers that refuse from inside a handler."""
    error = {401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 404: web.HTTPNotFound}[status]
    doc = {"type": TYPE + type_, "title": title, "status": status}
    return error(text=json.dumps(doc), content_type="application/problem+json")


# What servicekit.identity answers, as the real services do.
UNAUTHENTICATED = (401, "unauthenticated", "Vous devez être connecté pour accéder à cette page.")


@dataclass
class User:
    username: str
    password: str
    first_name: str
    last_name: str
    email: str
    status: str = "active"
    roles: list[str] = field(default_factory=lambda: ["parent"])
    dossier_id: str | None = None
    mobile_display: bool = False
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class State:
    users: dict[str, User] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # token -> username
    dossiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    drafts: dict[str, dict[str, Any]] = field(default_factory=dict)
    activation_tokens: dict[str, str] = field(default_factory=dict)
    reset_tokens: dict[str, str] = field(default_factory=dict)
    email_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    resolves: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)  # (method, path, identity, body)
    reset_requests: list[str] = field(default_factory=list)
    used_activation_tokens: set[str] = field(default_factory=set)
    # « Renvoyer l'e-mail »: the addresses asked for; past RESEND_PER_EMAIL, 429 (any address).
    resend_requests: list[str] = field(default_factory=list)

    def add_dossier(self, number: str, family_name: str, *, adults=None, children=None) -> str:
        dossier_id = str(uuid.uuid4())
        self.dossiers[dossier_id] = {
            "id": dossier_id,
            "number": number,
            "family_name": family_name,
            "address": {
                "line1": "12 rue de la Mairie",
                "line2": None,
                "postal_code": "95380",
                "city": "Puiseux-en-France",
            },
            "adults": adults
            or [
                {
                    "id": str(uuid.uuid4()),
                    "first_name": "Arnaud",
                    "last_name": "Le Derf",
                    "email": "arnaud.lederf@example.org",
                    "phone_mobile": "06 12 34 56 78",
                    "phone_home": None,
                    "phone_work": None,
                }
            ],
            "children": children
            or [
                {
                    "id": str(uuid.uuid4()),
                    "first_name": "Arthur",
                    "last_name": "Le Derf",
                    "birth_date": "2018-05-14",
                    "school": "École Jules Ferry",
                    "level": "CE2",
                }
            ],
            "invoices_by_email": False,
        }
        return dossier_id

    def add_user(self, username: str, **kwargs) -> User:
        kwargs.setdefault("password", PASSWORD)
        kwargs.setdefault("first_name", "Arnaud")
        kwargs.setdefault("last_name", "Le Derf")
        kwargs.setdefault("email", f"{username}@example.org")
        user = User(username=username, **kwargs)
        self.users[username] = user
        return user

    def linked(self, dossier_id: str) -> bool:
        return any(u.dossier_id == dossier_id for u in self.users.values())


STATE = web.AppKey("fake_accounts_state", State)


def state(request: web.Request) -> State:
    return request.app[STATE]


def identity_of(request: web.Request) -> Identity | None:
    token = request.headers.get(IDENTITY_HEADER)
    if not token:
        return None
    try:
        return verify_identity(token, IDENTITY_SECRET)
    except InvalidIdentity:
        return None


async def body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    data = await request.json()
    return data if isinstance(data, dict) else {}


@web.middleware
async def record(request: web.Request, handler):
    identity = identity_of(request)
    request.app[STATE].received.append(
        {
            "method": request.method,
            "path": request.path,
            "identity": identity,
            "headers": dict(request.headers),
        }
    )
    return await handler(request)


def require_identity(request: web.Request) -> Identity:
    identity = identity_of(request)
    if identity is None:
        raise refusal(*UNAUTHENTICATED)
    return identity


def user_by_id(request: web.Request, user_id) -> User:
    for user in state(request).users.values():
        if user.id == str(user_id):
            return user
    raise refusal(404, "not_found", "Ce compte n'existe pas.")


def subscriptions(dossier_number: str | None, user_status: str) -> list[dict[str, str]]:
    """As accounts' service.common.subscriptions: one, following the account's status."""
    if dossier_number is None:
        return []
    status = "active" if user_status == "active" else "pending_activation"
    return [{"service": "enfance", "dossier_number": dossier_number, "status": status}]


def expiry() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


# --- sessions -----------------------------------------------------------------------


async def create_session(request: web.Request) -> web.Response:
    data = await body(request)
    username = data.get("username")
    if username == "trop":
        return problem(429, "too_many_requests", "Trop de tentatives de connexion.", headers={"Retry-After": "120"})
    user = state(request).users.get(username)
    if user is None or user.password != data.get("password"):
        return problem(401, "invalid_credentials", BAD_CREDENTIALS)
    if user.status != "active":
        return problem(403, "account_not_activated", "Votre compte n'est pas encore activé.")
    token = secrets.token_urlsafe(32)
    state(request).sessions[token] = user.username
    return web.json_response({"token": token, "expires_at": expiry()})


async def resolve_session(request: web.Request) -> web.Response:
    st = state(request)
    st.resolves += 1
    token = (await body(request)).get("token")
    if not isinstance(token, str) or not TOKEN_SHAPE.match(token):
        # As accounts' model (``Token``): the gateway must cope with this refusal.
        return problem(
            422,
            "validation_error",
            "Certaines informations saisies ne sont pas valides.",
            errors=[{"field": "token", "code": "string_pattern_mismatch", "message": "Le format n'est pas valide."}],
        )
    username = st.sessions.get(token)
    if username is None:
        return problem(401, "invalid_session", "Session inconnue.")
    user = st.users[username]
    return web.json_response(
        {
            "user_id": user.id,
            "roles": user.roles,
            "dossier_id": user.dossier_id,
            "username": user.username,
            "first_name": user.first_name,
            "mobile_display": user.mobile_display,
            "expires_at": expiry(),
            "idle_expires_at": expiry(),
        }
    )


async def revoke_session(request: web.Request) -> web.Response:
    state(request).sessions.pop((await body(request)).get("token"), None)
    return web.Response(status=204)


async def delete_current_session(request: web.Request) -> web.Response:
    token = request.headers.get("X-Session-Token")
    if not token:
        return problem(400, "missing_session_token", "Aucune session à fermer.")
    state(request).sessions.pop(token, None)  # an unknown or ended session is closed already
    return web.Response(status=204)


# --- registration drafts ------------------------------------------------------------


def draft_of(request: web.Request) -> dict[str, Any]:
    draft = state(request).drafts.get(request.match_info["draft_id"])
    if draft is None:
        raise refusal(404, "draft_unknown", "Votre inscription en cours a expiré. Merci de la recommencer.")
    return draft


def draft_summary(draft: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in draft.items() if k != "password_hash"}


async def create_draft(request: web.Request) -> web.Response:
    draft_id = uuid.uuid4().hex
    state(request).drafts[draft_id] = {
        "step_done": {"identity": False, "dossier": False, "terms": False},
        "last_name": None,
        "first_name": None,
        "email": None,
        "username": None,
        "mobile_display": False,
        "dossier_number": None,
        "dossier_name": None,
        "without_dossier": False,
        "terms_version": None,
    }
    return web.json_response({"draft_id": draft_id}, status=201)


async def get_draft(request: web.Request) -> web.Response:
    return web.json_response(draft_summary(draft_of(request)))


async def put_identity(request: web.Request) -> web.Response:
    draft = draft_of(request)
    data = await body(request)
    errors = []
    for name in ("last_name", "first_name", "email", "username", "password"):
        if not data.get(name):
            errors.append({"field": name, "code": "missing", "message": "Field required"})
    if data.get("email") and "@" not in data["email"]:
        errors.append(
            {
                "field": "email",
                "code": "value_error",
                "message": "value is not a valid email address: An email address must have an @-sign.",
            }
        )
    if data.get("password") and len(data["password"]) < 12:
        errors.append(
            {"field": "password", "code": "string_too_short", "message": "String should have at least 12 characters"}
        )
    wrong = username_problem(normalise_username(data.get("username") or "")) if data.get("username") else None
    if wrong:
        errors.append({"field": "username", "code": "value_error", "message": wrong})
    elif data.get("username") in state(request).users or data.get("username") == "pris":
        errors.append(
            {"field": "username", "code": "username_taken", "message": "Ce nom d'utilisateur est déjà utilisé."}
        )
    if errors:
        return problem(422, "validation_error", "Certaines informations saisies ne sont pas valides.", errors=errors)
    for name in ("last_name", "first_name", "email", "username", "mobile_display"):
        draft[name] = data.get(name)
    draft["password_hash"] = "hashed:" + data["password"]
    draft["step_done"]["identity"] = True
    return web.json_response(draft_summary(draft))


async def put_dossier(request: web.Request) -> web.Response:
    draft = draft_of(request)
    data = await body(request)
    if data.get("without_dossier") is True:
        draft.update(without_dossier=True, dossier_number=None, dossier_name=None)
        draft["step_done"]["dossier"] = True
        return web.json_response(draft_summary(draft))
    if data.get("dossier_number") == "999":
        return problem(
            429, "too_many_requests", "Trop de tentatives. Réessayez plus tard.", headers={"Retry-After": "600"}
        )
    match = next(
        (
            d
            for d in state(request).dossiers.values()
            if d["number"] == data.get("dossier_number")
            and name_key(d["family_name"]) == name_key(data.get("dossier_name") or "")
        ),
        None,
    )
    if match is None:
        # As accounts (domain.errors.DossierMismatch): one sentence, given for both fields.
        return problem(
            422,
            "dossier_mismatch",
            DOSSIER_MISMATCH,
            errors=[
                {"field": name, "code": "dossier_mismatch", "message": DOSSIER_MISMATCH}
                for name in ("dossier_number", "dossier_name")
            ],
        )
    if state(request).linked(match["id"]):
        return problem(409, "dossier_already_linked", "Ce dossier est déjà rattaché à un compte.")
    draft.update(without_dossier=False, dossier_number=data["dossier_number"], dossier_name=data["dossier_name"])
    draft["step_done"]["dossier"] = True
    return web.json_response(draft_summary(draft))


async def put_terms(request: web.Request) -> web.Response:
    draft = draft_of(request)
    data = await body(request)
    if data.get("accepted") is not True or data.get("terms_version") != TERMS_VERSION:
        return problem(
            422,
            "validation_error",
            "Les conditions ont changé : merci de les relire.",
            errors=[{"field": "terms_version", "code": "outdated", "message": "Version des conditions périmée."}],
        )
    draft["terms_version"] = TERMS_VERSION
    draft["step_done"]["terms"] = True
    return web.json_response(draft_summary(draft))


async def submit_draft(request: web.Request) -> web.Response:
    st = state(request)
    draft = draft_of(request)
    if not all(draft["step_done"].values()):
        return problem(422, "incomplete", "Votre inscription n'est pas complète.")
    dossier_id = None
    if not draft["without_dossier"]:
        dossier_id = next(d["id"] for d in st.dossiers.values() if d["number"] == draft["dossier_number"])
    user = st.add_user(
        draft["username"],
        password=draft["password_hash"].removeprefix("hashed:"),
        first_name=draft["first_name"],
        last_name=draft["last_name"],
        email=draft["email"],
        status="pending_activation",
        dossier_id=dossier_id,
        mobile_display=bool(draft["mobile_display"]),
    )
    token = secrets.token_urlsafe(16)
    st.activation_tokens[token] = user.username
    del st.drafts[request.match_info["draft_id"]]
    return web.json_response(
        {
            "user_id": user.id,
            "username": user.username,
            "status": "pending_activation",
            "subscriptions": subscriptions(draft["dossier_number"] if dossier_id else None, user.status),
        },
        status=201,
    )


async def delete_draft(request: web.Request) -> web.Response:
    state(request).drafts.pop(request.match_info["draft_id"], None)  # forgetting twice is fine
    return web.Response(status=204)


async def suggestions(request: web.Request) -> web.Response:
    options = candidates(
        request.query.get("last_name", ""),
        request.query.get("first_name", ""),
        wanted=request.query.get("username", ""),
    )
    taken = set(state(request).users) | {"pris"}
    return web.json_response({"suggestions": [name for name in options if name not in taken][:5]})


async def terms(request: web.Request) -> web.Response:
    return web.json_response({"version": TERMS_VERSION, "text": TERMS_TEXT})


# --- tokens sent by e-mail ----------------------------------------------------------


async def activate(request: web.Request) -> web.Response:
    st = state(request)
    data = await body(request)
    username = st.activation_tokens.get(data.get("token"))
    if data.get("token") in st.used_activation_tokens:
        return problem(410, "activation_token_used", ACTIVATION_USED)
    if username is None:
        return problem(404, "activation_token_unknown", ACTIVATION_UNKNOWN)
    user = st.users[username]
    if not user.password and not data.get("password"):
        return problem(
            422,
            "password_required",
            "Choisissez votre mot de passe.",
            errors=[{"field": "password", "code": "password_required", "message": "Choisissez votre mot de passe."}],
        )
    if data.get("password"):
        user.password = data["password"]
    del st.activation_tokens[data["token"]]
    st.used_activation_tokens.add(data["token"])
    user.status = "active"
    return web.json_response({"status": "active"})


def bad_email() -> web.Response:
    """As accounts' Email type refuses an address (Pydantic's English, for the gateway to translate)."""
    return problem(
        422,
        "validation_error",
        "Certaines informations saisies ne sont pas valides.",
        errors=[{"field": "email", "code": "value_error", "message": "value is not a valid email address"}],
    )


async def activation_resend(request: web.Request) -> web.Response:
    """As accounts: 202 whatever the address; 429 past a few requests for one address."""
    email = (await body(request)).get("email", "")
    if "@" not in email:
        return bad_email()
    st = state(request)
    if sum(1 for e in st.resend_requests if e == email.casefold()) >= RESEND_PER_EMAIL:
        return problem(
            429,
            "too_many_activation_resends",
            "Vous avez déjà demandé plusieurs e-mails d'activation. Merci de réessayer dans quelques minutes.",
            headers={"Retry-After": "600"},
        )
    st.resend_requests.append(email.casefold())
    for user in st.users.values():
        if user.email.casefold() == email.casefold() and user.status == "pending_activation":
            for token in [t for t, name in st.activation_tokens.items() if name == user.username]:
                del st.activation_tokens[token]
            st.activation_tokens[secrets.token_urlsafe(16)] = user.username
    return web.json_response({"status": "accepted"}, status=202)


async def password_reset(request: web.Request) -> web.Response:
    email = (await body(request)).get("email", "")
    if "@" not in email:
        return bad_email()
    st = state(request)
    st.reset_requests.append(email)
    for user in st.users.values():
        if user.email == email:
            st.reset_tokens[secrets.token_urlsafe(16)] = user.username
    return web.json_response({"status": "accepted"}, status=202)


async def password_reset_confirm(request: web.Request) -> web.Response:
    st = state(request)
    data = await body(request)
    if data.get("token") not in st.reset_tokens:
        return problem(410, "reset_expired", "Ce lien a expiré ou a déjà servi.")
    if len(data.get("new_password") or "") < 12:
        return problem(
            422,
            "validation_error",
            "Certaines informations saisies ne sont pas valides.",
            errors=[
                {
                    "field": "new_password",
                    "code": "string_too_short",
                    "message": "String should have at least 12 characters",
                }
            ],
        )
    st.users[st.reset_tokens.pop(data["token"])].password = data["new_password"]
    return web.json_response({"status": "password_changed"})


async def email_change_confirm(request: web.Request) -> web.Response:
    st = state(request)
    entry = st.email_tokens.pop((await body(request)).get("token"), None)
    if entry is None:
        return problem(410, "email_change_expired", "Ce lien de confirmation a expiré.")
    st.users[entry[0]].email = entry[1]
    return web.json_response({"status": "email_changed", "email": entry[1]})


# --- the signed-in parent -----------------------------------------------------------


async def me(request: web.Request) -> web.Response:
    user = user_by_id(request, require_identity(request).user_id)
    dossier = state(request).dossiers.get(user.dossier_id or "")
    summary = None
    if dossier is not None:
        summary = {k: dossier[k] for k in ("id", "number", "family_name")} | {
            "children_count": len(dossier["children"])
        }
    return web.json_response(
        {
            "user": {
                "id": user.id,
                "username": user.username,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "status": user.status,
                "mobile_display": user.mobile_display,
            },
            "roles": user.roles,
            "dossier": summary,
            "subscriptions": subscriptions(dossier and dossier["number"], user.status),
        }
    )


async def change_password(request: web.Request) -> web.Response:
    user = user_by_id(request, require_identity(request).user_id)
    data = await body(request)
    if data.get("current_password") != user.password:
        return problem(
            422,
            "wrong_password",
            BAD_CREDENTIALS,
            errors=[
                {
                    "field": "current_password",
                    "code": "wrong_password",
                    "message": "Le mot de passe actuel est incorrect.",
                }
            ],
        )
    if len(data.get("new_password") or "") < 12:
        return problem(
            422,
            "validation_error",
            "Certaines informations saisies ne sont pas valides.",
            errors=[
                {
                    "field": "new_password",
                    "code": "string_too_short",
                    "message": "String should have at least 12 characters",
                }
            ],
        )
    user.password = data["new_password"]
    # As accounts (service.credentials): every session of the user closes but the one
    # named in X-Session-Token.
    kept = request.headers.get("X-Session-Token")
    sessions = state(request).sessions
    for token in [t for t, name in sessions.items() if name == user.username and t != kept]:
        del sessions[token]
    return web.json_response({"status": "password_changed"})


async def change_email(request: web.Request) -> web.Response:
    user = user_by_id(request, require_identity(request).user_id)
    data = await body(request)
    if data.get("password") != user.password:
        return problem(
            422,
            "wrong_password",
            BAD_CREDENTIALS,
            errors=[{"field": "password", "code": "wrong_password", "message": "Le mot de passe est incorrect."}],
        )
    state(request).email_tokens[secrets.token_urlsafe(16)] = (user.username, data.get("new_email"))
    return web.json_response({"status": "accepted"}, status=202)


def own_dossier(request: web.Request) -> dict[str, Any]:
    identity = require_identity(request)
    if identity.dossier_id is None:
        raise refusal(403, "no_dossier", "Votre compte n'est pas encore rattaché à un dossier famille.")
    return state(request).dossiers[str(identity.dossier_id)]


def dossier_doc(request: web.Request, dossier: dict[str, Any]) -> dict[str, Any]:
    """The dossier as its parent sees it: the subscription follows the caller's account."""
    user = user_by_id(request, require_identity(request).user_id)
    return {**dossier, "subscriptions": subscriptions(dossier["number"], user.status)}


async def get_dossier(request: web.Request) -> web.Response:
    return web.json_response(dossier_doc(request, own_dossier(request)))


async def patch_dossier(request: web.Request) -> web.Response:
    dossier = own_dossier(request)
    data = await body(request)
    errors = []
    for index, change in enumerate(data.get("adults") or []):
        phone = change.get("phone_mobile")
        if phone and not phone.replace(" ", "").isdigit():
            errors.append(
                {
                    "field": f"adults.{index}.phone_mobile",
                    "code": "value_error",
                    "message": "Value error, invalid phone number",
                }
            )
    if errors:
        return problem(422, "validation_error", "Certaines informations saisies ne sont pas valides.", errors=errors)
    by_id = {a["id"]: a for a in dossier["adults"]}
    for change in data.get("adults") or []:
        adult = by_id[change["id"]]
        for name in ("phone_mobile", "phone_home", "phone_work", "email"):
            adult[name] = change.get(name)
    dossier["invoices_by_email"] = bool(data.get("invoices_by_email"))
    return web.json_response(dossier_doc(request, dossier))


async def link_dossier(request: web.Request) -> web.Response:
    user = user_by_id(request, require_identity(request).user_id)
    data = await body(request)
    for dossier in state(request).dossiers.values():
        if dossier["number"] == data.get("dossier_number") and name_key(dossier["family_name"]) == name_key(
            data.get("family_name") or ""
        ):
            if state(request).linked(dossier["id"]):
                return problem(409, "dossier_already_linked", "Ce dossier est déjà rattaché à un compte.")
            user.dossier_id = dossier["id"]
            return web.json_response(
                {"dossier_id": dossier["id"], "subscriptions": subscriptions(dossier["number"], "active")}
            )
    return problem(422, "dossier_mismatch", "Ces références ne correspondent à aucun dossier.")


def fake_accounts() -> web.Application:
    app = checked(web.Application(middlewares=[remember, record]), "accounts")
    app[SERVICE_NAME] = "accounts"
    app[SEEN] = []
    app[STATE] = State()
    r = app.router
    r.add_get("/health", health)
    misbehaving_routes(app, "accounts")
    r.add_post("/api/accounts/sessions", create_session)
    r.add_delete("/api/accounts/sessions/current", delete_current_session)
    r.add_post("/internal/sessions/resolve", resolve_session)
    r.add_post("/internal/sessions/revoke", revoke_session)
    r.add_post("/internal/registration-drafts", create_draft)
    r.add_get("/internal/registration-drafts/{draft_id}", get_draft)
    r.add_delete("/internal/registration-drafts/{draft_id}", delete_draft)
    r.add_put("/internal/registration-drafts/{draft_id}/identity", put_identity)
    r.add_put("/internal/registration-drafts/{draft_id}/dossier", put_dossier)
    r.add_put("/internal/registration-drafts/{draft_id}/terms", put_terms)
    r.add_post("/internal/registration-drafts/{draft_id}/submit", submit_draft)
    r.add_get("/api/accounts/username-suggestions", suggestions)
    r.add_get("/api/accounts/terms", terms)
    r.add_post("/api/accounts/activations", activate)
    r.add_post("/api/accounts/activation-resends", activation_resend)
    r.add_post("/api/accounts/password-resets", password_reset)
    r.add_post("/api/accounts/password-resets/confirm", password_reset_confirm)
    r.add_post("/api/accounts/email-changes/confirm", email_change_confirm)
    r.add_get("/api/accounts/me", me)
    r.add_post("/api/accounts/me/password", change_password)
    r.add_post("/api/accounts/me/email", change_email)
    r.add_get("/api/accounts/dossier", get_dossier)
    r.add_patch("/api/accounts/dossier", patch_dossier)
    r.add_post("/api/accounts/dossier/link", link_dossier)
    r.add_route("*", "/{tail:.*}", echo)
    return app
