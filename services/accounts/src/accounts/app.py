"""Composition root of the accounts service."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Literal

import structlog
from aiohttp import web
from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict
from servicekit.service import CURSORS, DB, SETTINGS, ServiceSpec, create_service_app
from servicekit.service import main as service_main
from servicekit.settings import ServiceSettings
from servicekit.worker import background

from . import demo
from .domain.throttle import Limits
from .passwords import make_hasher
from .routes import setup_routes
from .service import Accounts
from .service.purge import purge_expired
from .web import ACCOUNTS, CLOCK

log = structlog.get_logger(__name__)


class AccountsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACCOUNTS_", extra="ignore", populate_by_name=True)

    http_port: int = 8081
    database_url: str = "postgresql://postgres@127.0.0.1:5432/accounts"
    password_hash_profile: Literal["production", "test"] = "production"
    # How often pending accounts past 24 h (and stale throttle rows, sessions, links) go.
    purge_interval_seconds: float = Field(300.0, gt=0, le=86400)
    # Throttles (domain/throttle.py says what each number means; .env.example lists them).
    throttle_window_seconds: int = Field(15 * 60, ge=60, le=86400)
    login_free_failures: int = Field(5, ge=1, le=100)
    login_first_delay_seconds: int = Field(15, ge=1, le=3600)
    login_max_delay_seconds: int = Field(15 * 60, ge=1, le=86400)
    login_client_failures: int = Field(50, ge=5, le=100_000)
    login_username_alert: int = Field(20, ge=2, le=100_000)
    dossier_tries: int = Field(5, ge=1, le=100)
    dossier_client_tries: int = Field(10, ge=1, le=10_000)
    dossier_number_alert: int = Field(20, ge=2, le=100_000)
    reset_per_email: int = Field(3, ge=1, le=100)
    reset_per_client: int = Field(20, ge=1, le=10_000)
    registrations_per_client: int = Field(10, ge=1, le=10_000)
    resend_per_email: int = Field(3, ge=1, le=100)
    resend_per_client: int = Field(20, ge=1, le=10_000)
    resend_per_account_per_day: int = Field(5, ge=1, le=100)

    def throttle_limits(self) -> Limits:
        return Limits(
            window_seconds=self.throttle_window_seconds,
            **{name: getattr(self, name) for name in Limits.__dataclass_fields__ if name != "window_seconds"},
        )

    @model_validator(mode="after")
    def _no_cheap_hashes_in_production(self):
        if self.environment not in ("development", "test") and self.password_hash_profile != "production":
            raise ValueError("ACCOUNTS_PASSWORD_HASH_PROFILE=test is for tests only")
        return self


async def accounts_ctx(app: web.Application):
    """The use cases' dependencies, once the database pool exists."""
    settings = app[SETTINGS]
    app[ACCOUNTS] = Accounts(
        pool=app[DB],
        hasher=make_hasher(settings.password_hash_profile),
        clock=app[CLOCK],
        cursors=app[CURSORS],
        limits=settings.throttle_limits(),
    )
    yield


async def purge_loop(acc: Accounts, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await purge_expired(acc)
        except asyncio.CancelledError:
            raise
        except Exception:  # a database hiccup must not end the housekeeping for good
            log.exception("purge_failed")


async def purge_ctx(app: web.Application):
    async with background(purge_loop(app[ACCOUNTS], app[SETTINGS].purge_interval_seconds), name="accounts-purge"):
        yield


SPEC = ServiceSpec(
    name="accounts",
    migrations=Path(__file__).parent / "migrations",
    settings_class=AccountsSettings,
    setup_routes=setup_routes,
    extra_contexts=(accounts_ctx, purge_ctx),
    demo_data=demo.load,
    # The town's CSV of dossiers can run to a few megabytes.
    client_max_size=8 * 1024**2,
)


def create_app(settings: AccountsSettings):
    return create_service_app(SPEC, settings)


def main() -> None:
    service_main(SPEC)
