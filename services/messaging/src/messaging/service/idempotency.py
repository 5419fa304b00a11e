"""Idempotency-Key replay for creations: a repeated request gets the first answer again.

Messaging's own copy, to be replaced by servicekit's shared helper (issue 7); the key's
storage is store/idempotency.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import structlog
from servicekit.identity import Identity

from ..domain.errors import IdempotencyKeyReused
from ..store import UnitOfWork

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class IdempotencyKey:
    key: str
    request_hash: str


@dataclass(frozen=True)
class Answer:
    """A creation's answer: replayed as is for a repeated Idempotency-Key."""

    status: int
    body: dict[str, Any]


def request_fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


async def replay(uow: UnitOfWork, caller: Identity, idem: IdempotencyKey | None) -> Answer | None:
    """Claim the key, or return the answer stored for it (refused if the request differs)."""
    if idem is None:
        return None
    stored = await uow.idempotency.claim(caller.user_id, idem.key, idem.request_hash)
    if stored is None:
        return None
    if stored["request_hash"] != idem.request_hash or stored["status"] is None:
        raise IdempotencyKeyReused(field="Idempotency-Key")
    log.info("idempotent_replay")
    return Answer(stored["status"], stored["response"])


async def remember(uow: UnitOfWork, caller: Identity, idem: IdempotencyKey | None, answer: Answer) -> None:
    if idem is not None:
        await uow.idempotency.save_response(caller.user_id, idem.key, answer.status, answer.body)
