"""Tariff grids and quotients familiaux, stored and read back as domain values."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import asyncpg

from billing.domain.money import Money
from billing.domain.qf import QfCampaign, QfHistory, QuotientFamilial
from billing.domain.tariffs import Bracket, TariffGrid


class Tariffs:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def save(self, grid: TariffGrid, *, by: uuid.UUID | None) -> None:
        """Replace the activity's grid for that school year (a PUT: the whole grid at once)."""
        await self.conn.execute(
            """
            INSERT INTO tariff_grids (activity_id, school_year, updated_by) VALUES ($1, $2, $3)
            ON CONFLICT (activity_id, school_year) DO UPDATE SET updated_at = now(), updated_by = EXCLUDED.updated_by
            """,
            grid.activity_id,
            grid.school_year,
            by,
        )
        await self.conn.execute(
            "DELETE FROM tariff_brackets WHERE activity_id = $1 AND school_year = $2",
            grid.activity_id,
            grid.school_year,
        )
        await self.conn.executemany(
            "INSERT INTO tariff_brackets (activity_id, school_year, position, qf_max, unit_price_cents) "
            "VALUES ($1, $2, $3, $4, $5)",
            [
                (grid.activity_id, grid.school_year, i, b.qf_max, b.unit_price.cents)
                for i, b in enumerate(grid.brackets)
            ],
        )

    async def grids(self, keys: Iterable[tuple[uuid.UUID, str]]) -> dict[tuple[uuid.UUID, str], TariffGrid]:
        """The grids of these (activity, school year) pairs that exist."""
        keys = list(set(keys))
        if not keys:
            return {}
        rows = await self.conn.fetch(
            """
            SELECT b.activity_id, b.school_year, b.qf_max, b.unit_price_cents
            FROM tariff_brackets b
            JOIN unnest($1::uuid[], $2::text[]) AS k(activity_id, school_year)
              ON k.activity_id = b.activity_id AND k.school_year = b.school_year
            ORDER BY b.activity_id, b.school_year, b.position
            """,
            [k[0] for k in keys],
            [k[1] for k in keys],
        )
        return grids_of(rows)


def grids_of(rows: Iterable[asyncpg.Record]) -> dict[tuple[uuid.UUID, str], TariffGrid]:
    brackets: dict[tuple[uuid.UUID, str], list[Bracket]] = {}
    for r in rows:
        brackets.setdefault((r["activity_id"], r["school_year"]), []).append(
            Bracket(r["qf_max"], Money(r["unit_price_cents"]))
        )
    return {key: TariffGrid(key[0], key[1], found) for key, found in brackets.items()}


class Qfs:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(self, dossier_id: uuid.UUID, qf: QuotientFamilial, *, by: uuid.UUID | None) -> None:
        await self.conn.execute(
            "INSERT INTO qf_values (id, dossier_id, value, valid_from, valid_to, proof, state, created_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            qf.id,
            dossier_id,
            qf.value,
            qf.valid_from,
            qf.valid_to,
            qf.proof.value,
            qf.state.value,
            by,
        )

    async def history(self, dossier_id: uuid.UUID, *, lock: bool = False) -> QfHistory:
        rows = await self.conn.fetch(
            "SELECT * FROM qf_values WHERE dossier_id = $1 ORDER BY valid_from, created_at"
            + (" FOR UPDATE" if lock else ""),
            dossier_id,
        )
        # The campaigns' grace (domain/qf.py) prices the days of February like January.
        campaigns = await self.conn.fetch("SELECT year, ends_on FROM qf_campaigns ORDER BY year")
        return QfHistory(
            (
                QuotientFamilial(r["value"], r["valid_from"], r["valid_to"], r["proof"], r["state"], id=r["id"])
                for r in rows
            ),
            (QfCampaign(c["year"], c["ends_on"]) for c in campaigns),
        )

    async def decide(self, qf: QuotientFamilial, *, by: uuid.UUID, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE qf_values SET state = $2, decided_at = $3, decided_by = $4 WHERE id = $1",
            qf.id,
            qf.state.value,
            at,
            by,
        )
