"""PostgreSQL behind a unit of work: every write of a use case in one transaction.

``UnitOfWork(pool)`` opens its own transaction and rolls it back unless ``commit()`` was
called. ``UnitOfWork.joined(conn)`` runs inside a transaction someone else owns (the
idempotent consumer's, which holds the inbox row): its ``commit()`` is a no-op and the
owner commits or rolls back everything together. Outbox rows (events) and e-mail rows are
written through the same connection, hence in the same transaction as the change.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg
from servicekit.events import Envelope, add_to_outbox

from .domain.attachments import Attachment
from .domain.errors import Conflict, InvalidInput
from .mail.compose import OutgoingEmail
from .mail.sender import CHANNEL as EMAIL_CHANNEL

Record = asyncpg.Record


# --- keyset pagination -------------------------------------------------------------------


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


def page(rows: list[Record], limit: int, at_column: str) -> tuple[list[Record], str | None]:
    """Rows fetched with ``LIMIT limit + 1`` → (the page, the cursor of the next one)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1][at_column], rows[-1]["id"])


_THREAD_COUNTS = """
    (SELECT count(*) FROM messages m WHERE m.thread_id = t.id) AS messages_count,
    (SELECT count(*) FROM messages m WHERE m.thread_id = t.id AND m.author_kind = 'staff') AS replies_count,
    (SELECT count(*) FROM messages m WHERE m.thread_id = t.id AND m.author_kind = 'staff'
       AND m.read_at IS NULL) AS unread_replies,
    (SELECT count(*) FROM messages m WHERE m.thread_id = t.id AND m.author_kind = 'parent'
       AND m.read_at IS NULL) AS unread_messages
"""

_STAFF_THREAD_SELECT = f"""
    SELECT t.*, th.label AS theme_label, th.staff_role,
           c.first_name, c.last_name, d.number AS dossier_number, d.family_name,
           {_THREAD_COUNTS}
    FROM threads t
    JOIN themes th ON th.id = t.theme_id
    LEFT JOIN contacts c ON c.user_id = t.user_id
    LEFT JOIN dossiers d ON d.dossier_id = t.dossier_id
"""


