"""The gateway's own brake on login attempts: so many per client address and minute.

Accounts throttles failures per client and per (client, username) pair (issue 11); this
brake comes first and is cheaper: a client hammering the login, even with nothing but
wrong passwords, is answered 429 by the gateway without costing accounts a password hash.
It counts attempts, not failures, per client address (``forwarding``: behind a trusted
proxy, the real client's) on this replica, as a token bucket: ``per_minute`` attempts in a
burst, then one every ``60 / per_minute`` seconds. A person typing is never near it
(``GATEWAY_LOGIN_ATTEMPTS_PER_MINUTE``, 20 by default; 0 turns it off).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

import structlog
from aiohttp import web
from servicekit.problems import Problem

from .forwarding import client_address
from .settings import SETTINGS

log = structlog.get_logger(__name__)

LOGIN_PATHS = frozenset({"/connexion", "/api/accounts/sessions"})
THROTTLED_TITLE = "Trop de tentatives de connexion. Merci de patienter un instant avant de réessayer."


class RateLimiter:
    """One token bucket per key, the least recently seen forgotten past ``max_keys``."""

    def __init__(self, per_minute: int, *, max_keys: int = 100_000, clock=time.monotonic):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """0 when allowed (a token is taken), else the seconds until the next token."""
        now = self.clock()
        tokens, seen = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - seen) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


LOGIN_LIMITER = web.AppKey("gateway_login_limiter", RateLimiter)


@web.middleware
async def login_throttle_middleware(request: web.Request, handler):
    limiter = request.app.get(LOGIN_LIMITER)
    if limiter is not None and request.method == "POST" and request.path in LOGIN_PATHS:
        wait = limiter.take(client_address(request) or "unknown")
        if wait:
            # No address in the log: it is personal data, and the count says enough.
            log.info("login_throttled")
            raise Problem(
                429, "too_many_requests", THROTTLED_TITLE, headers={"Retry-After": str(max(1, math.ceil(wait)))}
            )
    return await handler(request)


def setup(app: web.Application) -> None:
    per_minute = app[SETTINGS].login_attempts_per_minute
    if per_minute:
        app[LOGIN_LIMITER] = RateLimiter(per_minute)
