"""The gateway's settings: where the services are, how long to wait for them, secrets."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from servicekit.settings import CommonSettings

DEV_SESSION_SECRET = "dev-only-session-secret-change-me"
# The town of the demo data: a developer's pages look like the real ones. Production must
# name its own town rather than show someone else's.
DEV_TOWN_NAME = "Puiseux-en-France"

SERVICES = ("accounts", "planning", "billing", "messaging")


class GatewaySettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=1, le=65535)
    accounts_url: str = "http://127.0.0.1:8081"
    planning_url: str = "http://127.0.0.1:8082"
    billing_url: str = "http://127.0.0.1:8083"
    messaging_url: str = "http://127.0.0.1:8084"
    upstream_timeout_seconds: float = Field(10.0, gt=0, le=300)
    session_secret: str = DEV_SESSION_SECRET
    # Shown in every page's header: which town runs this portal.
    town_name: str = Field(DEV_TOWN_NAME, min_length=1, max_length=80)
    # How long a resolved session may be reused without asking accounts again. A logout,
    # password change or deactivation done through another gateway replica takes effect
    # here at most this late; 0 asks accounts on every request. Capped at 5 s on purpose.
    session_cache_seconds: float = Field(5.0, ge=0, le=5)
    # Where « Payer » sends parents. ``simulated``: billing's stand-in of the Treasury, whose
    # page this gateway serves at /simulated-treasury/ (the development default, so that the
    # whole journey runs on one machine); ``payfip``: the real Treasury, and that page does
    # not exist. Production defaults to ``payfip`` and refuses ``simulated``: a free
    # « Payer » button must never reach real parents...
    payment_provider: Literal["simulated", "payfip"] = "simulated"
    # ... unless the instance takes no real money (a demonstration, a training, the local
    # docker compose, which runs in production mode): as billing's setting of that name.
    allow_simulated_in_production: bool = False

    @field_validator("accounts_url", "planning_url", "billing_url", "messaging_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        # The proxy appends the request's own path (which starts with "/"), so a trailing
        # slash here would double it.
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _production_checks(self):
        if self.environment == "production":
            if self.session_secret == DEV_SESSION_SECRET or len(self.session_secret) < 32:
                raise ValueError(
                    "GATEWAY_SESSION_SECRET must be set to a random value of at least 32 characters in production"
                )
            if "town_name" not in self.model_fields_set:
                raise ValueError("GATEWAY_TOWN_NAME must be set in production (the town's name in every page)")
            if "payment_provider" not in self.model_fields_set:
                self.payment_provider = "simulated" if self.allow_simulated_in_production else "payfip"
            elif self.payment_provider == "simulated" and not self.allow_simulated_in_production:
                raise ValueError(
                    "GATEWAY_PAYMENT_PROVIDER=simulated is refused in production (payments would be free); "
                    "GATEWAY_ALLOW_SIMULATED_IN_PRODUCTION=true for an instance that takes no real money"
                )
        return self

    def service_url(self, service: str) -> str:
        return getattr(self, f"{service}_url")

    @property
    def simulated_treasury(self) -> bool:
        """Whether this gateway serves the « Trésor public (simulation) » page."""
        return self.payment_provider == "simulated"

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` everywhere but on a developer's plain-HTTP machine."""
        return self.environment != "development"


SETTINGS = web.AppKey("gateway_settings", GatewaySettings)
