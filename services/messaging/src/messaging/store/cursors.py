"""Keyset pagination of messaging's lists: an opaque cursor (timestamp, id) per page.

Messaging's own copy, to be replaced by servicekit's shared cursor pagination (issue 7):
keep it here and nowhere else.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime

import asyncpg

from ..domain.errors import InvalidInput


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | tuple[None, None]:
    if not cursor:
        return None, None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(at), uuid.UUID(row_id)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise InvalidInput(
            "Ce curseur de pagination n'est pas valide.", field="cursor", code="invalid_cursor"
        ) from None


def page(rows: list[asyncpg.Record], limit: int, at_column: str) -> tuple[list[asyncpg.Record], str | None]:
    """Rows fetched with ``LIMIT limit + 1`` → (the page, the cursor of the next one)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1][at_column], rows[-1]["id"])
