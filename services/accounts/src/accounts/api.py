"""Public HTTP entrypoints: registration, login, passwords, « Mon dossier »."""

from __future__ import annotations

from aiohttp import web
from servicekit.idempotency import IDEMPOTENCY_PARAM, idempotent
from servicekit.identity import require_identity
from servicekit.openapi import Param, Route
from servicekit.problems import Problem
from servicekit.requests import client_address, read_json
from servicekit.web import model_response

from .domain.errors import FieldError, invalid
from .domain.text import TextError, clean_text
from .schemas import public as s
from .service import activation_resend, credentials, queries, registration, sessions
from .web import PUBLIC, SESSION_TOKEN, SESSION_TOKEN_HEADER, USER, accounts, no_store

# The gateway's own calls name the session to keep by its token; API calls through the
# gateway name it in the signed identity (claim session_id).
OPTIONAL_SESSION_TOKEN = Param(SESSION_TOKEN_HEADER, schema={"type": "string", "maxLength": 200}, required=False)

ACCOUNTS_TAG = "Accounts"


def query_text(request: web.Request, name: str, *, max_length: int = 100, required: bool = False) -> str:
    """A query-string parameter, held to the same rules as a JSON text field."""
    raw = request.query.get(name, "")
    try:
        if len(raw) > max_length:
            raise TextError("string_too_long", f"Ce texte est trop long ({max_length} caractères au maximum).")
        return clean_text(raw, required=required)
    except TextError as exc:
        raise invalid(FieldError(name, exc.code, exc.message)) from None


async def get_terms(request: web.Request) -> web.Response:
    return model_response(await queries.current_terms(accounts(request)))


async def get_username_suggestions(request: web.Request) -> web.Response:
    last_name = query_text(request, "last_name", required=True)
    first_name = query_text(request, "first_name")
    wanted = query_text(request, "username")
    suggestions = await registration.suggest_usernames(accounts(request), last_name, first_name, wanted)
    return model_response(s.UsernameSuggestions(suggestions=suggestions))


async def create_registration(request: web.Request) -> web.Response:
    cmd = await read_json(request, s.RegistrationRequest)
    acc, client = accounts(request), client_address(request)
    return await idempotent(
        request, lambda key: registration.register(acc, cmd, client=client, idempotency=key), pool=acc.pool
    )


async def create_activation(request: web.Request) -> web.Response:
    cmd = await read_json(request, s.ActivationRequest)
    await registration.activate(accounts(request), cmd.token, password=cmd.password)
    return model_response(s.Activation(status="active"))


async def create_activation_resend(request: web.Request) -> web.Response:
    cmd = await read_json(request, s.ActivationResendRequest)
    await activation_resend.resend_activation(accounts(request), cmd.email, client=client_address(request))
    return model_response(s.Accepted(), status=202)


async def create_session(request: web.Request) -> web.Response:
    cmd = await read_json(request, s.SessionRequest)
    session = await sessions.login(accounts(request), cmd.username, cmd.password, client=client_address(request))
    return no_store(session)


async def delete_current_session(request: web.Request) -> web.Response:
    token = request.headers.get(SESSION_TOKEN_HEADER)
    if not token:
        raise Problem(400, "missing_session_token", "Aucune session à fermer.")
    await sessions.revoke(accounts(request), token)
    return web.Response(status=204)


async def create_password_reset(request: web.Request) -> web.Response:
    cmd = await read_json(request, s.PasswordResetRequest)
    await credentials.request_password_reset(accounts(request), cmd.email, client=client_address(request))
    return model_response(s.Accepted(), status=202)


async def confirm_password_reset(request: web.Request) -> web.Response:
    cmd = await read_json(request, s.PasswordResetConfirmation)
    await credentials.confirm_password_reset(accounts(request), cmd.token, cmd.new_password)
    return model_response(s.Status(status="password_changed"))


async def confirm_email_change(request: web.Request) -> web.Response:
    cmd = await read_json(request, s.EmailChangeConfirmation)
    email = await credentials.confirm_email_change(accounts(request), cmd.token)
    return model_response(s.EmailChanged(email=email))


async def get_me(request: web.Request) -> web.Response:
    identity = require_identity(request)
    return model_response(await queries.me(accounts(request), identity.user_id))


async def change_my_password(request: web.Request) -> web.Response:
    identity = require_identity(request)
    cmd = await read_json(request, s.PasswordChange)
    answer = await credentials.change_password(
        accounts(request),
        identity.user_id,
        cmd.current_password,
        cmd.new_password,
        client=client_address(request),
        keep_session_id=identity.session_id,
        keep_session_token=request.headers.get(SESSION_TOKEN_HEADER),
    )
    return no_store(answer)


async def change_my_email(request: web.Request) -> web.Response:
    identity = require_identity(request)
    cmd = await read_json(request, s.EmailChangeRequest)
    await credentials.request_email_change(
        accounts(request), identity.user_id, cmd.new_email, cmd.password, client=client_address(request)
    )
    return model_response(s.Accepted(), status=202)


PAGINATION = (
    Param("limit", "page size (1–100, default 20)", {"type": "integer", "minimum": 1, "maximum": 100}),
    Param("cursor", "the `next_cursor` of the previous page"),
)

