"""Composition root of the accounts service."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict
from servicekit.service import ServiceSpec, create_service_app
from servicekit.service import main as service_main
from servicekit.settings import ServiceSettings

from . import api, demo


class AccountsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACCOUNTS_", extra="ignore", populate_by_name=True)

    http_port: int = 8081
    database_url: str = "postgresql://postgres@127.0.0.1:5432/accounts"
    password_hash_profile: Literal["production", "test"] = "production"

    @model_validator(mode="after")
    def _no_cheap_hashes_in_production(self):
        if self.environment == "production" and self.password_hash_profile != "production":
            raise ValueError("ACCOUNTS_PASSWORD_HASH_PROFILE=test is for tests only")
        return self


SPEC = ServiceSpec(
    name="accounts",
    migrations=Path(__file__).parent / "migrations",
    settings_class=AccountsSettings,
    setup_routes=api.setup_routes,
    demo_data=demo.load,
)


def create_app(settings: AccountsSettings):
    return create_service_app(SPEC, settings)


def main() -> None:
    service_main(SPEC)
