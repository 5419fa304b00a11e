"""Who is calling, as stored on the request by the auth middleware (see ``auth``).

Kept apart from ``auth`` so that ``upstream`` (which signs the identity for services) and
the accounts client (which ``auth`` calls to resolve sessions) can both read it without
importing each other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from aiohttp import web
from servicekit.identity import Identity


@dataclass(frozen=True)
class SessionInfo:
    """What accounts says about a live session (``/internal/sessions/resolve``)."""

    user_id: uuid.UUID
    roles: frozenset[str]
    dossier_id: uuid.UUID | None
    username: str
    first_name: str
    mobile_display: bool
    expires_at: datetime

    @property
    def identity(self) -> Identity:
        return Identity(user_id=self.user_id, roles=self.roles, dossier_id=self.dossier_id)


@dataclass(frozen=True)
class Caller:
    """A signed-in caller: the session token, how it came, and what it resolves to.

    ``via`` matters for CSRF: a browser sends the cookie by itself (so an unsafe request
    needs the CSRF token), whereas a bearer token is only ever sent on purpose.
    """

    token: str
    via: Literal["cookie", "bearer"]
    session: SessionInfo

    def __repr__(self) -> str:
        # Tokens never reach a log line, not even through a repr in a traceback.
        return f"Caller(via={self.via!r}, user_id={self.session.user_id})"


IDENTITY_REQUEST_KEY = web.RequestKey("gateway_identity", Identity)
CALLER_REQUEST_KEY = web.RequestKey("gateway_caller", Caller)


def current_identity(request: web.Request) -> Identity | None:
    return request.get(IDENTITY_REQUEST_KEY)


def current_caller(request: web.Request) -> Caller | None:
    return request.get(CALLER_REQUEST_KEY)
