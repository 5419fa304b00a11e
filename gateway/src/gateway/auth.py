"""Who is calling the gateway: sessions from the cookie or the bearer token.

Browsers carry the session token in the ``pf_session`` cookie (HttpOnly, SameSite=Lax,
Secure outside development); API clients send ``Authorization: Bearer <token>`` (on
``/api/...`` only: pages are for browsers). The auth middleware asks accounts what the
token stands for (``/internal/sessions/resolve``) and stores the caller and its identity on
the request; ``upstream`` then signs that identity for the services. Tokens themselves
never go to a service through the proxy, nor into a log line.

Resolutions are cached in process for at most ``GATEWAY_SESSION_CACHE_SECONDS`` (5 s),
keyed by the token's SHA-256. The trade-off: a page and the calls it triggers cost one
round trip to accounts instead of several, but a session revoked through another gateway
replica (logout, password change, deactivation, dossier linked) is still honoured here
for up to 5 s. Changes made through this replica forget the user's entries at once (all
of them: a password change closes the user's other sessions).

An entry past three quarters of its life is refreshed ahead, in the background, by the request that
finds it (one refresh at a time per entry): a parent clicking through pages never waits
for accounts once signed in, and the bound above is unchanged — an entry is never served
past the deadline set by the answer it came from. A refresh that started before the entry
was forgotten here (logout through this replica) does not bring it back.

``POST /api/accounts/sessions`` and ``DELETE /api/accounts/sessions/current`` are handled
here rather than proxied, to set and clear the cookie around accounts' answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from aiohttp import hdrs, web
from pydantic import BaseModel, Field
from servicekit.problems import PROBLEM_CONTENT_TYPE, Problem
from servicekit.requests import read_json

from .caller import (
    CALLER_REQUEST_KEY,
    IDENTITY_REQUEST_KEY,
    Caller,
    SessionInfo,
    current_caller,
    current_identity,
)
from .clients import accounts
from .clients.base import UpstreamProblem
from .cookies import add_set_cookie
from .settings import SETTINGS, GatewaySettings

__all__ = [
    "CALLER_REQUEST_KEY",
    "IDENTITY_REQUEST_KEY",
    "auth_middleware",
    "current_caller",
    "current_identity",
    "setup",
]

log = structlog.get_logger(__name__)

SESSION_COOKIE = "pf_session"
# What accounts accepts as a session token (accounts.schemas.common.Token). Anything else
# cannot be a session: no round trip, and no 422 of accounts to turn into an error.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
# Far above any real username or password; accounts applies its own rules.
MAX_CREDENTIAL_LENGTH = 1024
# Paths that never need to know who is calling: no round trip to accounts for them.
_ANONYMOUS_PATHS = frozenset({"/health", "/ready", "/metrics"})
_ANONYMOUS_PREFIXES = ("/static/",)

# The share of an entry's life after which a request refreshes it in the background: late
# enough that an entry is refreshed once per lifetime, early enough (1.25 s of 5) that the
# refresh is back before the entry expires.
REFRESH_AHEAD = 0.75

_CLEAR_SESSION_COOKIE = web.RequestKey("gateway_clear_session_cookie", bool)


@dataclass
class _Entry:
    deadline: float
    refresh_at: float
    session: SessionInfo
    refreshing: bool = False


class SessionCache:
    """Resolved sessions for a few seconds, keyed by the token's hash (never the token)."""

    def __init__(self, ttl_seconds: float, *, max_entries: int = 10_000, clock=time.monotonic):
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        # Bumped by every forget: a resolution started before it is not stored after it.
        self.generation = 0
        self._refreshes: set[asyncio.Task] = set()

    @staticmethod
    def key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def get(self, token: str) -> SessionInfo | None:
        return self.lookup(token, claim=False)[0]

    def lookup(self, token: str, *, claim: bool = True) -> tuple[SessionInfo | None, bool]:
        """The live session of ``token`` (None: unknown, or expired and dropped), and whether
        the caller is to refresh it ahead: True once per entry past ``REFRESH_AHEAD`` of its
        life. One hash of the token and one reading of the clock per request."""
        key, now = self.key(token), self.clock()
        entry = self._entries.get(key)
        if entry is None:
            return None, False
        if entry.deadline <= now:
            del self._entries[key]
            return None, False
        if not claim or entry.refreshing or now < entry.refresh_at:
            return entry.session, False
        entry.refreshing = True
        return entry.session, True

    def put(self, token: str, session: SessionInfo, *, generation: int | None = None) -> None:
        """Keep ``session``, unless ``generation`` (read before resolving) is no longer current."""
        if self.ttl <= 0 or (generation is not None and generation != self.generation):
            return
        remaining = (session.expires_at - datetime.now(UTC)).total_seconds()
        lifetime = min(self.ttl, remaining)
        if lifetime <= 0:
            return
        now = self.clock()
        if len(self._entries) >= self.max_entries:
            for stale in [k for k, e in self._entries.items() if e.deadline <= now]:
                del self._entries[stale]
            while len(self._entries) >= self.max_entries:
                self._entries.popitem(last=False)
        self._entries[self.key(token)] = _Entry(now + lifetime, now + lifetime * REFRESH_AHEAD, session)

    def forget(self, token: str) -> None:
        self.generation += 1
        self._entries.pop(self.key(token), None)

    def forget_user(self, user_id: uuid.UUID) -> None:
        """Every cached session of one user (a password change closes the others at accounts)."""
        self.generation += 1
        for key in [k for k, e in self._entries.items() if e.session.user_id == user_id]:
            del self._entries[key]

    def refresh_in_background(self, token: str, resolution) -> None:
        """Run ``resolution`` (a coroutine answering the session or None) and store its answer."""
        generation = self.generation

        async def refresh() -> None:
            try:
                session = await resolution
            except Exception as exc:  # accounts away: the entry expires at its deadline
                log.warning("session_refresh_failed", error=type(exc).__name__)
                entry = self._entries.get(self.key(token))
                if entry is not None:
                    entry.refreshing = False
                return
            if session is None:
                self.forget(token)
            else:
                self.put(token, session, generation=generation)

        task = asyncio.get_running_loop().create_task(refresh())
        self._refreshes.add(task)
        task.add_done_callback(self._refreshes.discard)

    async def close(self) -> None:
        for task in list(self._refreshes):
            task.cancel()
        await asyncio.gather(*self._refreshes, return_exceptions=True)

    def __len__(self) -> int:
        return len(self._entries)


