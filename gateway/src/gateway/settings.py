"""The gateway's settings: where the services are, how long to wait for them, secrets."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import cached_property
from typing import Literal

from aiohttp import web
from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from servicekit.settings import CommonSettings, secret_problem

DEV_SESSION_SECRET = "dev-only-session-secret-change-me"
# The town of the demo data: a developer's pages look like the real ones. Production must
# name its own town rather than show someone else's.
DEV_TOWN_NAME = "Puiseux-en-France"

SERVICES = ("accounts", "planning", "billing", "messaging")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str | Iterable[str]) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 192.168.1.7"`` → networks (a bare address is a /32 or /128)."""
    items = value.split(",") if isinstance(value, str) else value
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


class GatewaySettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=1, le=65535)
    accounts_url: str = "http://127.0.0.1:8081"
    planning_url: str = "http://127.0.0.1:8082"
    billing_url: str = "http://127.0.0.1:8083"
    messaging_url: str = "http://127.0.0.1:8084"
    # How long a service may take to answer once it has the whole request (and between
    # two chunks of its answer): a client's slow upload is not counted against it.
    upstream_timeout_seconds: float = Field(10.0, gt=0, le=300)
    # The longest silence of a client in the middle of a body it streams to the API (408).
    client_body_idle_seconds: float = Field(30.0, gt=0, le=600)
    # The longest a page's form (a message attachment included) may take to arrive (408).
    form_read_seconds: float = Field(120.0, gt=0, le=3600)
    # An idle keep-alive connection is closed after this long (aiohttp's default is 75 s).
    keepalive_seconds: float = Field(15.0, gt=0, le=300)
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
    # Prometheus' /metrics is served on its own port (0: not at all), never on the public
    # one: request counts per route are of use to an attacker, not to parents.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(0, ge=0, le=65535)
    # The reverse proxies in front of the gateway (CIDR list, comma-separated): only their
    # X-Forwarded-For is believed (see ``forwarding``). Empty: the socket's peer is the client.
    trusted_proxies: str = ""
    # Login attempts (POST /connexion, POST /api/accounts/sessions) per client address and
    # minute on one replica, before accounts' own throttles; 0 = no limit here.
    login_attempts_per_minute: int = Field(20, ge=0, le=10_000)

    @field_validator("accounts_url", "planning_url", "billing_url", "messaging_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        # The proxy appends the request's own path (which starts with "/"), so a trailing
        # slash here would double it.
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value):
        try:
            return ",".join(str(n) for n in parse_networks(value))
        except ValueError as exc:
            raise ValueError(f"must be a comma-separated list of addresses or CIDR networks ({exc})") from None

    @cached_property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    @model_validator(mode="after")
    def _checks_outside_development(self):
        # Every mode but a developer's machine (test, staging, production...) may be
        # reachable by others: the published development secret would let anyone forge
        # sessions' CSRF tokens (IDENTITY_SECRET is checked by servicekit's settings).
        problem = secret_problem(self.session_secret, environment=self.environment, default=DEV_SESSION_SECRET)
        if problem:
            raise ValueError(f"GATEWAY_SESSION_SECRET {problem}")
        if self.environment == "production" and "town_name" not in self.model_fields_set:
            raise ValueError("GATEWAY_TOWN_NAME must be set in production (the town's name in every page)")
        if self.metrics_port and self.metrics_port == self.http_port:
            raise ValueError("GATEWAY_METRICS_PORT must differ from GATEWAY_HTTP_PORT (metrics are never public)")
        if self.environment == "production":
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
