"""Composition root of the planning service."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict
from servicekit.service import ServiceSpec, create_service_app
from servicekit.service import main as service_main
from servicekit.settings import ServiceSettings

from . import api, demo


class PlanningSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PLANNING_", extra="ignore", populate_by_name=True)

    http_port: int = 8082
    database_url: str = "postgresql://postgres@127.0.0.1:5432/planning"


SPEC = ServiceSpec(
    name="planning",
    migrations=Path(__file__).parent / "migrations",
    settings_class=PlanningSettings,
    setup_routes=api.setup_routes,
    demo_data=demo.load,
)


def create_app(settings: PlanningSettings):
    return create_service_app(SPEC, settings)


def main() -> None:
    service_main(SPEC)
