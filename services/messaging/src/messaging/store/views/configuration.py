"""Themes and reply templates as parents and staff read them."""

from __future__ import annotations

import uuid

import asyncpg

from ... import schemas

Record = asyncpg.Record


async def active_themes(conn: asyncpg.Connection) -> schemas.ThemeList:
    rows = await conn.fetch("SELECT * FROM themes WHERE active ORDER BY position, label")
    return schemas.ThemeList(themes=[schemas.ThemeOut(id=r["id"], code=r["code"], label=r["label"]) for r in rows])


async def all_themes(conn: asyncpg.Connection) -> list[Record]:
    return await conn.fetch("SELECT * FROM themes ORDER BY position, label")


async def admin_themes(conn: asyncpg.Connection) -> schemas.AdminThemeList:
    return schemas.AdminThemeList(themes=[admin_theme(r) for r in await all_themes(conn)])


def admin_theme(r: Record) -> schemas.AdminThemeOut:
    return schemas.AdminThemeOut.model_validate(dict(r))


async def reply_templates(conn: asyncpg.Connection, theme_ids: list[uuid.UUID] | None) -> schemas.ReplyTemplateList:
    """Every template (``None``), or the ones for these themes plus the general ones."""
    rows = await conn.fetch(
        """
        SELECT * FROM reply_templates
        WHERE $1::uuid[] IS NULL OR theme_id IS NULL OR theme_id = ANY($1::uuid[])
        ORDER BY title, id
        """,
        theme_ids,
    )
    return schemas.ReplyTemplateList(templates=[reply_template(r) for r in rows])


def reply_template(r: Record) -> schemas.ReplyTemplateOut:
    return schemas.ReplyTemplateOut(
        id=r["id"],
        title=r["title"],
        body=r["body"],
        theme_id=r["theme_id"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )
