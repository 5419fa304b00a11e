"""Cross-site request forgery: every unsafe request a browser makes on its own is checked.

A browser sends the session cookie by itself, so a state-changing request authenticated by
the cookie must also carry a token that a foreign page cannot know:
- signed in: ``HMAC-SHA256(GATEWAY_SESSION_SECRET, session token)``: a synchronizer token
  bound to the session (another session's token, or one made up, fails);
- anonymous forms (login, registration, password reset...): a random ``pf_csrf`` cookie
  (HttpOnly, SameSite=Strict), the form carrying the HMAC of its value. A plain
  double-submit (the same random value in cookie and field) would let anyone who can
  plant a cookie (a sibling subdomain) forge both halves; the HMAC needs the secret.
The token comes in the form field ``csrf_token`` or the ``X-CSRF-Token`` header (fetches).
Missing or wrong: 403, a French page for forms, problem+json for ``/api``.

Calls with ``Authorization: Bearer`` need no token: no browser adds that header by itself.
Anonymous ``/api`` calls carry no session to abuse and need none either; the only one that
creates something for the browser (the login) is JSON-only, so a foreign form cannot send
it, and the Origin check below refuses a foreign page's fetch.

Also let through without a token: requests no handler will serve (404, 405), signing out
of a session that already ended, and an anonymous POST to a signed-in page (which only
redirects to the login page): none of them changes anything.

On top, an unsafe request whose ``Origin`` (or, without it, ``Referer``) names another site
is refused. The comparison is on host and port, the scheme's default port included: the
gateway may sit behind a TLS-terminating proxy that keeps the ``Host`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable

from aiohttp import web
from servicekit.problems import Problem
from yarl import URL

from .caller import current_caller
from .cookies import add_set_cookie
from .settings import SETTINGS

CSRF_COOKIE = "pf_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# Signing out of a session that has already ended changes nothing: no token is asked then,
# or a parent whose session expired behind an open page would get an error for logging out.
EXEMPT_WHEN_ANONYMOUS = frozenset({"/deconnexion"})

FORGED_TITLE = "Votre formulaire a expiré ou n'a pas pu être vérifié. Merci de recharger la page et de recommencer."
CROSS_ORIGIN_TITLE = "Cette demande ne vient pas du Portail Famille et a été refusée."

_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_NEW_ANONYMOUS_SECRET = web.RequestKey("gateway_new_csrf_cookie", str)


def _mac(secret: str, purpose: bytes, value: str) -> str:
    return hmac.new(secret.encode(), purpose + b"\0" + value.encode(), hashlib.sha256).hexdigest()


def session_token(secret: str, session_token_value: str) -> str:
    return _mac(secret, b"pf-csrf/session", session_token_value)


def anonymous_token(secret: str, cookie_value: str) -> str:
    return _mac(secret, b"pf-csrf/anonymous", cookie_value)


def _cookie_value(request: web.Request) -> str | None:
    value = request.cookies.get(CSRF_COOKIE)
    return value if value and _COOKIE_VALUE.match(value) else None


def csrf_token(request: web.Request) -> str:
    """The token this request's forms must send back (makes the anonymous cookie if needed)."""
    secret = request.app[SETTINGS].session_secret
    caller = current_caller(request)
    if caller is not None and caller.via == "cookie":
        return session_token(secret, caller.token)
    value = _cookie_value(request) or request.get(_NEW_ANONYMOUS_SECRET)
    if value is None:
        value = secrets.token_urlsafe(32)
        request[_NEW_ANONYMOUS_SECRET] = value
    return anonymous_token(secret, value)


def token_getter(request: web.Request) -> Callable[[], str]:
    """For templates: the token is only made (and its cookie set) by pages with a form;
    once per page however many forms ask for it (an HMAC each time otherwise)."""
    made: list[str] = []

    def token() -> str:
        if not made:
            made.append(csrf_token(request))
        return made[0]

    return token


async def _set_anonymous_cookie(request: web.Request, response: web.StreamResponse) -> None:
    value = request.get(_NEW_ANONYMOUS_SECRET)
    if value is not None:
        add_set_cookie(response, CSRF_COOKIE, value, samesite="Strict", secure=request.app[SETTINGS].secure_cookies)


def _same_site(request: web.Request, value: str) -> bool:
    try:
        url = URL(value)
        if url.scheme not in ("http", "https") or not url.host:
            return False
        own = URL.build(scheme=url.scheme, authority=request.host)
    except (ValueError, TypeError):
        return False
    return (url.host.lower(), url.port) == ((own.host or "").lower(), own.port)


def check_origin(request: web.Request) -> None:
    origin = request.headers.get("Origin")
    if origin is not None:
        if not _same_site(request, origin):
            raise Problem(403, "cross_origin", CROSS_ORIGIN_TITLE)
        return
    referer = request.headers.get("Referer")
    if referer and not _same_site(request, referer):
        raise Problem(403, "cross_origin", CROSS_ORIGIN_TITLE)


async def _presented(request: web.Request, *, api: bool) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if api:
        # An API body is streamed to the service untouched: only the header counts there.
        return None
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # Parsed once and cached by aiohttp: the handler reads the same form again for free.
        value = (await request.post()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def _expected(request: web.Request) -> str | None:
    secret = request.app[SETTINGS].session_secret
    caller = current_caller(request)
    if caller is not None:
        return session_token(secret, caller.token)
    value = _cookie_value(request)
    return anonymous_token(secret, value) if value else None


def unrouted(request: web.Request) -> bool:
    """No handler will run (404, 405): nothing to protect, the error answers as usual."""
    return getattr(request.match_info, "http_exception", None) is not None


def _redirects_to_login(request: web.Request) -> bool:
    """A page for signed-in parents only: for an anonymous caller it just redirects."""
    return bool(getattr(request.match_info.handler, "requires_login", False))


@web.middleware
async def csrf_middleware(request: web.Request, handler):
    if request.method in SAFE_METHODS or unrouted(request):
        return await handler(request)
    caller = current_caller(request)
    if caller is not None and caller.via == "bearer":
        return await handler(request)
    check_origin(request)
    api = request.path.startswith("/api/")
    if caller is None and (api or request.path in EXEMPT_WHEN_ANONYMOUS or _redirects_to_login(request)):
        return await handler(request)
    presented = await _presented(request, api=api)
    expected = _expected(request)
    if not presented or expected is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Problem(403, "csrf_failed", FORGED_TITLE)
    return await handler(request)


def setup(app: web.Application) -> None:
    app.on_response_prepare.append(_set_anonymous_cookie)
