"""The e-mail delivery log and the bounced addresses, addresses masked."""

from __future__ import annotations

import uuid

import asyncpg
from servicekit.pagination import CursorCodec

from ... import schemas
from ...domain.emails import mask_address
from . import after, page


async def email_log(
    conn: asyncpg.Connection,
    codec: CursorCodec,
    *,
    state: str | None,
    kind: str | None,
    user_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> schemas.EmailLogPage:
    at, after_id = after(codec, cursor)
    rows = await conn.fetch(
        """
        SELECT id, kind, state, to_address, user_id, thread_id, attempts, last_error,
               created_at, updated_at, sent_at, next_attempt_at
        FROM emails
        WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR kind = $2)
          AND ($3::uuid IS NULL OR user_id = $3)
          AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $6
        """,
        state,
        kind,
        user_id,
        at,
        after_id,
        limit + 1,
    )
    rows, next_cursor = page(codec, rows, limit, "created_at")
    return schemas.EmailLogPage(
        emails=[
            schemas.EmailLogEntry(
                id=r["id"],
                kind=r["kind"],
                state=r["state"],
                to=mask_address(r["to_address"]),
                user_id=r["user_id"],
                thread_id=r["thread_id"],
                attempts=r["attempts"],
                last_error=r["last_error"],
                created_at=r["created_at"],
                updated_at=r["updated_at"],
                sent_at=r["sent_at"],
                next_attempt_at=r["next_attempt_at"] if r["state"] == "pending" else None,
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )


async def bounced_addresses(
    conn: asyncpg.Connection, codec: CursorCodec, *, limit: int, cursor: str | None
) -> schemas.BouncedAddressPage:
    at, after_id = after(codec, cursor)
    rows = await conn.fetch(
        """
        SELECT * FROM bounced_addresses
        WHERE $1::timestamptz IS NULL OR (last_bounced_at, id) < ($1, $2::uuid)
        ORDER BY last_bounced_at DESC, id DESC
        LIMIT $3
        """,
        at,
        after_id,
        limit + 1,
    )
    rows, next_cursor = page(codec, rows, limit, "last_bounced_at")
    return schemas.BouncedAddressPage(
        addresses=[
            schemas.BouncedAddressOut(
                id=r["id"],
                address=mask_address(r["address"]),
                user_id=r["user_id"],
                bounces=r["bounces"],
                first_bounced_at=r["first_bounced_at"],
                last_bounced_at=r["last_bounced_at"],
                last_error=r["last_error"],
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )
