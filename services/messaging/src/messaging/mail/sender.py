"""The mail sender: delivers pending e-mails, records each outcome, retries with back-off.

Run by servicekit's NotifiedLoop, like the OutboxRelay: woken by ``LISTEN emails`` (the writer's ``NOTIFY``
arrives at commit), polling as a fallback. Each e-mail is taken with ``FOR UPDATE SKIP
LOCKED`` in its own transaction, handed to the SMTP server, and its new state written in
that same transaction: several replicas never send the same row at the same time, and a
row is never marked sent unless the server accepted it. One SMTP connection serves a round
of up to ``batch_size`` e-mails.

The remaining window is at-least-once (docs/emails.md): if the process dies, or the
database commit fails, after the server's "250 OK" and before the commit, the row is still
pending and is sent again. Shutting down lets the e-mail in hand finish first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

import asyncpg
import structlog
from servicekit.worker import NotifiedLoop

from ..domain.emails import Outcome, normalize_address, retry_delay_seconds
from .smtp import Delivery, SmtpConfig, SmtpSession

log = structlog.get_logger(__name__)

CHANNEL = "emails"


@dataclass(frozen=True)
class SenderConfig:
    mail_from: str
    poll_seconds: float = 2.0
    batch_size: int = 50
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    max_attempts: int = 16


def build_message(row, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = formataddr((row["to_name"] or "", row["to_address"]))
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(datetime.now(UTC))
    # Stable per row: a resend after the at-least-once window carries the same id, so
    # mail systems and people can recognise the duplicate.
    message["Message-ID"] = row["message_id"]
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = "fr"
    message.set_content(row["body_text"])
    message.add_alternative(row["body_html"], subtype="html")
    return message


class MailSender:
    def __init__(self, pool: asyncpg.Pool, smtp: SmtpConfig, config: SenderConfig, *, dsn: str):
        self.pool = pool
        self.smtp = smtp
        self.config = config
        self.dsn = dsn
        self._loop = NotifiedLoop(dsn, CHANNEL, self._send_all, poll_seconds=config.poll_seconds, name="mail_sender")

    async def send_round(self) -> int:
        """Handle up to ``batch_size`` due e-mails over one connection; return how many."""
        handled = 0
        session = SmtpSession(self.smtp)
        try:
            while handled < self.config.batch_size and not self._loop.stopping:
                delivery = await self._send_next(session)
                if delivery is None:
                    break
                handled += 1
                if delivery.outcome is Outcome.TRANSIENT and not delivery.connection_usable:
                    break  # the server is unreachable: the rest waits for the next round
        finally:
            await session.close()
        return handled

    async def _send_next(self, session: SmtpSession) -> Delivery | None:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                """
                SELECT id, kind, to_address, to_name, subject, body_text, body_html, message_id,
                       attempts, contains_secret, user_id
                FROM emails
                WHERE state = 'pending' AND next_attempt_at <= now()
                ORDER BY next_attempt_at, created_at
                LIMIT 1
                FOR UPDATE SKIP LOCKED
                """
            )
            if row is None:
                return None
            address = normalize_address(row["to_address"])
            if await conn.fetchval("SELECT true FROM bounced_addresses WHERE address = $1", address):
                await _finish(conn, row["id"], "suppressed", "address_bounced_before")
                log.info("email_suppressed", email_id=str(row["id"]), kind=row["kind"], reason="address_bounced")
                return Delivery(Outcome.FAILED)
            try:
                message = build_message(row, self.config.mail_from)
            except (ValueError, TypeError) as exc:  # e.g. a header that cannot be written
                await _finish(conn, row["id"], "failed", "unbuildable_message")
                log.error("email_failed", email_id=str(row["id"]), kind=row["kind"], error=type(exc).__name__)
                return Delivery(Outcome.FAILED)
            delivery = await session.deliver(
                message, sender=_envelope_sender(self.config.mail_from), recipient=row["to_address"]
            )
            attempts = row["attempts"] + 1
            fields = dict(email_id=str(row["id"]), kind=row["kind"], attempts=attempts)
            if delivery.outcome is Outcome.SENT:
                await _finish(conn, row["id"], "sent", None)
                log.info("email_sent", **fields)
            elif delivery.outcome is Outcome.BOUNCED:
                await _finish(conn, row["id"], "bounced", delivery.error)
                await conn.execute(
                    """
                    INSERT INTO bounced_addresses (address, user_id, last_error, last_email_id)
                    VALUES ($1, $2, $3, $4)
                    ON CONFLICT (address) DO UPDATE SET bounces = bounced_addresses.bounces + 1,
                      last_bounced_at = now(), last_error = EXCLUDED.last_error,
                      last_email_id = EXCLUDED.last_email_id,
                      user_id = coalesce(EXCLUDED.user_id, bounced_addresses.user_id)
                    """,
                    address,
                    row["user_id"],
                    delivery.error,
                    row["id"],
                )
                log.warning("email_bounced", code=delivery.code, **fields)
            elif delivery.outcome is Outcome.FAILED or attempts >= self.config.max_attempts:
                await _finish(conn, row["id"], "failed", delivery.error)
                log.warning("email_failed", code=delivery.code, error=delivery.error_class, **fields)
            else:
                delay = retry_delay_seconds(
                    attempts, base=self.config.retry_base_seconds, cap=self.config.retry_max_seconds
                )
                await conn.execute(
                    """
                    UPDATE emails SET attempts = attempts + 1, last_error = $2, updated_at = now(),
                      next_attempt_at = now() + make_interval(secs => $3::float8)
                    WHERE id = $1
                    """,
                    row["id"],
                    delivery.error,
                    delay,
                )
                log.warning(
                    "email_send_deferred", code=delivery.code, error=delivery.error_class, retry_in_s=delay, **fields
                )
            return delivery

    def stop(self) -> None:
        """Finish the e-mail in hand, then return from ``run``."""
        self._loop.stop()

    async def run(self) -> None:
        """Run until stopped or cancelled; survives database and SMTP outages."""
        await self._loop.run()

    async def _send_all(self) -> None:
        while not self._loop.stopping and await self.send_round() >= self.config.batch_size:
            pass


async def _finish(conn: asyncpg.Connection, email_id, state: str, error: str | None) -> None:
    """A final state; bodies that carried a token are wiped (kind, subject, state remain)."""
    await conn.execute(
        """
        UPDATE emails SET state = $2, last_error = $3, updated_at = now(),
          attempts = attempts + CASE WHEN $2 = 'suppressed' THEN 0 ELSE 1 END,
          sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END,
          body_text = CASE WHEN contains_secret THEN NULL ELSE body_text END,
          body_html = CASE WHEN contains_secret THEN NULL ELSE body_html END
        WHERE id = $1
        """,
        email_id,
        state,
        error,
    )


def _envelope_sender(mail_from: str) -> str:
    return parseaddr(mail_from)[1]
