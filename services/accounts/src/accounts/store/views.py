"""Read-only queries behind the API's views (no unit of work: nothing is changed)."""

from __future__ import annotations

import uuid

import asyncpg


async def current_terms(conn: asyncpg.Connection) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT version, text FROM terms ORDER BY published_at DESC, version DESC LIMIT 1")


async def user(conn: asyncpg.Connection, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        SELECT id, username, email, first_name, last_name, status, roles, dossier_id, mobile_display,
               created_at, activated_at, disabled_at
        FROM users WHERE id = $1
        """,
        user_id,
    )


async def dossier(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> dict | None:
    row = await conn.fetchrow(
        """
        SELECT id, number, family_name, address_line1, address_line2, postal_code, city, invoices_by_email,
               created_at, updated_at
        FROM dossiers WHERE id = $1
        """,
        dossier_id,
    )
    if row is None:
        return None
    adults = await conn.fetch(
        """
        SELECT id, last_name, first_name, email, phone_mobile, phone_home, phone_work FROM adults
        WHERE dossier_id = $1 ORDER BY position, last_name, first_name, id
        """,
        dossier_id,
    )
    children = await conn.fetch(
        """
        SELECT id, first_name, last_name, birth_date, school, level FROM children
        WHERE dossier_id = $1 ORDER BY birth_date, first_name, id
        """,
        dossier_id,
    )
    accounts = await conn.fetch(
        """
        SELECT id AS user_id, username, status FROM users WHERE dossier_id = $1
        ORDER BY (status = 'active') DESC, created_at
        """,
        dossier_id,
    )
    return {
        **dict(row),
        "address": {
            "line1": row["address_line1"],
            "line2": row["address_line2"],
            "postal_code": row["postal_code"],
            "city": row["city"],
        },
        "adults": [dict(a) for a in adults],
        "children": [dict(c) for c in children],
        "accounts": [dict(a) for a in accounts],
    }


async def dossier_summary(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        SELECT d.id, d.number, d.family_name, (SELECT count(*) FROM children c WHERE c.dossier_id = d.id) AS children_count
        FROM dossiers d WHERE d.id = $1
        """,
        dossier_id,
    )


async def child(conn: asyncpg.Connection, child_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, dossier_id, first_name, last_name, birth_date, school, level FROM children WHERE id = $1", child_id
    )


async def history(conn: asyncpg.Connection, dossier_id: uuid.UUID, *, limit: int, before_id: int | None) -> list:
    return await conn.fetch(
        """
        SELECT id, at, actor_kind, entity, entity_id, action, before, after FROM audit_log
        WHERE dossier_id = $1 AND ($2::bigint IS NULL OR id < $2)
        ORDER BY id DESC LIMIT $3
        """,
        dossier_id,
        before_id,
        limit,
    )


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search_dossiers(
    conn: asyncpg.Connection, *, q: str | None, name_q: str | None, limit: int, after: tuple[str, str] | None
) -> list[dict]:
    """Ordered by family name then number; ``q`` matches the number, ``name_q`` (the
    normalised form of the same text) the family name."""
    rows = await conn.fetch(
        """
        SELECT d.id, d.number, d.family_name, d.family_name_key,
               (SELECT count(*) FROM children c WHERE c.dossier_id = d.id) AS children_count
        FROM dossiers d
        WHERE ($1::text IS NULL OR d.number ILIKE $1 OR d.family_name_key LIKE $2)
          AND ($3::text IS NULL OR (d.family_name_key, d.number) > ($3, $4))
        ORDER BY d.family_name_key, d.number
        LIMIT $5
        """,
        _like(q) if q else None,
        _like(name_q) if name_q else "",
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    ids = [r["id"] for r in rows]
    accounts = await conn.fetch(
        "SELECT dossier_id, id AS user_id, username, status FROM users WHERE dossier_id = ANY($1::uuid[]) ORDER BY created_at",
        ids,
    )
    by_dossier: dict = {}
    for a in accounts:
        by_dossier.setdefault(a["dossier_id"], []).append(dict(a))
    return [{**dict(r), "accounts": by_dossier.get(r["id"], [])} for r in rows]


async def search_users(conn: asyncpg.Connection, *, q: str | None, limit: int, after: tuple[str, str] | None) -> list:
    return await conn.fetch(
        """
        SELECT id, username, email, first_name, last_name, status, roles, dossier_id, mobile_display,
               created_at, activated_at, disabled_at
        FROM users
        WHERE ($1::text IS NULL OR username ILIKE $1 OR email ILIKE $1 OR last_name ILIKE $1)
          AND ($2::text IS NULL OR (lower(username), id::text) > ($2, $3))
        ORDER BY lower(username), id::text
        LIMIT $4
        """,
        _like(q) if q else None,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
