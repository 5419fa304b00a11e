"""What staff configure: school years, activities, school-holiday periods, closures, open
months and the deadline rule; read back as the domain's values."""

from __future__ import annotations

from datetime import date, time
from uuid import UUID

import asyncpg

from ..domain import Activity, BookingWindows, Closure, DeadlinePolicy, DeadlineRule, Month, Period, SchoolYear

ACTIVITY_COLUMNS = """
    a.id, a.code, a.name, a.starts_at, a.ends_at, a.weekdays, a.holiday_weekdays, a.capacity,
    a.min_age, a.max_age, a.levels, y.id AS year_id, y.label, y.starts_on, y.ends_on
"""


def year_of(row: asyncpg.Record) -> SchoolYear:
    return SchoolYear(row["label"], row["starts_on"], row["ends_on"])


def activity_of(row: asyncpg.Record) -> Activity:
    return Activity(
        id=row["id"],
        school_year=year_of(row),
        code=row["code"],
        name=row["name"],
        weekdays=row["weekdays"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        capacity=row["capacity"],
        holiday_weekdays=row["holiday_weekdays"],
        min_age=row["min_age"],
        max_age=row["max_age"],
        levels=frozenset(row["levels"]) if row["levels"] is not None else None,
    )


def _changeable(a: Activity) -> tuple:
    """The columns staff may change, in the order both statements list them."""
    levels = sorted(a.levels) if a.levels is not None else None
    return (a.name, a.starts_at, a.ends_at, sorted(a.weekdays), sorted(a.holiday_weekdays), a.capacity,
            a.min_age, a.max_age, levels)  # fmt: skip


class SchoolYears:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(self, year: SchoolYear) -> tuple[UUID, bool]:
        """``(id, created)``; an existing label keeps its dates."""
        row = await self.conn.fetchrow(
            """
            INSERT INTO school_years (label, starts_on, ends_on) VALUES ($1, $2, $3)
            ON CONFLICT (label) DO NOTHING RETURNING id
            """,
            year.label,
            year.starts_on,
            year.ends_on,
        )
        if row is not None:
            return row["id"], True
        return await self.conn.fetchval("SELECT id FROM school_years WHERE label = $1", year.label), False

    async def find(self, label: str) -> tuple[UUID, SchoolYear] | None:
        row = await self.conn.fetchrow("SELECT id, label, starts_on, ends_on FROM school_years WHERE label = $1", label)
        return (row["id"], year_of(row)) if row else None

    async def covering(self, first: date, last: date) -> list[tuple[UUID, SchoolYear]]:
        rows = await self.conn.fetch(
            "SELECT id, label, starts_on, ends_on FROM school_years WHERE starts_on <= $2 AND ends_on >= $1",
            first,
            last,
        )
        return [(r["id"], year_of(r)) for r in rows]

    async def all(self) -> list[asyncpg.Record]:
        return await self.conn.fetch("SELECT id, label, starts_on, ends_on FROM school_years ORDER BY starts_on")


class Activities:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(self, year_id: UUID, a: Activity) -> bool:
        """False when the school year already has an activity with that code."""
        done = await self.conn.fetchval(
            """
            INSERT INTO activities (id, school_year_id, code, name, starts_at, ends_at, weekdays,
                                    holiday_weekdays, capacity, min_age, max_age, levels)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (school_year_id, code) DO NOTHING RETURNING true
            """,
            a.id,
            year_id,
            a.code,
            *_changeable(a),
        )
        return bool(done)

    async def update(self, a: Activity) -> None:
        await self.conn.execute(
            """
            UPDATE activities SET name = $2, starts_at = $3, ends_at = $4, weekdays = $5, holiday_weekdays = $6,
                   capacity = $7, min_age = $8, max_age = $9, levels = $10, updated_at = now()
            WHERE id = $1
            """,
            a.id,
            *_changeable(a),
        )

    async def get(self, activity_id: UUID, *, lock: bool = False) -> Activity | None:
        row = await self.conn.fetchrow(
            f"SELECT {ACTIVITY_COLUMNS} FROM activities a JOIN school_years y ON y.id = a.school_year_id "
            f"WHERE a.id = $1{' FOR UPDATE OF a' if lock else ''}",
            activity_id,
        )
        return activity_of(row) if row else None

    async def many(self, ids: list[UUID]) -> dict[UUID, Activity]:
        rows = await self.conn.fetch(
            f"SELECT {ACTIVITY_COLUMNS} FROM activities a JOIN school_years y ON y.id = a.school_year_id "
            "WHERE a.id = ANY($1::uuid[])",
            ids,
        )
        return {r["id"]: activity_of(r) for r in rows}

    async def of_year(self, label: str | None) -> list[Activity]:
        rows = await self.conn.fetch(
            f"SELECT {ACTIVITY_COLUMNS} FROM activities a JOIN school_years y ON y.id = a.school_year_id "
            "WHERE $1::text IS NULL OR y.label = $1 ORDER BY y.starts_on, a.starts_at, a.name",
            label,
        )
        return [activity_of(r) for r in rows]

    async def running_between(self, first: date, last: date) -> list[Activity]:
        rows = await self.conn.fetch(
            f"SELECT {ACTIVITY_COLUMNS} FROM activities a JOIN school_years y ON y.id = a.school_year_id "
            "WHERE y.starts_on <= $2 AND y.ends_on >= $1 ORDER BY a.starts_at, a.name",
            first,
            last,
        )
        return [activity_of(r) for r in rows]


class Calendars:
    """School-holiday periods, closures, open months and the deadline rule."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add_school_holiday(self, year_id: UUID, period: Period) -> UUID:
        return await self.conn.fetchval(
            "INSERT INTO school_holidays (school_year_id, starts_on, ends_on, label) VALUES ($1, $2, $3, $4) RETURNING id",
            year_id,
            period.start,
            period.end,
            period.label,
        )

    async def school_holidays(self, year_id: UUID) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT id, starts_on, ends_on, label FROM school_holidays WHERE school_year_id = $1 ORDER BY starts_on",
            year_id,
        )

    async def add_closure(self, closure: Closure) -> UUID:
        return await self.conn.fetchval(
            "INSERT INTO closures (activity_id, starts_on, ends_on, label) VALUES ($1, $2, $3, $4) RETURNING id",
            closure.activity_id,
            closure.period.start,
            closure.period.end,
            closure.period.label,
        )

    async def _lock_closures(self) -> None:
        """The closures' transaction-level lock: recording and removing one are serialised."""
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('planning.closures'))")

    async def same_closure(self, closure: Closure) -> asyncpg.Record | None:
        """The closure already recorded with these activity, dates and label (a POST sent twice).
        Serialised by a transaction-level lock: two identical POSTs at once make one closure."""
        await self._lock_closures()
        return await self.conn.fetchrow(
            "SELECT id, activity_id, starts_on, ends_on, label FROM closures "
            "WHERE activity_id IS NOT DISTINCT FROM $1 AND starts_on = $2 AND ends_on = $3 AND label = $4",
            closure.activity_id,
            closure.period.start,
            closure.period.end,
            closure.period.label,
        )

    async def remove_closure(self, closure_id: UUID) -> asyncpg.Record | None:
        """Forget a closure (entered by mistake) → what it was, or None when there is none. Under
        the lock :meth:`same_closure` takes: an identical POST at once waits, then finds nothing."""
        await self._lock_closures()
        return await self.conn.fetchrow(
            "DELETE FROM closures WHERE id = $1 RETURNING id, activity_id, starts_on, ends_on, label", closure_id
        )

    async def closure_rows(self, first: date, last: date) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT id, activity_id, starts_on, ends_on, label FROM closures "
            "WHERE starts_on <= $2 AND ends_on >= $1 ORDER BY starts_on, label",
            first,
            last,
        )

    async def closures(self, first: date, last: date) -> list[Closure]:
        return [
            Closure(Period(r["starts_on"], r["ends_on"], r["label"]), r["activity_id"])
            for r in await self.closure_rows(first, last)
        ]

    async def set_month(self, month: Month, is_open: bool) -> None:
        if is_open:
            await self.conn.execute(
                "INSERT INTO open_months (month) VALUES ($1) ON CONFLICT DO NOTHING", month.first_day
            )
        else:
            await self.conn.execute("DELETE FROM open_months WHERE month = $1", month.first_day)

    async def windows(self) -> BookingWindows:
        rows = await self.conn.fetch("SELECT month FROM open_months")
        return BookingWindows(frozenset(Month.of(r["month"]) for r in rows))

    async def deadlines(self) -> DeadlinePolicy:
        r = await self.conn.fetchrow("SELECT * FROM deadline_rule")
        if r is None:
            return DeadlinePolicy()
        booking = DeadlineRule(r["anchor"], r["days_before"], r["at_time"])
        cancellation = None
        if r["cancel_anchor"] is not None:
            cancellation = DeadlineRule(r["cancel_anchor"], r["cancel_days_before"], r["cancel_at_time"])
        return DeadlinePolicy(booking, cancellation)

    async def set_deadlines(self, policy: DeadlinePolicy) -> None:
        c = policy.cancellation
        await self.conn.execute(
            """
            INSERT INTO deadline_rule (singleton, anchor, days_before, at_time, cancel_anchor, cancel_days_before,
                                       cancel_at_time, updated_at)
            VALUES (true, $1, $2, $3, $4, $5, $6, now())
            ON CONFLICT (singleton) DO UPDATE SET anchor = $1, days_before = $2, at_time = $3, cancel_anchor = $4,
                cancel_days_before = $5, cancel_at_time = $6, updated_at = now()
            """,
            policy.booking.anchor,
            policy.booking.days_before,
            policy.booking.at,
            c.anchor if c else None,
            c.days_before if c else None,
            c.at if c else None,
        )


def hhmm(value: time) -> str:
    return value.strftime("%H:%M")
