"""Who is calling the gateway.

Sessions do not exist yet: the login issue adds the middleware that reads the session
cookie or the bearer token and stores the caller's identity under ``IDENTITY_REQUEST_KEY``.
Until then every caller is anonymous, and services answer 401 where they need someone.
"""

from __future__ import annotations

from aiohttp import web
from servicekit.identity import Identity

IDENTITY_REQUEST_KEY = web.RequestKey("gateway_identity", Identity)


def current_identity(request: web.Request) -> Identity | None:
    return request.get(IDENTITY_REQUEST_KEY)
