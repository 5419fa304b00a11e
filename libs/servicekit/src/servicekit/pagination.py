"""Keyset pagination: opaque, signed cursors and a bounded ``limit``.

A cursor is the sort key of the last item of a page (``(created_at, id)`` ...), as JSON,
base64url-wrapped and signed with HMAC-SHA256 under a key derived from the identity
secret. A client can hand it back but not forge or edit one: a cursor that does not verify,
or whose parts are not of the expected types, is refused with a French 422 naming the
``cursor`` field (the status accounts and messaging have always answered).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from .errors import FieldError, Invalid

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 600
SIGNATURE_BYTES = 16
INVALID_CURSOR = "Ce curseur de pagination n'est pas valide."

Part = str | int | datetime | uuid.UUID
T = TypeVar("T")


def bad_cursor() -> Invalid:
    return Invalid(errors=[FieldError("cursor", "invalid_cursor", INVALID_CURSOR)])


class CursorCodec:
    """Signs and verifies cursors; one per service, built from its settings."""

    def __init__(self, secret: str | bytes, *, purpose: str = "servicekit.pagination.cursor"):
        key = secret.encode() if isinstance(secret, str) else secret
        # A key of its own: a cursor signature can never be replayed as anything else.
        self._key = hmac.new(key, purpose.encode(), hashlib.sha256).digest()

    def encode(self, *parts: Part) -> str:
        raw = json.dumps([_dump(p) for p in parts], separators=(",", ":")).encode()
        return f"{_b64(raw)}.{_b64(self._sign(raw))}"

    def decode(self, cursor: str | None, *types: type) -> tuple | None:
        """The parts of ``cursor`` as ``types`` (str, int, datetime, uuid.UUID); None for none."""
        if cursor is None or cursor == "":
            return None
        try:
            if len(cursor) > MAX_CURSOR_LENGTH:
                raise ValueError
            body, _, signature = cursor.partition(".")
            raw = _unb64(body)
            if not hmac.compare_digest(_unb64(signature), self._sign(raw)):
                raise ValueError
            parts = json.loads(raw)
            if not isinstance(parts, list) or len(parts) != len(types):
                raise ValueError
            return tuple(_load(p, t) for p, t in zip(parts, types, strict=True))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise bad_cursor() from None

    def page(self, rows: Sequence[T], limit: int, key: Callable[[T], Sequence[Part]]) -> tuple[list[T], str | None]:
        """Rows fetched with ``LIMIT limit + 1`` → (the page, the cursor of the next one)."""
        if len(rows) <= limit:
            return list(rows), None
        kept = list(rows[:limit])
        return kept, self.encode(*key(kept[-1]))

    def _sign(self, raw: bytes) -> bytes:
        return hmac.new(self._key, raw, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def parse_limit(raw: str | None, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    """The ``limit`` query parameter: absent → ``default``; else an integer 1..``maximum``."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        message = f"La limite doit être un entier entre 1 et {maximum}."
        raise Invalid(errors=[FieldError("limit", "invalid_limit", message)])
    return value


def _dump(part: Part) -> Any:
    if isinstance(part, datetime):
        if part.tzinfo is None:
            raise ValueError("cursor datetimes are timezone-aware")
        return part.isoformat()
    if isinstance(part, uuid.UUID):
        return str(part)
    if isinstance(part, bool) or not isinstance(part, str | int):
        raise TypeError(f"a cursor part cannot be a {type(part).__name__}")
    return part


def _load(value: Any, kind: type) -> Any:
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
            return value
        raise ValueError
    if not isinstance(value, str):
        raise ValueError
    if kind is str:
        return value
    if kind is datetime:
        at = datetime.fromisoformat(value)
        if at.tzinfo is None:
            raise ValueError
        return at
    if kind is uuid.UUID:
        return uuid.UUID(value)
    raise TypeError(f"unsupported cursor part type {kind!r}")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text or not all(c.isalnum() or c in "-_" for c in text):
        raise ValueError
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
