"""Threads, their messages and the messages' attachments."""

from __future__ import annotations

import uuid

import asyncpg

from ..domain.attachments import Attachment

THREAD_COUNTS = """
    (SELECT count(*) FROM messages m WHERE m.thread_id = t.id) AS messages_count,
    (SELECT count(*) FROM messages m WHERE m.thread_id = t.id AND m.author_kind = 'staff') AS replies_count,
    (SELECT count(*) FROM messages m WHERE m.thread_id = t.id AND m.author_kind = 'staff'
       AND m.read_at IS NULL) AS unread_replies,
    (SELECT count(*) FROM messages m WHERE m.thread_id = t.id AND m.author_kind = 'parent'
       AND m.read_at IS NULL) AS unread_messages
"""

# A thread with its theme's label and role, and its parent's details (for staff).
THREAD_SELECT = f"""
    SELECT t.*, th.label AS theme_label, th.staff_role,
           c.first_name, c.last_name, d.number AS dossier_number, d.family_name,
           {THREAD_COUNTS}
    FROM threads t
    JOIN themes th ON th.id = t.theme_id
    LEFT JOIN contacts c ON c.user_id = t.user_id
    LEFT JOIN dossiers d ON d.dossier_id = t.dossier_id
"""


async def thread_row(conn: asyncpg.Connection, thread_id: uuid.UUID, *, for_update: bool = False):
    lock = " FOR UPDATE OF t" if for_update else ""
    return await conn.fetchrow(THREAD_SELECT + " WHERE t.id = $1" + lock, thread_id)


class Threads:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def get(self, thread_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
        """The thread with its theme's label and role (and its parent's details for staff)."""
        return await thread_row(self.conn, thread_id, for_update=for_update)

    async def add(
        self,
        thread_id: uuid.UUID,
        *,
        theme_id: uuid.UUID,
        user_id: uuid.UUID,
        dossier_id: uuid.UUID | None,
        subject: str,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO threads (id, theme_id, user_id, dossier_id, subject) VALUES ($1, $2, $3, $4, $5)",
            thread_id,
            theme_id,
            user_id,
            dossier_id,
            subject,
        )

    async def hide_for_parent(self, thread_id: uuid.UUID) -> None:
        await self.conn.execute(
            "UPDATE threads SET hidden_by_parent_at = coalesce(hidden_by_parent_at, now()) WHERE id = $1",
            thread_id,
        )

    async def set_state(self, thread_id: uuid.UUID, state: str, by: uuid.UUID) -> None:
        await self.conn.execute(
            """
            UPDATE threads SET state = $2,
              closed_at = CASE WHEN $2 = 'closed' THEN now() ELSE NULL END,
              closed_by = CASE WHEN $2 = 'closed' THEN $3::uuid ELSE NULL END
            WHERE id = $1
            """,
            thread_id,
            state,
            by,
        )


class Messages:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(
        self,
        message_id: uuid.UUID,
        *,
        thread_id: uuid.UUID,
        author_kind: str,
        author_id: uuid.UUID,
        body: str,
        template_id: uuid.UUID | None = None,
    ) -> asyncpg.Record:
        row = await self.conn.fetchrow(
            """
            INSERT INTO messages (id, thread_id, author_kind, author_id, body, template_id, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp()) RETURNING *
            """,
            message_id,
            thread_id,
            author_kind,
            author_id,
            body,
            template_id,
        )
        # A reply from the town puts a thread the parent had removed back in their box:
        # they must not miss an answer.
        await self.conn.execute(
            """
            UPDATE threads SET last_message_at = $2,
              hidden_by_parent_at = CASE WHEN $3 = 'staff' THEN NULL ELSE hidden_by_parent_at END
            WHERE id = $1
            """,
            thread_id,
            row["created_at"],
            author_kind,
        )
        return row

    async def mark_read(self, thread_id: uuid.UUID, author_kind: str) -> int:
        """Mark the messages of ``author_kind`` in the thread read (by the other side)."""
        result = await self.conn.execute(
            "UPDATE messages SET read_at = now() WHERE thread_id = $1 AND author_kind = $2 AND read_at IS NULL",
            thread_id,
            author_kind,
        )
        return int(result.split()[-1])


class Attachments:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(
        self, attachment_id: uuid.UUID, *, message_id: uuid.UUID, thread_id: uuid.UUID, attachment: Attachment
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO attachments (id, message_id, thread_id, filename, content_type, size_bytes, sha256, content)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            attachment_id,
            message_id,
            thread_id,
            attachment.filename,
            attachment.content_type,
            attachment.size_bytes,
            attachment.sha256,
            attachment.content,
        )
