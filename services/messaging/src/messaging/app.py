"""Composition root of the messaging service."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict
from servicekit.service import ServiceSpec, create_service_app
from servicekit.service import main as service_main
from servicekit.settings import ServiceSettings

from . import api, demo


class MessagingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MESSAGING_", extra="ignore", populate_by_name=True)

    http_port: int = 8084
    database_url: str = "postgresql://postgres@127.0.0.1:5432/messaging"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    mail_from: str = "Portail Famille <ne-pas-repondre@portail-famille.local>"
    public_url: str = "http://127.0.0.1:8080"


SPEC = ServiceSpec(
    name="messaging",
    migrations=Path(__file__).parent / "migrations",
    settings_class=MessagingSettings,
    setup_routes=api.setup_routes,
    demo_data=demo.load,
)


def create_app(settings: MessagingSettings):
    return create_service_app(SPEC, settings)


def main() -> None:
    service_main(SPEC)
