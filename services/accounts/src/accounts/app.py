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

    @model_validator(mode="after")
    def _no_cheap_hashes_in_production(self):
        if self.environment == "production" and self.password_hash_profile != "production":
            raise ValueError("ACCOUNTS_PASSWORD_HASH_PROFILE=test is for tests only")
        return self


async def accounts_ctx(app: web.Application):
    """The use cases' dependencies, once the database pool exists."""
    settings = app[SETTINGS]
    app[ACCOUNTS] = Accounts(
        pool=app[DB], hasher=make_hasher(settings.password_hash_profile), clock=app[CLOCK], cursors=app[CURSORS]
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
