"""Threads as parents and staff see them: lists (keyset pages), one thread, downloads."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import asyncpg
from servicekit.pagination import CursorCodec

from ... import schemas
from ...domain.emails import MESSAGE_COPY_KEY, display_name
from ..threads import THREAD_COUNTS, THREAD_SELECT
from . import after, page

Record = asyncpg.Record


# --- parents -----------------------------------------------------------------------------


async def parent_threads(
    conn: asyncpg.Connection, codec: CursorCodec, user_id: uuid.UUID, *, box: str, limit: int, cursor: str | None
) -> schemas.ThreadPage:
    at, after_id = after(codec, cursor)
    rows = await conn.fetch(
        f"""
        SELECT t.*, th.label AS theme_label, {THREAD_COUNTS}
        FROM threads t JOIN themes th ON th.id = t.theme_id
        WHERE t.user_id = $1 AND t.hidden_by_parent_at IS NULL
          AND ($2 = 'sent' OR EXISTS (
                SELECT 1 FROM messages m WHERE m.thread_id = t.id AND m.author_kind = 'staff'))
          AND ($3::timestamptz IS NULL OR (t.last_message_at, t.id) < ($3, $4::uuid))
        ORDER BY t.last_message_at DESC, t.id DESC
        LIMIT $5
        """,
        user_id,
        box,
        at,
        after_id,
        limit + 1,
    )
    rows, next_cursor = page(codec, rows, limit, "last_message_at")
    deleted = await conn.fetchval(
        """
        SELECT count(*) FROM threads t
        WHERE t.user_id = $1 AND t.hidden_by_parent_at IS NOT NULL
          AND ($2 = 'sent' OR EXISTS (
                SELECT 1 FROM messages m WHERE m.thread_id = t.id AND m.author_kind = 'staff'))
        """,
        user_id,
        box,
    )
    return schemas.ThreadPage(threads=[_summary(r) for r in rows], next_cursor=next_cursor, deleted_count=deleted)


async def unread_replies(conn: asyncpg.Connection, user_id: uuid.UUID) -> schemas.Notifications:
    count = await conn.fetchval(
        """
        SELECT count(*) FROM messages m JOIN threads t ON t.id = m.thread_id
        WHERE t.user_id = $1 AND t.hidden_by_parent_at IS NULL
          AND m.author_kind = 'staff' AND m.read_at IS NULL
        """,
        user_id,
    )
    return schemas.Notifications(unread_replies=count)


async def parent_thread(conn: asyncpg.Connection, thread: Record) -> schemas.ThreadOut:
    """One thread (a row of ``store.threads``) with its messages, as the parent sees it."""
    tid = thread["id"]
    files = await _attachments(conn, tid, lambda aid: f"/api/messaging/threads/{tid}/attachments/{aid}")
    town = f"Mairie – {thread['theme_label']}"
    return schemas.ThreadOut(
        id=tid,
        theme_id=thread["theme_id"],
        theme_label=thread["theme_label"],
        subject=thread["subject"],
        state=thread["state"],
        created_at=thread["created_at"],
        last_message_at=thread["last_message_at"],
        messages=[
            schemas.MessageOut(
                id=m["id"],
                author=m["author_kind"],
                author_label="Vous" if m["author_kind"] == "parent" else town,
                body=m["body"],
                created_at=m["created_at"],
                read_at=m["read_at"],
                attachments=files.get(m["id"], []),
                email_copy=m["email_copy"],
            )
            for m in await _messages(conn, tid)
        ],
    )


def _summary(r: Record) -> schemas.ThreadSummary:
    return schemas.ThreadSummary.model_validate({**r, "has_reply": r["replies_count"] > 0})


# --- staff -------------------------------------------------------------------------------


async def staff_threads(
    conn: asyncpg.Connection,
    codec: CursorCodec,
    *,
    roles: frozenset[str] | None,
    theme_id: uuid.UUID | None,
    state: str | None,
    unread: bool | None,
    limit: int,
    cursor: str | None,
) -> schemas.StaffThreadPage:
    at, after_id = after(codec, cursor)
    rows = await conn.fetch(
        THREAD_SELECT
        + """
        WHERE ($1::text[] IS NULL OR th.staff_role = ANY($1::text[]))
          AND ($2::uuid IS NULL OR t.theme_id = $2)
          AND ($3::text IS NULL OR t.state = $3)
          AND ($4::bool IS NULL OR $4 = EXISTS (
                SELECT 1 FROM messages m WHERE m.thread_id = t.id AND m.author_kind = 'parent'
                  AND m.read_at IS NULL))
          AND ($5::timestamptz IS NULL OR (t.last_message_at, t.id) < ($5, $6::uuid))
        ORDER BY t.last_message_at DESC, t.id DESC
        LIMIT $7
        """,
        sorted(roles) if roles is not None else None,
        theme_id,
        state,
        unread,
        at,
        after_id,
        limit + 1,
    )
    rows, next_cursor = page(codec, rows, limit, "last_message_at")
    return schemas.StaffThreadPage(
        threads=[schemas.StaffThreadSummary.model_validate(_staff_fields(r)) for r in rows], next_cursor=next_cursor
    )


async def staff_thread(conn: asyncpg.Connection, thread: Record) -> schemas.StaffThreadOut:
    """One thread (a row of ``store.threads``) with its messages, for the theme's agents."""
    tid = thread["id"]
    files = await _attachments(conn, tid, lambda aid: f"/api/messaging/admin/threads/{tid}/attachments/{aid}")
    parent_label = display_name(thread["first_name"], thread["last_name"]) or "Parent"
    town = f"Mairie – {thread['theme_label']}"
    messages = [
        schemas.StaffMessageOut(
            id=m["id"],
            author=m["author_kind"],
            author_label=parent_label if m["author_kind"] == "parent" else town,
            author_id=m["author_id"],
            template_id=m["template_id"],
            body=m["body"],
            created_at=m["created_at"],
            read_at=m["read_at"],
            attachments=files.get(m["id"], []),
            email_copy=m["email_copy"],
        )
        for m in await _messages(conn, tid)
    ]
    return schemas.StaffThreadOut.model_validate({**_staff_fields(thread), "messages": messages})


def _staff_fields(r: Record) -> dict[str, Any]:
    """A staff thread row as the staff models read it (extra columns are ignored)."""
    parent = schemas.ParentInfo(
        user_id=r["user_id"],
        name=display_name(r["first_name"], r["last_name"]) or None,
        dossier_id=r["dossier_id"],
        dossier_number=r["dossier_number"],
        family_name=r["family_name"],
    )
    return {**r, "hidden_by_parent": r["hidden_by_parent_at"] is not None, "parent": parent}


# --- both --------------------------------------------------------------------------------


async def attachment(conn: asyncpg.Connection, thread_id: uuid.UUID, attachment_id: uuid.UUID) -> Record | None:
    """An attachment with its content, for a download."""
    return await conn.fetchrow("SELECT * FROM attachments WHERE thread_id = $1 AND id = $2", thread_id, attachment_id)


async def _messages(conn: asyncpg.Connection, thread_id: uuid.UUID) -> list[Record]:
    """The thread's messages, each with the state of its e-mailed copy (queued with the
    message under this dedupe key, service/threads.py), null when none was asked for."""
    return await conn.fetch(
        """
        SELECT m.*, e.state AS email_copy FROM messages m
        LEFT JOIN emails e ON e.dedupe_key = $2 || m.id::text
        WHERE m.thread_id = $1 ORDER BY m.created_at, m.id
        """,
        thread_id,
        MESSAGE_COPY_KEY,
    )


async def _attachments(
    conn: asyncpg.Connection, thread_id: uuid.UUID, url: Callable[[uuid.UUID], str]
) -> dict[uuid.UUID, list[schemas.AttachmentOut]]:
    """The thread's attachments (without their content) grouped by message."""
    rows = await conn.fetch(
        """
        SELECT id, message_id, filename, content_type, size_bytes FROM attachments
        WHERE thread_id = $1 ORDER BY created_at, id
        """,
        thread_id,
    )
    grouped: dict[uuid.UUID, list[schemas.AttachmentOut]] = defaultdict(list)
    for r in rows:
        grouped[r["message_id"]].append(
            schemas.AttachmentOut(
                id=r["id"],
                filename=r["filename"],
                content_type=r["content_type"],
                size_bytes=r["size_bytes"],
                url=url(r["id"]),
            )
        )
    return grouped