class Store:
    """The SQL of messaging, on one connection."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    # --- themes ------------------------------------------------------------------------

    async def active_themes(self) -> list[Record]:
        return await self.conn.fetch("SELECT * FROM themes WHERE active ORDER BY position, label")

    async def all_themes(self) -> list[Record]:
        return await self.conn.fetch("SELECT * FROM themes ORDER BY position, label")

    async def theme(self, theme_id: uuid.UUID) -> Record | None:
        return await self.conn.fetchrow("SELECT * FROM themes WHERE id = $1", theme_id)

    async def add_theme(self, code: str, label: str, staff_role: str, position: int) -> Record:
        try:
            return await self.conn.fetchrow(
                "INSERT INTO themes (code, label, staff_role, position) VALUES ($1, $2, $3, $4) RETURNING *",
                code,
                label,
                staff_role,
                position,
            )
        except asyncpg.UniqueViolationError:
            raise Conflict("Un thème porte déjà ce code.", field="code", code="theme_code_taken") from None

    async def update_theme(self, theme_id: uuid.UUID, changes: dict[str, Any]) -> Record | None:
        allowed = {"label", "staff_role", "active", "position"}
        columns = [c for c in changes if c in allowed]
        sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
        return await self.conn.fetchrow(
            f"UPDATE themes SET {sets + ', ' if sets else ''}updated_at = now() WHERE id = $1 RETURNING *",
            theme_id,
            *(changes[c] for c in columns),
        )

    # --- contacts and dossiers (local copies fed by accounts' events) -----------------

    async def apply_contact_profile(
        self,
        user_id: uuid.UUID,
        as_of: datetime,
        *,
        email: str,
        first_name: str | None,
        last_name: str | None,
        dossier_id: uuid.UUID | None = None,
        set_dossier: bool = False,
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO contacts (user_id, email, first_name, last_name, dossier_id, profile_as_of)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (user_id) DO UPDATE SET
              email = EXCLUDED.email, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
              dossier_id = CASE WHEN $7 THEN EXCLUDED.dossier_id ELSE contacts.dossier_id END,
              profile_as_of = EXCLUDED.profile_as_of
            WHERE contacts.profile_as_of <= EXCLUDED.profile_as_of AND contacts.status <> 'purged'
            """,
            user_id,
            email,
            first_name,
            last_name,
            dossier_id,
            as_of,
            set_dossier,
        )

    async def apply_contact_status(self, user_id: uuid.UUID, as_of: datetime, status: str) -> None:
        await self.conn.execute(
            """
            INSERT INTO contacts (user_id, status, status_as_of) VALUES ($1, $2, $3)
            ON CONFLICT (user_id) DO UPDATE SET status = EXCLUDED.status, status_as_of = EXCLUDED.status_as_of
            WHERE contacts.status_as_of <= EXCLUDED.status_as_of AND contacts.status <> 'purged'
            """,
            user_id,
            status,
            as_of,
        )

    async def purge_contact(self, user_id: uuid.UUID, as_of: datetime) -> None:
        """Forget who they were; keep a tombstone so that a late event cannot revive them."""
        await self.conn.execute(
            """
            INSERT INTO contacts (user_id, status, profile_as_of, status_as_of) VALUES ($1, 'purged', $2, $2)
            ON CONFLICT (user_id) DO UPDATE SET status = 'purged', email = NULL, first_name = NULL,
              last_name = NULL, dossier_id = NULL, profile_as_of = $2, status_as_of = $2
            """,
            user_id,
            as_of,
        )
        await self.conn.execute(
            """
            UPDATE emails SET to_address = NULL, to_name = NULL, body_text = NULL, body_html = NULL,
              state = CASE WHEN state = 'pending' THEN 'suppressed' ELSE state END,
              last_error = CASE WHEN state = 'pending' THEN 'contact_purged' ELSE last_error END,
              updated_at = now()
            WHERE user_id = $1
            """,
            user_id,
        )

    async def suppress_pending_emails(self, user_id: uuid.UUID, reason: str) -> int:
        result = await self.conn.execute(
            """
            UPDATE emails SET state = 'suppressed', last_error = $2, updated_at = now(),
              body_text = CASE WHEN contains_secret THEN NULL ELSE body_text END,
              body_html = CASE WHEN contains_secret THEN NULL ELSE body_html END
            WHERE user_id = $1 AND state = 'pending'
            """,
            user_id,
            reason,
        )
        return int(result.split()[-1])

    async def contact(self, user_id: uuid.UUID) -> Record | None:
        return await self.conn.fetchrow("SELECT * FROM contacts WHERE user_id = $1", user_id)

    async def apply_dossier(
        self, dossier_id: uuid.UUID, as_of: datetime, *, number: str, family_name: str, invoices_by_email: bool
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO dossiers (dossier_id, number, family_name, invoices_by_email, as_of)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (dossier_id) DO UPDATE SET number = EXCLUDED.number,
              family_name = EXCLUDED.family_name, invoices_by_email = EXCLUDED.invoices_by_email,
              as_of = EXCLUDED.as_of
            WHERE dossiers.as_of <= EXCLUDED.as_of
            """,
            dossier_id,
            number,
            family_name,
            invoices_by_email,
            as_of,
        )

    # --- threads and messages ------------------------------------------------------------

    async def add_thread(
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

    async def add_message(
        self,
        message_id: uuid.UUID,
        *,
        thread_id: uuid.UUID,
        author_kind: str,
        author_id: uuid.UUID,
        body: str,
        template_id: uuid.UUID | None = None,
    ) -> Record:
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

    async def add_attachment(
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

    async def thread(self, thread_id: uuid.UUID, *, for_update: bool = False) -> Record | None:
        """The thread with its theme's label and role (and its parent's details for staff)."""
        lock = " FOR UPDATE OF t" if for_update else ""
        return await self.conn.fetchrow(_STAFF_THREAD_SELECT + " WHERE t.id = $1" + lock, thread_id)

    async def messages(self, thread_id: uuid.UUID) -> list[Record]:
        return await self.conn.fetch("SELECT * FROM messages WHERE thread_id = $1 ORDER BY created_at, id", thread_id)

    async def attachments_of_thread(self, thread_id: uuid.UUID) -> list[Record]:
        return await self.conn.fetch(
            """
            SELECT id, message_id, filename, content_type, size_bytes FROM attachments
            WHERE thread_id = $1 ORDER BY created_at, id
            """,
            thread_id,
        )

    async def attachment(self, thread_id: uuid.UUID, attachment_id: uuid.UUID) -> Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM attachments WHERE thread_id = $1 AND id = $2", thread_id, attachment_id
        )

    async def mark_read(self, thread_id: uuid.UUID, author_kind: str) -> int:
        """Mark the messages of ``author_kind`` in the thread read (by the other side)."""
        result = await self.conn.execute(
            "UPDATE messages SET read_at = now() WHERE thread_id = $1 AND author_kind = $2 AND read_at IS NULL",
            thread_id,
            author_kind,
        )
        return int(result.split()[-1])

    async def hide_for_parent(self, thread_id: uuid.UUID) -> None:
        await self.conn.execute(
            "UPDATE threads SET hidden_by_parent_at = coalesce(hidden_by_parent_at, now()) WHERE id = $1",
            thread_id,
        )

    async def set_thread_state(self, thread_id: uuid.UUID, state: str, by: uuid.UUID) -> None:
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

    async def parent_threads(
        self, user_id: uuid.UUID, *, box: str, limit: int, cursor: str | None
    ) -> tuple[list[Record], str | None]:
        at, after_id = decode_cursor(cursor)
        rows = await self.conn.fetch(
            f"""
            SELECT t.*, th.label AS theme_label, {_THREAD_COUNTS}
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
        return page(rows, limit, "last_message_at")

    async def unread_replies(self, user_id: uuid.UUID) -> int:
        return await self.conn.fetchval(
            """
            SELECT count(*) FROM messages m JOIN threads t ON t.id = m.thread_id
            WHERE t.user_id = $1 AND t.hidden_by_parent_at IS NULL
              AND m.author_kind = 'staff' AND m.read_at IS NULL
            """,
            user_id,
        )

    async def staff_threads(
        self,
        *,
        roles: frozenset[str] | None,
        theme_id: uuid.UUID | None,
        state: str | None,
        unread: bool | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Record], str | None]:
        at, after_id = decode_cursor(cursor)
        rows = await self.conn.fetch(
            _STAFF_THREAD_SELECT
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
        return page(rows, limit, "last_message_at")

    # --- reply templates -----------------------------------------------------------------

    async def reply_templates(self, theme_ids: list[uuid.UUID] | None) -> list[Record]:
        """Every template (``None``), or the ones for these themes plus the general ones."""
        return await self.conn.fetch(
            """
            SELECT * FROM reply_templates
            WHERE $1::uuid[] IS NULL OR theme_id IS NULL OR theme_id = ANY($1::uuid[])
            ORDER BY title, id
            """,
            theme_ids,
        )

    async def reply_template(self, template_id: uuid.UUID) -> Record | None:
        return await self.conn.fetchrow("SELECT * FROM reply_templates WHERE id = $1", template_id)

    async def add_reply_template(self, title: str, body: str, theme_id: uuid.UUID | None) -> Record:
        return await self.conn.fetchrow(
            "INSERT INTO reply_templates (title, body, theme_id) VALUES ($1, $2, $3) RETURNING *",
            title,
            body,
            theme_id,
        )

    async def update_reply_template(self, template_id: uuid.UUID, changes: dict[str, Any]) -> Record | None:
        allowed = {"title", "body", "theme_id"}
        columns = [c for c in changes if c in allowed]
        sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
        return await self.conn.fetchrow(
            f"UPDATE reply_templates SET {sets + ', ' if sets else ''}updated_at = now() WHERE id = $1 RETURNING *",
            template_id,
            *(changes[c] for c in columns),
        )

    async def delete_reply_template(self, template_id: uuid.UUID) -> bool:
        return (await self.conn.execute("DELETE FROM reply_templates WHERE id = $1", template_id)) == "DELETE 1"

    # --- e-mails -------------------------------------------------------------------------

    async def add_email(self, email: OutgoingEmail, *, suppressed_because: str | None = None) -> bool:
        """Queue an e-mail (or record it as suppressed); False if its dedupe key exists."""
        suppressed = suppressed_because is not None
        inserted = await self.conn.fetchval(
            """
            INSERT INTO emails (id, dedupe_key, kind, user_id, thread_id, to_address, to_name, subject,
                                body_text, body_html, contains_secret, message_id, state, last_error)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING true
            """,
            email.id,
            email.dedupe_key,
            email.kind,
            email.user_id,
            email.thread_id,
            email.to_address,
            email.to_name,
            email.subject,
            None if suppressed and email.contains_secret else email.body_text,
            None if suppressed and email.contains_secret else email.body_html,
            email.contains_secret,
            email.message_id,
            "suppressed" if suppressed else "pending",
            suppressed_because,
        )
        if inserted and not suppressed:
            # Delivered at commit only: the sender wakes for e-mails it may send.
            await self.conn.execute(f"NOTIFY {EMAIL_CHANNEL}")
        return bool(inserted)

    async def email_log(
        self, *, state: str | None, kind: str | None, user_id: uuid.UUID | None, limit: int, cursor: str | None
    ) -> tuple[list[Record], str | None]:
        at, after_id = decode_cursor(cursor)
        rows = await self.conn.fetch(
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
        return page(rows, limit, "created_at")

    async def bounced_addresses(self, *, limit: int, cursor: str | None) -> tuple[list[Record], str | None]:
        at, after_id = decode_cursor(cursor)
        rows = await self.conn.fetch(
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
        return page(rows, limit, "last_bounced_at")

    async def is_bounced(self, address: str) -> bool:
        return bool(await self.conn.fetchval("SELECT true FROM bounced_addresses WHERE address = $1", address))

    async def lift_bounced_address(self, bounce_id: uuid.UUID) -> bool:
        return (await self.conn.execute("DELETE FROM bounced_addresses WHERE id = $1", bounce_id)) == "DELETE 1"

    # --- events and idempotency keys -----------------------------------------------------

    async def publish(self, envelope: Envelope) -> None:
        await add_to_outbox(self.conn, envelope)

    async def claim_idempotency_key(self, user_id: uuid.UUID, key: str, request_hash: str) -> Record | None:
        """None when the key is new (now taken); else the first request's stored answer.

        A concurrent request with the same key waits on the unique index until the first
        one commits, then reads its answer.
        """
        claimed = await self.conn.fetchval(
            """
            INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
            ON CONFLICT (user_id, key) DO NOTHING RETURNING true
            """,
            user_id,
            key,
            request_hash,
        )
        if claimed:
            return None
        return await self.conn.fetchrow(
            "SELECT request_hash, status, response FROM idempotency_keys WHERE user_id = $1 AND key = $2",
            user_id,
            key,
        )

    async def save_idempotent_response(self, user_id: uuid.UUID, key: str, status: int, response: dict) -> None:
        await self.conn.execute(
            "UPDATE idempotency_keys SET status = $3, response = $4 WHERE user_id = $1 AND key = $2",
            user_id,
            key,
            status,
            response,
        )


class UnitOfWork:
    def __init__(self, pool: asyncpg.Pool | None = None, *, conn: asyncpg.Connection | None = None):
        if (pool is None) == (conn is None):
            raise ValueError("a pool or a connection")
        self._pool = pool
        self._joined = conn
        self._conn: asyncpg.Connection | None = None
        self._tx = None
        self._committed = False

    @classmethod
    def joined(cls, conn: asyncpg.Connection) -> UnitOfWork:
        if not conn.is_in_transaction():
            raise RuntimeError("a joined unit of work needs its owner's transaction")
        return cls(conn=conn)

    async def __aenter__(self) -> UnitOfWork:
        if self._joined is not None:
            self._conn = self._joined
        else:
            self._conn = await self._pool.acquire()
            self._tx = self._conn.transaction()
            await self._tx.start()
        self.store = Store(self._conn)
        return self

    async def commit(self) -> None:
        if self._tx is not None:
            await self._tx.commit()
        self._committed = True

    async def __aexit__(self, *exc) -> None:
        if self._tx is None:
            return
        try:
            if not self._committed:
                await self._tx.rollback()
        finally:
            await self._pool.release(self._conn)