SESSION_CACHE = web.AppKey("gateway_session_cache", SessionCache)


def _plausible(token: str | None) -> bool:
    return bool(token) and TOKEN_SHAPE.fullmatch(token) is not None


def _presented_token(request: web.Request) -> tuple[str | None, str | None]:
    """``(token, "bearer" | "cookie")`` as the caller presented it, or ``(None, None)``."""
    if request.path.startswith("/api/"):
        scheme, _, value = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
        if scheme.lower() == "bearer":
            return value.strip(), "bearer"
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is not None:
        return cookie, "cookie"
    return None, None


async def resolve(request: web.Request, token: str) -> SessionInfo | None:
    cache = request.app[SESSION_CACHE]
    session, refresh = cache.lookup(token)
    if session is not None:
        if refresh:
            cache.refresh_in_background(token, _ask_accounts(request, token))
        return session
    generation = cache.generation
    session = await _ask_accounts(request, token)
    if session is not None:
        cache.put(token, session, generation=generation)
    return session


async def _ask_accounts(request: web.Request, token: str) -> SessionInfo | None:
    try:
        return await accounts.resolve_session(request, token)
    except UpstreamProblem as problem:
        if problem.status in (400, 422):
            # Accounts' rules for a token are stricter than ours: not a session either.
            return None
        # Any other refusal is a fault between the gateway and accounts, not the caller's.
        log.warning("session_resolution_refused", status=problem.status)
        raise Problem(502) from None


async def session_cache_ctx(app: web.Application):
    """Refreshes still running when the gateway stops are cancelled (their entries just expire)."""
    yield
    await app[SESSION_CACHE].close()


def forget_session(request: web.Request, token: str) -> None:
    """Drop a cached resolution: its session was revoked or changed through this gateway."""
    request.app[SESSION_CACHE].forget(token)


def forget_user_sessions(request: web.Request, user_id: uuid.UUID) -> None:
    """Drop every cached session of a user whose account changed through this gateway.

    A password change closes the user's other sessions and a linked dossier changes what
    each of them resolves to: none may be served from the cache any more. The caller's own
    session is asked again on its next request (accounts keeps it open).
    """
    request.app[SESSION_CACHE].forget_user(user_id)


