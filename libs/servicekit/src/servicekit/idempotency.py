"""Idempotency-Key: a repeated creation request replays the first answer, once per service.

The answers live in servicekit's ``idempotent_requests`` table (migration
``0001_servicekit_idempotency``), keyed by (scope, method, path, key): the scope is the
caller (``user:<id>``, or ``client:<address>`` before login). The request's fingerprint
(its body, or what the handler passes) is stored with it: the same key with another
request is refused (422), never answered with someone else's answer.

Exactly one effect, even when the process dies or two requests race:

1. ``idempotent()`` looks for a stored answer: found → replayed (``Idempotent-Replayed``).
2. Otherwise it runs the use case with the ``IdempotencyKey``; the use case calls
   ``await uow.remember(key, answer)`` before ``uow.commit()``, so the answer is written
   in the SAME transaction as the effect and its events. A crash before commit leaves
   neither; after commit, both.
3. Two requests with the same key: the second one's insert waits on the primary key until
   the first commits, then finds the row taken → ``IdempotencyRace`` → its transaction,
   effect included, rolls back, and ``idempotent()`` replays the first answer. When the
   second one fails earlier, on a rule the first one's effect broke (a unique number now
   taken), the refusal is not shown either: the first answer is replayed.

A use case that does not call ``remember`` still gets its answer stored, after its commit,
in a transaction of its own — replay works, but a crash in between or a concurrent
duplicate can repeat the effect: a warning is logged, and new code always remembers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import structlog
from aiohttp import web
from pydantic import BaseModel

from .errors import DomainError, FieldError, Invalid
from .identity import IDENTITY_KEY
from .openapi import idempotency_key_header
from .problems import Problem
from .requests import client_address

log = structlog.get_logger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
DEFAULT_TTL = timedelta(hours=24)
# The header as route tables document it (``Route(headers=(IDEMPOTENCY_PARAM,))``).
IDEMPOTENCY_PARAM = idempotency_key_header(max_length=MAX_KEY_LENGTH)


class IdempotencyRace(Exception):
    """Another request with the same key committed while this one ran: replay its answer."""


@dataclass
class IdempotencyKey:
    """What the use case needs to remember its answer: who, where, which key, which request."""

    scope: str
    method: str
    path: str
    key: str
    request_hash: str
    status: int = 201
    ttl: timedelta = DEFAULT_TTL
    remembered: bool = False


@dataclass(frozen=True)
class StoredAnswer:
    request_hash: str
    status: int
    body: Any


class IdempotencyRecords:
    """The SQL of ``idempotent_requests`` on one connection (a unit of work's)."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def find(self, key: IdempotencyKey) -> StoredAnswer | None:
        row = await self.conn.fetchrow(
            """
            SELECT request_hash, status, body FROM idempotent_requests
            WHERE scope = $1 AND method = $2 AND path = $3 AND key = $4 AND expires_at > now()
            """,
            key.scope,
            key.method,
            key.path,
            key.key,
        )
        return StoredAnswer(row["request_hash"], row["status"], row["body"]) if row else None

    async def save(self, key: IdempotencyKey, body: Any) -> bool:
        """False when a request with the same key committed first (a live one)."""
        saved = await self.conn.fetchval(
            """
            INSERT INTO idempotent_requests (scope, method, path, key, request_hash, status, body, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8::interval)
            ON CONFLICT (scope, method, path, key) DO UPDATE
              SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status, body = EXCLUDED.body,
                  created_at = now(), expires_at = EXCLUDED.expires_at
              WHERE idempotent_requests.expires_at <= now()
            RETURNING true
            """,
            key.scope,
            key.method,
            key.path,
            key.key,
            key.request_hash,
            key.status,
            body,
            key.ttl,
        )
        return bool(saved)

    async def purge_expired(self, now: datetime | None = None) -> int:
        """Delete the answers past their expiry (a periodic job calls this)."""
        if now is None:
            result = await self.conn.execute("DELETE FROM idempotent_requests WHERE expires_at <= now()")
        else:
            result = await self.conn.execute("DELETE FROM idempotent_requests WHERE expires_at <= $1", now)
        return int(result.split()[-1])


async def read_idempotency_key(
    request: web.Request,
    *,
    status: int = 201,
    scope: str | None = None,
    fingerprint: Any = None,
    ttl: timedelta = DEFAULT_TTL,
) -> IdempotencyKey | None:
    """The request's Idempotency-Key (None without one); 400 for a malformed header.

    ``fingerprint`` (any JSON-able value, e.g. the parsed command) identifies the request;
    without it, the raw body does. Pass one for multipart forms, whose boundaries change
    from one retry to the next.
    """
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not 1 <= len(raw) <= MAX_KEY_LENGTH or not all(33 <= ord(c) <= 126 for c in raw):
        raise Problem(
            400,
            "invalid_idempotency_key",
            f"L'en-tête Idempotency-Key doit compter 1 à {MAX_KEY_LENGTH} caractères ASCII visibles.",
        )
    if scope is None:
        identity = request.get(IDENTITY_KEY)
        scope = f"user:{identity.user_id}" if identity is not None else f"client:{client_address(request)}"
    if fingerprint is None:
        digest = hashlib.sha256(await request.read()).hexdigest()
    else:
        digest = hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()
    return IdempotencyKey(scope, request.method, request.path, raw, digest, status=status, ttl=ttl)


Answer = BaseModel | dict[str, Any]


async def idempotent(
    request: web.Request,
    run: Callable[[IdempotencyKey | None], Awaitable[Answer]],
    *,
    pool: asyncpg.Pool,
    status: int = 201,
    scope: str | None = None,
    fingerprint: Any = None,
    ttl: timedelta = DEFAULT_TTL,
) -> web.Response:
    """Run a creation once per Idempotency-Key; the same key replays the first answer.

    ``run(key)`` calls the use case, which passes ``key`` to ``uow.remember(key, answer)``
    inside its transaction (see the module's docstring).
    """
    key = await read_idempotency_key(request, status=status, scope=scope, fingerprint=fingerprint, ttl=ttl)
    if key is None:
        return _answer(await run(None), status)
    stored = await _stored(pool, key)
    if stored is not None:
        return _replay(stored)
    try:
        answer = await run(key)
    except IdempotencyRace:
        stored = await _stored(pool, key)
        if stored is None:  # the first one expired in between: cannot happen within a TTL
            raise
        return _replay(stored)
    except DomainError:
        # A twin with the same key may have committed while this one ran and made this one
        # fail on a rule (the number it created is now taken, the basket is frozen...):
        # the caller asked once, so it gets the first answer, not the twin's side effect.
        stored = await _stored(pool, key)
        if stored is None:
            raise
        return _replay(stored)
    if not key.remembered:
        log.warning("idempotency_not_atomic", path=key.path)
        async with pool.acquire() as conn:
            await IdempotencyRecords(conn).save(key, _body(answer))
    return _answer(answer, key.status)


async def _stored(pool: asyncpg.Pool, key: IdempotencyKey) -> StoredAnswer | None:
    async with pool.acquire() as conn:
        stored = await IdempotencyRecords(conn).find(key)
    if stored is not None and stored.request_hash != key.request_hash:
        raise Invalid(
            "idempotency_key_reused",
            "Cette clé d'idempotence a déjà servi pour une autre demande.",
            errors=[
                FieldError(HEADER, "idempotency_key_reused", "Utilisez une nouvelle clé pour une nouvelle demande.")
            ],
        )
    return stored


def _body(answer: Answer) -> Any:
    return answer.model_dump(mode="json") if isinstance(answer, BaseModel) else answer


def _answer(answer: Answer, status: int) -> web.Response:
    if isinstance(answer, BaseModel):
        return web.Response(body=answer.model_dump_json().encode(), status=status, content_type="application/json")
    return web.json_response(answer, status=status)


def _replay(stored: StoredAnswer) -> web.Response:
    log.info("idempotent_replay")
    return web.json_response(stored.body, status=stored.status, headers={REPLAYED_HEADER: "true"})
