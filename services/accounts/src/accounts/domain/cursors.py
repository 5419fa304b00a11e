"""Opaque pagination cursors: the sort key of the last item seen, base64-wrapped."""

from __future__ import annotations

import base64
import binascii
import json

from .errors import FieldError, invalid

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def encode(*parts: str | int) -> str:
    raw = json.dumps(list(parts), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, arity: int) -> list | None:
    if cursor is None or cursor == "":
        return None
    try:
        if len(cursor) > 500:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
        if not isinstance(parts, list) or len(parts) != arity or not all(isinstance(p, (str, int)) for p in parts):
            raise ValueError
        return parts
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid(FieldError("cursor", "invalid_cursor", "Ce curseur de pagination n'est pas valide.")) from None


def integer(part: str | int) -> int:
    if isinstance(part, int) and not isinstance(part, bool) and 0 <= part < 2**63:
        return part
    raise invalid(FieldError("cursor", "invalid_cursor", "Ce curseur de pagination n'est pas valide."))


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        raise invalid(FieldError("limit", "invalid_limit", f"La limite doit être un entier entre 1 et {MAX_LIMIT}."))
    return value
