"""Read-only queries and their row → schema mapping (no writes here).

Lists are keyset pages ordered by (a timestamp, id), newest first; their cursors are
servicekit's signed ones (``servicekit.pagination.CursorCodec``), decoded and made here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
from servicekit.pagination import CursorCodec


def after(codec: CursorCodec, cursor: str | None) -> tuple[datetime, uuid.UUID] | tuple[None, None]:
    """Where a page starts: the (timestamp, id) of the previous page's last row, or nothing."""
    decoded = codec.decode(cursor, datetime, uuid.UUID)
    return decoded if decoded is not None else (None, None)


def page(
    codec: CursorCodec, rows: Sequence[asyncpg.Record], limit: int, at_column: str
) -> tuple[list[asyncpg.Record], str | None]:
    """Rows fetched with ``LIMIT limit + 1`` → (the page, the signed cursor of the next one)."""
    return codec.page(rows, limit, key=lambda r: (r[at_column], r["id"]))
