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
from ..store.emails import CHANNEL, Bounces, Emails
from .smtp import Delivery, SmtpConfig, SmtpSession

log = structlog.get_logger(__name__)


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
    if row.get("attachment") is not None:
        maintype, _, subtype = (row["attachment_type"] or "application/octet-stream").partition("/")
        message.add_attachment(bytes(row["attachment"]), maintype=maintype, subtype=subtype,
                               filename=row["attachment_name"] or "document")  # fmt: skip
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
            emails, bounces = Emails(conn), Bounces(conn)
            row = await emails.take_next_due()
            if row is None:
                return None
            address = normalize_address(row["to_address"])
            if await bounces.is_bounced(address):
                await emails.finish(row["id"], "suppressed", "address_bounced_before")
                log.info("email_suppressed", email_id=str(row["id"]), kind=row["kind"], reason="address_bounced")
                return Delivery(Outcome.FAILED)
            try:
                message = build_message(row, self.config.mail_from)
            except (ValueError, TypeError) as exc:  # e.g. a header that cannot be written
                await emails.finish(row["id"], "failed", "unbuildable_message")
                log.error("email_failed", email_id=str(row["id"]), kind=row["kind"], error=type(exc).__name__)
                return Delivery(Outcome.FAILED)
            delivery = await session.deliver(
                message, sender=_envelope_sender(self.config.mail_from), recipient=row["to_address"]
            )
            attempts = row["attempts"] + 1
            fields = dict(email_id=str(row["id"]), kind=row["kind"], attempts=attempts)
            if delivery.outcome is Outcome.SENT:
                await emails.finish(row["id"], "sent", None)
                log.info("email_sent", **fields)
            elif delivery.outcome is Outcome.BOUNCED:
                await emails.finish(row["id"], "bounced", delivery.error)
                await bounces.record(address, user_id=row["user_id"], error=delivery.error, email_id=row["id"])
                log.warning("email_bounced", code=delivery.code, **fields)
            elif delivery.outcome is Outcome.FAILED or attempts >= self.config.max_attempts:
                await emails.finish(row["id"], "failed", delivery.error)
                log.warning("email_failed", code=delivery.code, error=delivery.error_class, **fields)
            else:
                delay = retry_delay_seconds(
                    attempts, base=self.config.retry_base_seconds, cap=self.config.retry_max_seconds
                )
                await emails.defer(row["id"], delivery.error, delay)
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


def _envelope_sender(mail_from: str) -> str:
    return parseaddr(mail_from)[1]
