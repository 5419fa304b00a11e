"""The SMTP transport (aiosmtplib): one connection per round of sends, outcomes classified.

What the server answers decides what happens to the e-mail (see ``domain.emails.Outcome``):
- accepted → sent;
- 5xx to RCPT TO → the address bounced: never tried again until staff lift it;
- 5xx to DATA, or an address that cannot be written in an envelope → failed for good;
- 4xx, a refused connection, a timeout, a dropped line → try again later, with back-off;
- a refused sender (MAIL FROM) or a failed login → try again later too: that is our
  configuration, not this e-mail, and nothing is lost while ops fix it.
Error texts kept for staff have the addresses removed; logs get the class and code only.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from ..domain.emails import Outcome, redact_addresses

ERROR_MAX = 300


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    start_tls: bool | None = None  # None: upgrade when the server offers it
    timeout: float = 30.0
    local_hostname: str = "portail-famille.local"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    error: str | None = None  # for the delivery log: code and server text, addresses removed
    error_class: str | None = None  # for logs
    code: int | None = None
    connection_usable: bool = True


def _error(code: int | None, text: str) -> str:
    return redact_addresses(f"{code} {text}" if code else text)[:ERROR_MAX]


class SmtpSession:
    """A lazily opened SMTP connection reused for a round of e-mails."""

    def __init__(self, config: SmtpConfig):
        self.config = config
        self._client: aiosmtplib.SMTP | None = None

    async def _connect(self) -> aiosmtplib.SMTP:
        if self._client is None:
            c = self.config
            client = aiosmtplib.SMTP(
                hostname=c.host,
                port=c.port,
                timeout=c.timeout,
                start_tls=c.start_tls,
                username=c.username or None,
                password=c.password or None,
                local_hostname=c.local_hostname,
            )
            await client.connect()
            self._client = client
        return self._client

    async def deliver(self, message: EmailMessage, *, sender: str, recipient: str) -> Delivery:
        try:
            client = await self._connect()
            await client.send_message(message, sender=sender, recipients=[recipient])
            return Delivery(Outcome.SENT)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0] if exc.recipients else None
            code = refused.code if refused is not None else None
            outcome = Outcome.BOUNCED if code is not None and 500 <= code < 600 else Outcome.TRANSIENT
            text = refused.message if refused is not None else ""
            return Delivery(outcome, _error(code, text), type(exc).__name__, code)
        except (
            aiosmtplib.SMTPAuthenticationError,
            aiosmtplib.SMTPConnectResponseError,
            aiosmtplib.SMTPHeloError,
        ) as exc:
            await self.close()
            return Delivery(Outcome.TRANSIENT, _error(exc.code, exc.message), type(exc).__name__, exc.code, False)
        except aiosmtplib.SMTPSenderRefused as exc:
            return Delivery(Outcome.TRANSIENT, _error(exc.code, exc.message), type(exc).__name__, exc.code)
        except aiosmtplib.SMTPResponseException as exc:
            outcome = Outcome.FAILED if 500 <= exc.code < 600 else Outcome.TRANSIENT
            usable = exc.code != 421  # 421: the server is closing the channel
            if not usable:
                await self.close()
            return Delivery(outcome, _error(exc.code, exc.message), type(exc).__name__, exc.code, usable)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            return Delivery(Outcome.TRANSIENT, _error(None, type(exc).__name__), type(exc).__name__, None, False)
        except ValueError as exc:  # an address aiosmtplib cannot put in an envelope
            return Delivery(Outcome.FAILED, _error(None, "invalid_address"), type(exc).__name__)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()
