"""Composition root of the billing service."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from pydantic_settings import SettingsConfigDict
from servicekit.service import ServiceSpec, create_service_app
from servicekit.service import main as service_main
from servicekit.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore", populate_by_name=True)

    http_port: int = 8083
    database_url: str = "postgresql://postgres@127.0.0.1:5432/billing"


def setup_routes(app: web.Application) -> None:
    """Billing's public API arrives with the payment issue; only the probes exist yet."""


SPEC = ServiceSpec(
    name="billing",
    migrations=Path(__file__).parent / "migrations",
    settings_class=BillingSettings,
    setup_routes=setup_routes,
)


def create_app(settings: BillingSettings):
    return create_service_app(SPEC, settings)


def main() -> None:
    service_main(SPEC)
