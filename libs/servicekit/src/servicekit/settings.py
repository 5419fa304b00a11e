"""Settings from environment variables, validated once at start-up.

Variables shared by every process (broker, identity, logging) have fixed names; the ones a
service owns (its database, its HTTP port) carry the service's prefix, e.g.
``ACCOUNTS_DATABASE_URL``. Every variable is listed in ``.env.example``.
"""

from __future__ import annotations

import sys
from typing import Literal, TypeVar

from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_IDENTITY_SECRET = "dev-only-identity-secret-change-me"
SECRET_MIN_LENGTH = 32


def secret_problem(value: str, *, environment: str | None, default: str | None = None) -> str | None:
    """Why a secret setting is unfit for ``environment``, or None.

    Only ``development`` takes the example's default or a short value: ``test``, ``staging``
    and ``production`` processes are reachable by others (a shared CI host, a staging
    cluster), and anyone knowing the default could sign staff identities for them."""
    if environment == "development" or environment is None:
        return None
    if default is not None and value == default:
        return f"is the development default; set a random value of at least {SECRET_MIN_LENGTH} characters (ENVIRONMENT={environment})"
    if len(value) < SECRET_MIN_LENGTH:
        return (
            f"is too short; set a random value of at least {SECRET_MIN_LENGTH} characters (ENVIRONMENT={environment})"
        )
    return None


def _shared(name: str):
    """A field read from an unprefixed variable whatever the class's env_prefix."""
    return {"validation_alias": AliasChoices(name)}


class CommonSettings(BaseSettings):
    """What every process (services and gateway) reads."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "staging", "production"] = Field(
        "development", **_shared("ENVIRONMENT")
    )
    log_format: Literal["console", "json"] = Field("console", **_shared("LOG_FORMAT"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", **_shared("LOG_LEVEL"))
    amqp_url: str = Field("amqp://guest:guest@127.0.0.1:5672/", **_shared("AMQP_URL"))
    events_exchange: str = Field("portail.events", **_shared("EVENTS_EXCHANGE"))
    delivery_limit: int = Field(5, ge=1, le=100, **_shared("DELIVERY_LIMIT"))
    rpc_timeout_seconds: float = Field(5.0, gt=0, le=120, **_shared("RPC_TIMEOUT_SECONDS"))
    identity_secret: str = Field(DEV_IDENTITY_SECRET, **_shared("IDENTITY_SECRET"))
    identity_ttl_seconds: int = Field(60, ge=5, le=3600, **_shared("IDENTITY_TTL_SECONDS"))
    outbox_poll_seconds: float = Field(2.0, gt=0, le=300, **_shared("OUTBOX_POLL_SECONDS"))
    # No secret at rest: published outbox rows (their tokens are wiped at publication)
    # and inbox rows are deleted after these periods. The inbox dedupes redeliveries, so
    # it must outlive any retry or dead-letter replay of an event.
    outbox_retention_hours: float = Field(72, gt=0, le=24 * 365, **_shared("OUTBOX_RETENTION_HOURS"))
    inbox_retention_days: float = Field(30, ge=1, le=3650, **_shared("INBOX_RETENTION_DAYS"))
    retention_purge_interval_seconds: float = Field(3600, gt=0, le=86400, **_shared("RETENTION_PURGE_INTERVAL_SECONDS"))

    @field_validator("identity_secret")
    @classmethod
    def _identity_secret_outside_development(cls, value: str, info: ValidationInfo) -> str:
        problem = secret_problem(value, environment=info.data.get("environment"), default=DEV_IDENTITY_SECRET)
        if problem:
            raise ValueError(problem)
        return value


class ServiceSettings(CommonSettings):
    """A service's settings; subclasses set ``env_prefix`` (``ACCOUNTS_`` ...)."""

    http_host: str = "127.0.0.1"
    http_port: int = Field(8081, ge=1, le=65535)
    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    # /metrics is served on this port only, never on the public one: None means
    # http_port + 1000, 0 means no metrics endpoint.
    metrics_port: int | None = Field(None, ge=0, le=65535)

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _empty_metrics_port(cls, value):
        # ``<NAME>_METRICS_PORT=`` (as .env.example lists it) means the default.
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def metrics_port_in_use(self) -> int:
        if self.metrics_port is None:
            port = self.http_port + 1000
            return port if port <= 65535 else 0
        return self.metrics_port


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S], **overrides) -> S:
    """Build settings or stop the process with one readable line per wrong variable."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        prefix = cls.model_config.get("env_prefix", "") or ""
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "settings"
            field = cls.model_fields.get(str(err["loc"][0])) if err["loc"] else None
            var = _variable_name(loc, field, prefix)
            lines.append(f"  {var}: {err['msg'].removeprefix('Value error, ')}")
        sys.stderr.write(f"Invalid configuration for {cls.__name__} (see .env.example):\n" + "\n".join(lines) + "\n")
        raise SystemExit(2) from None


def _variable_name(loc: str, field, prefix: str) -> str:
    alias = getattr(field, "validation_alias", None) if field is not None else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    if field is None:
        return loc
    return (prefix + loc).upper()
