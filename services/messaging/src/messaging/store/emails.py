"""The e-mail outbox (``emails``) and the addresses refused for good (``bounced_addresses``).

Use cases queue e-mails in their own transaction; the mail sender (mail/sender.py) takes
them one by one and writes each outcome here.
"""

from __future__ import annotations

import uuid

import asyncpg

from ..mail.compose import OutgoingEmail

# The writer NOTIFYs it (delivered at commit); the mail sender LISTENs on it.
CHANNEL = "emails"

_WIPE_SECRET_BODIES = """
  body_text = CASE WHEN contains_secret THEN NULL ELSE body_text END,
  body_html = CASE WHEN contains_secret THEN NULL ELSE body_html END
"""


class Emails:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(self, email: OutgoingEmail, *, suppressed_because: str | None = None) -> bool:
        """Queue an e-mail (or record it as suppressed); False if its dedupe key exists."""
        suppressed = suppressed_because is not None
        inserted = await self.conn.fetchval(
            """
            INSERT INTO emails (id, dedupe_key, kind, user_id, thread_id, to_address, to_name, subject,
                                body_text, body_html, contains_secret, message_id, state, last_error,
                                attachment_name, attachment_type, attachment)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
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
            email.attachment.filename if email.attachment else None,
            email.attachment.content_type if email.attachment else None,
            email.attachment.content if email.attachment and not suppressed else None,
        )
        if inserted and not suppressed:
            # Delivered at commit only: the sender wakes for e-mails it may send.
            await self.conn.execute(f"NOTIFY {CHANNEL}")
        return bool(inserted)

    async def suppress_pending(self, user_id: uuid.UUID, reason: str) -> int:
        result = await self.conn.execute(
            f"""
            UPDATE emails SET state = 'suppressed', last_error = $2, updated_at = now(), {_WIPE_SECRET_BODIES}
            WHERE user_id = $1 AND state = 'pending'
            """,
            user_id,
            reason,
        )
        return int(result.split()[-1])

    async def forget_user(self, user_id: uuid.UUID) -> None:
        """A purged user: no address, no name, no body left; what was pending is not sent."""
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

    # --- delivery (the mail sender) ---------------------------------------------------

    async def take_next_due(self) -> asyncpg.Record | None:
        """The next pending e-mail that is due, locked; replicas skip each other's."""
        return await self.conn.fetchrow(
            """
            SELECT id, kind, to_address, to_name, subject, body_text, body_html, message_id,
                   attempts, contains_secret, user_id, attachment_name, attachment_type, attachment
            FROM emails
            WHERE state = 'pending' AND next_attempt_at <= now()
            ORDER BY next_attempt_at, created_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED
            """
        )

    async def finish(self, email_id: uuid.UUID, state: str, error: str | None) -> None:
        """A final state; bodies that carried a token are wiped (kind, subject, state remain)."""
        await self.conn.execute(
            f"""
            UPDATE emails SET state = $2, last_error = $3, updated_at = now(),
              attempts = attempts + CASE WHEN $2 = 'suppressed' THEN 0 ELSE 1 END,
              sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END, {_WIPE_SECRET_BODIES}
            WHERE id = $1
            """,
            email_id,
            state,
            error,
        )

    async def defer(self, email_id: uuid.UUID, error: str | None, delay_seconds: float) -> None:
        await self.conn.execute(
            """
            UPDATE emails SET attempts = attempts + 1, last_error = $2, updated_at = now(),
              next_attempt_at = now() + make_interval(secs => $3::float8)
            WHERE id = $1
            """,
            email_id,
            error,
            delay_seconds,
        )


class Bounces:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def is_bounced(self, address: str) -> bool:
        return bool(await self.conn.fetchval("SELECT true FROM bounced_addresses WHERE address = $1", address))

    async def record(self, address: str, *, user_id: uuid.UUID | None, error: str | None, email_id: uuid.UUID) -> None:
        await self.conn.execute(
            """
            INSERT INTO bounced_addresses (address, user_id, last_error, last_email_id)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (address) DO UPDATE SET bounces = bounced_addresses.bounces + 1,
              last_bounced_at = now(), last_error = EXCLUDED.last_error,
              last_email_id = EXCLUDED.last_email_id,
              user_id = coalesce(EXCLUDED.user_id, bounced_addresses.user_id)
            """,
            address,
            user_id,
            error,
            email_id,
        )

    async def lift(self, bounce_id: uuid.UUID) -> bool:
        return (await self.conn.execute("DELETE FROM bounced_addresses WHERE id = $1", bounce_id)) == "DELETE 1"
