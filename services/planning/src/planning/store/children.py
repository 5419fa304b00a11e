"""Planning's copy of the children (accounts' events) and their enrolments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import asyncpg

from ..domain import Child


@dataclass(frozen=True)
class ChildRecord:
    child_id: UUID
    dossier_id: UUID
    first_name: str
    last_name: str
    birth_date: date | None
    school: str | None
    level: str | None


class Children:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def upsert(self, child: ChildRecord, source_at: datetime) -> bool:
        """Insert or refresh; an event older than the one that wrote the row changes nothing."""
        done = await self.conn.fetchval(
            """
            INSERT INTO children (child_id, dossier_id, first_name, last_name, birth_date, school, level, source_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (child_id) DO UPDATE SET dossier_id = $2, first_name = $3, last_name = $4, birth_date = $5,
                school = $6, level = $7, source_at = $8, updated_at = now()
              WHERE children.source_at < $8
            RETURNING true
            """,
            child.child_id,
            child.dossier_id,
            child.first_name,
            child.last_name,
            child.birth_date,
            child.school,
            child.level,
            source_at,
        )
        return bool(done)

    async def record(self, child_id: UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM children WHERE child_id = $1", child_id)

    async def get(self, child_id: UUID, dossier_id: UUID | None = None) -> Child | None:
        """The child with its enrolments; with ``dossier_id``, only if it is that family's."""
        row = await self.conn.fetchrow(
            """
            SELECT c.*, coalesce(array_agg(e.activity_id) FILTER (WHERE e.activity_id IS NOT NULL), '{}') AS enrolled
            FROM children c LEFT JOIN enrolments e ON e.child_id = c.child_id
            WHERE c.child_id = $1 AND ($2::uuid IS NULL OR c.dossier_id = $2)
            GROUP BY c.child_id
            """,
            child_id,
            dossier_id,
        )
        return child_of(row) if row else None

    async def of_dossier(self, dossier_id: UUID) -> list[Child]:
        rows = await self.conn.fetch(
            """
            SELECT c.*, coalesce(array_agg(e.activity_id) FILTER (WHERE e.activity_id IS NOT NULL), '{}') AS enrolled
            FROM children c LEFT JOIN enrolments e ON e.child_id = c.child_id
            WHERE c.dossier_id = $1 GROUP BY c.child_id ORDER BY c.birth_date NULLS LAST, c.first_name
            """,
            dossier_id,
        )
        return [child_of(r) for r in rows]

    async def names(self, ids: list[UUID]) -> dict[UUID, asyncpg.Record]:
        rows = await self.conn.fetch("SELECT * FROM children WHERE child_id = ANY($1::uuid[])", ids)
        return {r["child_id"]: r for r in rows}

    async def enrol(self, child_id: UUID, activity_id: UUID) -> bool:
        done = await self.conn.fetchval(
            "INSERT INTO enrolments (child_id, activity_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
            child_id,
            activity_id,
        )
        return bool(done)

    async def enrolments(self, activity_id: UUID | None, child_id: UUID | None) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """
            SELECT e.child_id, e.activity_id, e.created_at, c.first_name, c.last_name, c.school, c.level, c.dossier_id
            FROM enrolments e JOIN children c ON c.child_id = e.child_id
            WHERE ($1::uuid IS NULL OR e.activity_id = $1) AND ($2::uuid IS NULL OR e.child_id = $2)
            ORDER BY c.last_name, c.first_name
            """,
            activity_id,
            child_id,
        )


def child_of(row: asyncpg.Record) -> Child:
    return Child(
        id=row["child_id"],
        family_id=row["dossier_id"],
        first_name=row["first_name"],
        birth_date=row["birth_date"],
        level=row["level"],
        school=row["school"],
        enrolments=frozenset(row["enrolled"]),
    )