def invalid_token_problem() -> Problem:
    return Problem(
        401,
        "invalid_token",
        "Votre session n'est pas valide ou a expiré. Merci de vous reconnecter.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


@web.middleware
async def auth_middleware(request: web.Request, handler):
    if request.path in _ANONYMOUS_PATHS or request.path.startswith(_ANONYMOUS_PREFIXES):
        return await handler(request)
    token, via = _presented_token(request)
    if token is not None:
        session = await resolve(request, token) if _plausible(token) else None
        if session is not None:
            request[CALLER_REQUEST_KEY] = Caller(token=token, via=via, session=session)
            request[IDENTITY_REQUEST_KEY] = session.identity
        elif via == "bearer":
            raise invalid_token_problem()
        else:
            # An expired or revoked session: the browser goes on anonymously, and forgets it.
            request[_CLEAR_SESSION_COOKIE] = True
    response = await handler(request)
    caller = current_caller(request)
    if caller is not None and request.method not in _SAFE_METHODS and request.path.startswith("/api/accounts/"):
        # A change made straight through the API (a dossier linked, a password changed...)
        # may change what the user's sessions resolve to, or close them: ask accounts again.
        forget_user_sessions(request, caller.session.user_id)
    return response


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def set_session_cookie(
    response: web.StreamResponse, settings: GatewaySettings, token: str, expires_at: datetime
) -> None:
    max_age = max(0, int((expires_at - datetime.now(UTC)).total_seconds()))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
    )


def clear_session_cookie(response: web.StreamResponse, settings: GatewaySettings) -> None:
    response.del_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax", secure=settings.secure_cookies)


async def _clear_stale_cookie(request: web.Request, response: web.StreamResponse) -> None:
    if request.get(_CLEAR_SESSION_COOKIE) and SESSION_COOKIE not in response.cookies:
        add_set_cookie(response, SESSION_COOKIE, "", max_age=0, secure=request.app[SETTINGS].secure_cookies)


def parse_expiry(value: object) -> datetime:
    """``expires_at`` of accounts (RFC 3339); a naive time is taken as UTC."""
    expires_at = datetime.fromisoformat(str(value))
    return expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)


async def log_in(request: web.Request, username: str, password: str) -> tuple[str, datetime, dict]:
    """Open a session at accounts: ``(token, expires_at, accounts' answer)``."""
    doc = await accounts.create_session(request, username, password)
    try:
        token = str(doc["token"])
        expires_at = parse_expiry(doc["expires_at"])
    except (KeyError, TypeError, ValueError):
        log.warning("session_answer_malformed")
        raise Problem(502) from None
    return token, expires_at, doc


async def log_out(request: web.Request) -> None:
    """Close the caller's session at accounts (server side), whatever its state."""
    caller = current_caller(request)
    token = caller.token if caller is not None else _presented_token(request)[0]
    if not _plausible(token):
        return
    forget_session(request, token)
    try:
        await accounts.delete_current_session(request, token)
    except UpstreamProblem as problem:
        # Already expired or revoked: the aim of logging out is reached.
        if problem.status not in (401, 404):
            raise


def _problem_passthrough(problem: UpstreamProblem) -> web.Response:
    doc = problem.problem or Problem(problem.status).to_dict()
    headers = {hdrs.RETRY_AFTER: problem.retry_after} if problem.retry_after else {}
    return web.Response(
        status=problem.status,
        body=json.dumps(doc, ensure_ascii=False).encode(),
        content_type=PROBLEM_CONTENT_TYPE,
        charset="utf-8",
        headers=headers,
    )


class Credentials(BaseModel):
    """The body of ``POST /api/accounts/sessions``, read by the gateway itself."""

    username: str = Field(min_length=1, max_length=MAX_CREDENTIAL_LENGTH)
    password: str = Field(min_length=1, max_length=MAX_CREDENTIAL_LENGTH)


async def api_create_session(request: web.Request) -> web.Response:
    """``POST /api/accounts/sessions``: accounts' answer, plus the cookie for browsers."""
    # servicekit's reader: French 415/400/422, and odd JSON (lone surrogates, absurd
    # nesting) refused rather than passed on to fail later.
    payload = await read_json(request, Credentials)
    try:
        token, expires_at, doc = await log_in(request, payload.username, payload.password)
    except UpstreamProblem as problem:
        return _problem_passthrough(problem)
    response = web.json_response(doc)
    set_session_cookie(response, request.app[SETTINGS], token, expires_at)
    return response


async def api_delete_session(request: web.Request) -> web.Response:
    """``DELETE /api/accounts/sessions/current``: revoked at accounts, cookie cleared."""
    if current_caller(request) is None and _presented_token(request)[0] is None:
        raise Problem(401)
    try:
        await log_out(request)
    except UpstreamProblem as problem:
        return _problem_passthrough(problem)
    response = web.Response(status=204)
    clear_session_cookie(response, request.app[SETTINGS])
    return response


def setup(app: web.Application) -> None:
    """Before ``upstream.setup_routes``: these two routes win over the proxy's."""
    app[SESSION_CACHE] = SessionCache(app[SETTINGS].session_cache_seconds)
    app.cleanup_ctx.append(session_cache_ctx)
    app.on_response_prepare.append(_clear_stale_cookie)
    app.router.add_post("/api/accounts/sessions", api_create_session)
    app.router.add_delete("/api/accounts/sessions/current", api_delete_session)
