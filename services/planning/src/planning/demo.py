"""Demonstration data (development only): this school year's three activities."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import asyncpg

from .domain.school_year import school_year_of

PARIS = ZoneInfo("Europe/Paris")

DEMO_ACTIVITIES = (
    # code, name, start, end, ISO weekdays, capacity
    ("cantine", "Cantine (11h30 à 13h30)", time(11, 30), time(13, 30), [1, 2, 4, 5], 120),
    ("peri_matin", "Périscolaire matin (7h à 8h30)", time(7, 0), time(8, 30), [1, 2, 4, 5], 40),
    ("alsh_mercredi", "ALSH Mercredi (7h à 19h)", time(7, 0), time(19, 0), [3], 48),
)


async def load(pool: asyncpg.Pool, settings, today: date | None = None) -> None:
    today = today or datetime.now(PARIS).date()
    first, second = school_year_of(today)
    async with pool.acquire() as conn, conn.transaction():
        year_id = await conn.fetchval(
            """
            INSERT INTO school_years (label, starts_on, ends_on) VALUES ($1, $2, $3)
            ON CONFLICT (label) DO UPDATE SET label = EXCLUDED.label
            RETURNING id
            """,
            f"{first}/{second}",
            date(first, 9, 1),
            date(second, 7, 3),
        )
        for code, name, start, end, weekdays, capacity in DEMO_ACTIVITIES:
            await conn.execute(
                """
                INSERT INTO activities (school_year_id, code, name, starts_at, ends_at, weekdays, capacity)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (school_year_id, code) DO NOTHING
                """,
                year_id, code, name, start, end, weekdays, capacity,
            )
