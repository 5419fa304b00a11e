"""The audit trail: one row per change, with only the fields that changed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from ..domain.audit import Actor


class AuditLog:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def write(
        self,
        *,
        at: datetime,
        actor: Actor,
        entity: str,
        entity_id: uuid.UUID,
        action: str,
        dossier_id: uuid.UUID | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO audit_log (at, actor_id, actor_kind, dossier_id, entity, entity_id, action, before, after)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """,
            at,
            actor.user_id,
            actor.kind,
            dossier_id,
            entity,
            entity_id,
            action,
            _jsonable(before or {}),
            _jsonable(after or {}),
        )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, (list, tuple)):
            value = [str(v) for v in value]
        out[key] = value
    return out