ROUTES = [
    Route(
        "GET",
        "/api/accounts/terms",
        get_terms,
        "The current terms of use",
        ACCOUNTS_TAG,
        public=True,
        access=PUBLIC,
        response=s.Terms,
        errors=(404,),
    ),
    Route(
        "GET",
        "/api/accounts/username-suggestions",
        get_username_suggestions,
        "Free usernames built from the names",
        ACCOUNTS_TAG,
        public=True,
        access=PUBLIC,
        response=s.UsernameSuggestions,
        errors=(422,),
        query=(
            Param("last_name", "family name, e.g. Le Derf", required=True),
            Param("first_name", "first name"),
            Param("username", "the username typed, offered first when it is free"),
        ),
    ),
    Route(
        "POST",
        "/api/accounts/registrations",
        create_registration,
        "Create a pending account (activation e-mail sent)",
        ACCOUNTS_TAG,
        public=True,
        access=PUBLIC,
        body=s.RegistrationRequest,
        response=s.Registration,
        status=201,
        errors=(409, 429),
        headers=(IDEMPOTENCY_PARAM,),
        description="Dossier references are matched on the number and the family name (case, accents and spaces "
        "ignored); 5 wrong tries per 15 minutes per client and per dossier number, then 429.",
    ),
    Route(
        "POST",
        "/api/accounts/activations",
        create_activation,
        "Activate an account with the e-mailed link (once, 24 h)",
        ACCOUNTS_TAG,
        public=True,
        access=PUBLIC,
        body=s.ActivationRequest,
        response=s.Activation,
        errors=(404, 409, 410),
        description="Accounts made by staff have no password yet: `password` is then required.",
    ),
    Route(
        "POST",
        "/api/accounts/activation-resends",
        create_activation_resend,
        "« Renvoyer l'e-mail »: a new activation link to a pending account's address",
        ACCOUNTS_TAG,
        public=True,
        access=PUBLIC,
        body=s.ActivationResendRequest,
        response=s.Accepted,
        status=202,
        errors=(429,),
        description="202 whether an account waits for activation at this address or not; older links stop "
        "working. 3 per 15 minutes per address and 20 per client, then 429 (counted for any address); 5 a "
        "day per pending account, silently.",
    ),
    Route(
        "POST",
        "/api/accounts/sessions",
        create_session,
        "Log in: an opaque session token (bearer token for API clients)",
        ACCOUNTS_TAG,
        public=True,
        access=PUBLIC,
        body=s.SessionRequest,
        response=s.Session,
        errors=(401, 403, 429),
        description="The token is valid 12 hours at most and 30 minutes without use. API clients send it as "
        "`Authorization: Bearer <token>` to the gateway; browsers get it in the session cookie.",
    ),
    Route(
        "DELETE",
        "/api/accounts/sessions/current",
        delete_current_session,
        "Log out (server-side invalidation)",
        ACCOUNTS_TAG,
        public=True,
        access=PUBLIC,
        status=204,
        errors=(400,),
        headers=(SESSION_TOKEN,),
        description="The gateway passes the caller's session token in `X-Session-Token`.",
    ),
    Route(
        "POST",
        "/api/accounts/password-resets",
        create_password_reset,
        "Forgotten password: e-mail a link (1 h)",
        ACCOUNTS_TAG,
        public=True,
        access=PUBLIC,
        body=s.PasswordResetRequest,
        response=s.Accepted,
        status=202,
        description="Always 202, whether the address is known or not.",
    ),
    Route(
        "POST",
        "/api/accounts/password-resets/confirm",
        confirm_password_reset,
        "Choose a new password with the link",
        ACCOUNTS_TAG,
        public=True,
        access=PUBLIC,
        body=s.PasswordResetConfirmation,
        response=s.Status,
        errors=(404, 410),
        description="Every session of the account is closed.",
    ),
    Route(
        "POST",
        "/api/accounts/email-changes/confirm",
        confirm_email_change,
        "Confirm a new e-mail address with the link",
        ACCOUNTS_TAG,
        public=True,
        access=PUBLIC,
        body=s.EmailChangeConfirmation,
        response=s.EmailChanged,
        errors=(404, 410),
    ),
    Route(
        "GET",
        "/api/accounts/me",
        get_me,
        "The user, their roles, their dossier summary",
        ACCOUNTS_TAG,
        access=USER,
        response=s.Me,
        errors=(404,),
    ),
    Route(
        "POST",
        "/api/accounts/me/password",
        change_my_password,
        "Change my password (other sessions are closed, the caller's is kept)",
        ACCOUNTS_TAG,
        access=USER,
        body=s.PasswordChange,
        response=s.PasswordChanged,
        errors=(429,),
        headers=(OPTIONAL_SESSION_TOKEN,),
    ),
    Route(
        "POST",
        "/api/accounts/me/email",
        change_my_email,
        "Change my e-mail: a confirmation link goes to the new address",
        ACCOUNTS_TAG,
        access=USER,
        body=s.EmailChangeRequest,
        response=s.Accepted,
        status=202,
        errors=(429,),
    ),
]
