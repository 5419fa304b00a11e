"""Family files: the dossier, its adults and its children."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import asyncpg

DOSSIER_COLUMNS = (
    "id, number, family_name, family_name_key, address_line1, address_line2, postal_code, city, "
    "invoices_by_email, created_at, updated_at"
)
ADULT_COLUMNS = "id, dossier_id, position, last_name, first_name, email, phone_mobile, phone_home, phone_work"
CHILD_COLUMNS = "id, dossier_id, first_name, last_name, birth_date, school, level"

# The columns a use case may change, so no name from outside ever reaches the SQL text.
DOSSIER_UPDATABLE = frozenset(
    {
        "number",
        "family_name",
        "family_name_key",
        "address_line1",
        "address_line2",
        "postal_code",
        "city",
        "invoices_by_email",
    }
)
ADULT_UPDATABLE = frozenset({"last_name", "first_name", "email", "phone_mobile", "phone_home", "phone_work"})
CHILD_UPDATABLE = frozenset({"first_name", "last_name", "birth_date", "school", "level"})


def set_clause(fields: dict[str, Any], allowed: frozenset[str], first_param: int) -> tuple[str, list[Any]]:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    names = sorted(fields)
    clause = ", ".join(f"{name} = ${first_param + i}" for i, name in enumerate(names))
    return clause, [fields[name] for name in names]


class Dossiers:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def get(self, dossier_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
        lock = " FOR UPDATE" if for_update else ""
        return await self.conn.fetchrow(f"SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE id = $1{lock}", dossier_id)

    async def by_number(self, number: str, *, for_update: bool = False) -> asyncpg.Record | None:
        lock = " FOR UPDATE" if for_update else ""
        return await self.conn.fetchrow(f"SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE number = $1{lock}", number)

    async def existing_numbers(self, numbers: Iterable[str]) -> set[str]:
        rows = await self.conn.fetch("SELECT number FROM dossiers WHERE number = ANY($1::text[])", list(numbers))
        return {r["number"] for r in rows}

    async def insert(
        self,
        *,
        number: str,
        family_name: str,
        family_name_key: str,
        address: dict[str, str | None],
        invoices_by_email: bool,
        now: datetime,
        dossier_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """``dossier_id``: a fixed id (demonstration data); otherwise the database draws one."""
        return await self.conn.fetchval(
            """
            INSERT INTO dossiers (id, number, family_name, family_name_key, address_line1, address_line2, postal_code,
                                  city, invoices_by_email, created_at, updated_at)
            VALUES (COALESCE($10::uuid, gen_random_uuid()), $1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id
            """,
            number,
            family_name,
            family_name_key,
            address.get("address_line1"),
            address.get("address_line2"),
            address.get("postal_code"),
            address.get("city"),
            invoices_by_email,
            now,
            dossier_id,
        )

    async def update(self, dossier_id: uuid.UUID, fields: dict[str, Any], now: datetime) -> None:
        if not fields:
            return
        clause, values = set_clause(fields, DOSSIER_UPDATABLE, 3)
        await self.conn.execute(
            f"UPDATE dossiers SET updated_at = $2, {clause} WHERE id = $1", dossier_id, now, *values
        )

    async def touch(self, dossier_id: uuid.UUID, now: datetime) -> None:
        await self.conn.execute("UPDATE dossiers SET updated_at = $2 WHERE id = $1", dossier_id, now)

    async def adults(self, dossier_id: uuid.UUID) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"SELECT {ADULT_COLUMNS} FROM adults WHERE dossier_id = $1 ORDER BY position, last_name, first_name, id",
            dossier_id,
        )

    async def insert_adult(self, dossier_id: uuid.UUID, position: int, values: dict[str, Any]) -> uuid.UUID:
        return await self.conn.fetchval(
            """
            INSERT INTO adults (dossier_id, position, last_name, first_name, email, phone_mobile, phone_home, phone_work)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
            """,
            dossier_id,
            position,
            values["last_name"],
            values["first_name"],
            values.get("email"),
            values.get("phone_mobile"),
            values.get("phone_home"),
            values.get("phone_work"),
        )

    async def update_adult(self, adult_id: uuid.UUID, fields: dict[str, Any]) -> None:
        if not fields:
            return
        clause, values = set_clause(fields, ADULT_UPDATABLE, 2)
        await self.conn.execute(f"UPDATE adults SET {clause} WHERE id = $1", adult_id, *values)

    async def children(self, dossier_id: uuid.UUID) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"SELECT {CHILD_COLUMNS} FROM children WHERE dossier_id = $1 ORDER BY birth_date, first_name, id",
            dossier_id,
        )

    async def child(self, child_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
        lock = " FOR UPDATE" if for_update else ""
        return await self.conn.fetchrow(f"SELECT {CHILD_COLUMNS} FROM children WHERE id = $1{lock}", child_id)

    async def insert_child(
        self,
        dossier_id: uuid.UUID,
        *,
        first_name: str,
        last_name: str,
        birth_date: date,
        school: str | None,
        level: str | None,
        child_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        return await self.conn.fetchval(
            """
            INSERT INTO children (id, dossier_id, first_name, last_name, birth_date, school, level)
            VALUES (COALESCE($7::uuid, gen_random_uuid()), $1, $2, $3, $4, $5, $6) RETURNING id
            """,
            dossier_id,
            first_name,
            last_name,
            birth_date,
            school,
            level,
            child_id,
        )

    async def update_child(self, child_id: uuid.UUID, fields: dict[str, Any]) -> None:
        if not fields:
            return
        clause, values = set_clause(fields, CHILD_UPDATABLE, 2)
        await self.conn.execute(f"UPDATE children SET {clause} WHERE id = $1", child_id, *values)
