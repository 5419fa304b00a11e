"""The integration event envelope and the outbox writer.

Every event crosses the bus in the same envelope; ``data`` is the producer's versioned
Pydantic model dumped to JSON. A consumer declares its own narrow model of ``data``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

import asyncpg
import structlog
from pydantic import BaseModel, ConfigDict, Field

EVENT_TYPE_PATTERN = r"^[a-z_]+\.[a-z_]+\.[a-z_]+$"


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: uuid.UUID
    type: str = Field(pattern=EVENT_TYPE_PATTERN, max_length=120)
    version: int = Field(ge=1)
    occurred_at: datetime
    source: str = Field(min_length=1, max_length=60)
    correlation_id: str | None = Field(default=None, max_length=64)
    data: dict[str, Any]


class EventData(BaseModel):
    """Base of a producer's event payload: frozen, and no field it does not declare.

    Nested parts of an event (an address, a list of adults) derive from this too.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")


class IntegrationEvent(EventData):
    """An event a service publishes: the class carries its ``type`` and ``version``.

    ``class DossierUpdated(IntegrationEvent): type = "accounts.dossier.updated"; version = 1``
    then ``uow.publish(DossierUpdated(...))``. A change that removes or retypes a field is a
    new class with ``version = 2`` (both published while consumers move over).
    """

    type: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        """Fields marked ``Field(json_schema_extra={"secret": True})`` (single-use tokens):
        wiped from the outbox row once the event is published (``servicekit.outbox``)."""
        return tuple(
            name
            for name, info in cls.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("secret") is True
        )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("type")
        if event_type is not None and not re.fullmatch(EVENT_TYPE_PATTERN, event_type):
            raise TypeError(f"{cls.__name__}.type {event_type!r} is not service.entity.happened")
        if not isinstance(cls.version, int) or cls.version < 1:
            raise TypeError(f"{cls.__name__}.version must be an integer >= 1")


def event_types(*classes: type[IntegrationEvent]) -> dict[tuple[str, int], type[IntegrationEvent]]:
    """A service's registry: ``EVENTS = (A, B)`` → {(type, version): class}, duplicates refused."""
    registry: dict[tuple[str, int], type[IntegrationEvent]] = {}
    for cls in classes:
        if "type" not in cls.__dict__:
            raise TypeError(f"{cls.__name__} declares no type of its own")
        key = (cls.type, cls.version)
        if key in registry:
            raise TypeError(f"{key} is declared by {registry[key].__name__} and {cls.__name__}")
        registry[key] = cls
    return registry


def make_envelope(
    event: IntegrationEvent | str,
    data: BaseModel | dict[str, Any] | None = None,
    *,
    source: str,
    version: int | None = None,
    correlation_id: str | None = None,
) -> Envelope:
    """``make_envelope(event, source=...)``: the event object alone says its type and version."""
    if isinstance(event, IntegrationEvent):
        if data is not None or version is not None:
            raise TypeError("a typed event carries its own data and version")
        event_type, payload, version = event.type, event.model_dump(mode="json"), event.version
    else:
        # transitional: removed when accounts/messaging adopt typed events (issue 7 phase B)
        if data is None:
            raise TypeError("make_envelope(type, data, ...) needs the data")
        event_type = event
        payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
        version = version or 1
    if correlation_id is None:
        correlation_id = structlog.contextvars.get_contextvars().get("correlation_id") or (
            structlog.contextvars.get_contextvars().get("request_id")
        )
    return Envelope(
        id=uuid.uuid4(),
        type=event_type,
        version=version,
        occurred_at=datetime.now(UTC),
        source=source,
        correlation_id=correlation_id,
        data=payload,
    )


async def add_to_outbox(conn: asyncpg.Connection, envelope: Envelope, *, secret_fields: tuple[str, ...] = ()) -> None:
    """Write an event in the caller's transaction; the relay publishes it after commit.

    ``NOTIFY`` inside a transaction is delivered only at commit, so the relay wakes exactly
    when there is something it may publish, and never for a rolled-back event.
    ``secret_fields`` (of ``data``) are wiped from the row once it is published.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("add_to_outbox must run inside the transaction of the change it reports")
    await conn.execute(
        "INSERT INTO outbox (event_id, event_type, envelope, secret_fields) VALUES ($1, $2, $3, $4)",
        envelope.id,
        envelope.type,
        envelope.model_dump(mode="json"),
        list(secret_fields),
    )
    await conn.execute("NOTIFY outbox")
