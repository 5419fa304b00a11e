"""Composition root of the messaging service."""

from __future__ import annotations

from email.utils import parseaddr
from functools import partial
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from servicekit.openapi import add_routes, openapi_route
from servicekit.service import DB, SETTINGS, ServiceSpec, create_service_app
from servicekit.service import main as service_main
from servicekit.settings import ServiceSettings
from servicekit.worker import background

from . import admin_api, api, consumers, demo
from .domain.attachments import DEFAULT_MAX_BYTES
from .mail.compose import MailComposer
from .mail.sender import MailSender, SenderConfig
from .mail.smtp import SmtpConfig
from .service.housekeeping import purge_expired_answers
from .web import COMPOSER, messaging_of_app


class MessagingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MESSAGING_", extra="ignore", populate_by_name=True)

    http_port: int = 8084
    database_url: str = "postgresql://postgres@127.0.0.1:5432/messaging"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(1025, ge=1, le=65535)
    smtp_username: str = ""  # empty: no login (Mailpit, a local relay)
    smtp_password: SecretStr = SecretStr("")
    # auto: upgrade when the server offers STARTTLS; required: refuse a server that does not.
    smtp_starttls: Literal["auto", "required", "off"] = "auto"
    smtp_timeout_seconds: float = Field(30.0, gt=0, le=300)
    mail_from: str = "Portail Famille <ne-pas-repondre@portail-famille.local>"
    public_url: str = "http://127.0.0.1:8080"
    attachment_max_bytes: int = Field(DEFAULT_MAX_BYTES, ge=1024, le=50 * 1024 * 1024)
    mail_batch_size: int = Field(50, ge=1, le=1000)
    mail_retry_base_seconds: float = Field(30.0, gt=0, le=3600)
    mail_retry_max_seconds: float = Field(3600.0, gt=0, le=86400)
    mail_max_attempts: int = Field(16, ge=1, le=100)
    # How often Idempotency-Key answers past their 24 h go (servicekit's idempotent_requests).
    purge_interval_seconds: float = Field(3600.0, gt=0, le=86400)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str) -> str:
        if "@" not in parseaddr(value)[1]:
            raise ValueError('must be an address, e.g. "Portail Famille <ne-pas-repondre@ville.fr>"')
        return value

    @model_validator(mode="after")
    def _smtp_login_has_a_password(self):
        # Outside development a login without its password is a configuration mistake,
        # found at start-up rather than at the first e-mail.
        if self.environment != "development" and self.smtp_username and not self.smtp_password.get_secret_value():
            raise ValueError("MESSAGING_SMTP_PASSWORD must be set when MESSAGING_SMTP_USERNAME is")
        return self

    @model_validator(mode="after")
    def _production_links_and_credentials(self):
        if self.environment == "production":
            # A link to this very machine (docker compose on a laptop) never crosses a network.
            loopback = urlsplit(self.public_url).hostname in ("localhost", "127.0.0.1", "::1")
            if not self.public_url.startswith("https://") and not loopback:
                raise ValueError("MESSAGING_PUBLIC_URL must be https in production: e-mailed links carry tokens")
            if self.smtp_username and self.smtp_starttls == "off":
                raise ValueError("MESSAGING_SMTP_STARTTLS=off would send the SMTP password in clear text")
        return self

    def smtp_config(self) -> SmtpConfig:
        return SmtpConfig(
            host=self.smtp_host,
            port=self.smtp_port,
            username=self.smtp_username or None,
            password=self.smtp_password.get_secret_value() or None,
            start_tls={"auto": None, "required": True, "off": False}[self.smtp_starttls],
            timeout=self.smtp_timeout_seconds,
            local_hostname=parseaddr(self.mail_from)[1].rpartition("@")[2] or "localhost",
        )

    def sender_config(self) -> SenderConfig:
        return SenderConfig(
            mail_from=self.mail_from,
            poll_seconds=self.outbox_poll_seconds,
            batch_size=self.mail_batch_size,
            retry_base_seconds=self.mail_retry_base_seconds,
            retry_max_seconds=self.mail_retry_max_seconds,
            max_attempts=self.mail_max_attempts,
        )


OPENAPI_ROUTE = openapi_route(
    "/api/messaging/openapi.json",
    title="Portail Famille — messaging",
    description="Parents' threads with the town's services (« Messagerie / nous contacter »), "
    "staff inboxes and replies, and the delivery log of every e-mail the suite sends. "
    "Reached through the gateway, which authenticates the caller.",
    summary="This OpenAPI 3.1 document",
    tag="Meta",
    access="Public.",
    operation_id="serve_openapi",
)
ROUTES = (*api.ROUTES, *admin_api.ROUTES, OPENAPI_ROUTE)


def setup(app: web.Application) -> None:
    settings: MessagingSettings = app[SETTINGS]
    app[COMPOSER] = MailComposer.from_settings(settings)
    add_routes(app, ROUTES)


def event_handlers(app: web.Application):
    """accounts' events → use cases, with the same dependencies as the HTTP entry points."""
    return consumers.event_handlers(partial(messaging_of_app, app))


async def mail_sender_ctx(app: web.Application):
    """The sender task; on shutdown it finishes the e-mail in hand before it stops."""
    settings: MessagingSettings = app[SETTINGS]
    sender = MailSender(app[DB], settings.smtp_config(), settings.sender_config(), dsn=settings.database_url)
    async with background(
        sender.run(), name="messaging-mail-sender", stop=sender.stop, grace_seconds=settings.smtp_timeout_seconds + 5
    ):
        yield


async def purge_ctx(app: web.Application):
    """The housekeeping task: expired Idempotency-Key answers go every MESSAGING_PURGE_INTERVAL_SECONDS."""
    settings: MessagingSettings = app[SETTINGS]
    loop = purge_expired_answers(app[DB], settings.purge_interval_seconds)
    async with background(loop, name="messaging-purge"):
        yield


SPEC = ServiceSpec(
    name="messaging",
    migrations=Path(__file__).parent / "migrations",
    settings_class=MessagingSettings,
    setup_routes=setup,
    event_handlers=event_handlers,
    extra_contexts=(mail_sender_ctx, purge_ctx),
    demo_data=demo.load,
)


def create_app(settings: MessagingSettings):
    return create_service_app(SPEC, settings)


def main() -> None:
    service_main(SPEC)
