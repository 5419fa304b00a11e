"""Themes (« Scolaire », « Facturation »...) and the staff role each is routed to; reply templates."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from ..domain.errors import Conflict


def _update_sql(table: str, changes: dict[str, Any], allowed: set[str]) -> tuple[str, list[Any]]:
    """``UPDATE table SET <allowed changes>, updated_at = now() WHERE id = $1 RETURNING *``."""
    columns = [c for c in changes if c in allowed]
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
    sql = f"UPDATE {table} SET {sets + ', ' if sets else ''}updated_at = now() WHERE id = $1 RETURNING *"
    return sql, [changes[c] for c in columns]


class Themes:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def get(self, theme_id: uuid.UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM themes WHERE id = $1", theme_id)

    async def add(self, code: str, label: str, staff_role: str, position: int) -> asyncpg.Record:
        try:
            return await self.conn.fetchrow(
                "INSERT INTO themes (code, label, staff_role, position) VALUES ($1, $2, $3, $4) RETURNING *",
                code,
                label,
                staff_role,
                position,
            )
        except asyncpg.UniqueViolationError:
            raise Conflict("Un thème porte déjà ce code.", field="code", code="theme_code_taken") from None

    async def update(self, theme_id: uuid.UUID, changes: dict[str, Any]) -> asyncpg.Record | None:
        sql, values = _update_sql("themes", changes, {"label", "staff_role", "active", "position"})
        return await self.conn.fetchrow(sql, theme_id, *values)


class ReplyTemplates:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def get(self, template_id: uuid.UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM reply_templates WHERE id = $1", template_id)

    async def add(self, title: str, body: str, theme_id: uuid.UUID | None) -> asyncpg.Record:
        return await self.conn.fetchrow(
            "INSERT INTO reply_templates (title, body, theme_id) VALUES ($1, $2, $3) RETURNING *",
            title,
            body,
            theme_id,
        )

    async def update(self, template_id: uuid.UUID, changes: dict[str, Any]) -> asyncpg.Record | None:
        sql, values = _update_sql("reply_templates", changes, {"title", "body", "theme_id"})
        return await self.conn.fetchrow(sql, template_id, *values)

    async def delete(self, template_id: uuid.UUID) -> bool:
        return (await self.conn.execute("DELETE FROM reply_templates WHERE id = $1", template_id)) == "DELETE 1"
