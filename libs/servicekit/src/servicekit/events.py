"""The integration event envelope and the outbox writer.

Every event crosses the bus in the same envelope; ``data`` is the producer's versioned
Pydantic model dumped to JSON. A consumer declares its own narrow model of ``data``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

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
    """Base of a producer's event payload: frozen, and no field it does not declare."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def make_envelope(
    event_type: str,
    data: BaseModel | dict[str, Any],
    *,
    source: str,
    version: int = 1,
    correlation_id: str | None = None,
) -> Envelope:
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
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


async def add_to_outbox(conn: asyncpg.Connection, envelope: Envelope) -> None:
    """Write an event in the caller's transaction; the relay publishes it after commit.

    ``NOTIFY`` inside a transaction is delivered only at commit, so the relay wakes exactly
    when there is something it may publish, and never for a rolled-back event.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("add_to_outbox must run inside the transaction of the change it reports")
    await conn.execute(
        "INSERT INTO outbox (event_id, event_type, envelope) VALUES ($1, $2, $3)",
        envelope.id,
        envelope.type,
        envelope.model_dump(mode="json"),
    )
    await conn.execute("NOTIFY outbox")
