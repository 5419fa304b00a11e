"""Demonstration data (development only): the town's usual message themes."""

from __future__ import annotations

import asyncpg

DEMO_THEMES = (
    ("scolaire", "Scolaire", "messaging_staff"),
    ("periscolaire", "Périscolaire / Animation", "messaging_staff"),
    ("restauration", "Restauration", "messaging_staff"),
    ("facturation", "Facturation", "billing_staff"),
)


async def load(pool: asyncpg.Pool, settings) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for position, (code, label, role) in enumerate(DEMO_THEMES):
            await conn.execute(
                "INSERT INTO themes (code, label, staff_role, position) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (code) DO NOTHING",
                code, label, role, position,
            )
