"""Confirmed days, attendance marks and the reminders already sent."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import asyncpg

from ..domain import BookedDay, Closure, DayRef


class Reservations:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(self, dossier_id: UUID, ref: DayRef, basket_id: UUID | None, payment_id: UUID | None) -> UUID | None:
        """The reservation's id; None when that day is already booked for the child."""
        return await self.conn.fetchval(
            """
            INSERT INTO reservations (dossier_id, child_id, activity_id, day, basket_id, payment_id)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (child_id, activity_id, day) WHERE status = 'confirmed' DO NOTHING
            RETURNING id
            """,
            dossier_id,
            ref.child_id,
            ref.activity_id,
            ref.day,
            basket_id,
            payment_id,
        )

    async def cancel(self, ref: DayRef, now: datetime) -> asyncpg.Record | None:
        """The cancelled reservation's row; None when the day was not booked (nothing to do)."""
        return await self.conn.fetchrow(
            """
            UPDATE reservations SET status = 'cancelled', cancelled_at = $4
            WHERE child_id = $1 AND activity_id = $2 AND day = $3 AND status = 'confirmed'
            RETURNING id, dossier_id, payment_id
            """,
            ref.child_id,
            ref.activity_id,
            ref.day,
            now,
        )

    async def closed_by(self, closure: Closure) -> list[BookedDay]:
        """The confirmed reservations on the closure's dates (of its activity, or of all), locked."""
        rows = await self.conn.fetch(
            """
            SELECT id, dossier_id, child_id, activity_id, day, payment_id FROM reservations
            WHERE day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR activity_id = $3) AND status = 'confirmed'
            ORDER BY activity_id, day, child_id FOR UPDATE
            """,
            closure.period.start,
            closure.period.end,
            closure.activity_id,
        )
        return [
            BookedDay(r["id"], r["dossier_id"], DayRef(r["child_id"], r["activity_id"], r["day"]), r["payment_id"])
            for r in rows
        ]

    async def booked(self, child_ids: list[UUID], first: date, last: date) -> set[DayRef]:
        rows = await self.conn.fetch(
            "SELECT child_id, activity_id, day FROM reservations "
            "WHERE child_id = ANY($1::uuid[]) AND day BETWEEN $2 AND $3 AND status = 'confirmed'",
            child_ids,
            first,
            last,
        )
        return {DayRef(r["child_id"], r["activity_id"], r["day"]) for r in rows}

    async def is_booked(self, ref: DayRef) -> bool:
        return bool(
            await self.conn.fetchval(
                "SELECT true FROM reservations WHERE child_id = $1 AND activity_id = $2 AND day = $3 "
                "AND status = 'confirmed'",
                ref.child_id,
                ref.activity_id,
                ref.day,
            )
        )

    async def of_dossier(self, dossier_id: UUID) -> int:
        return await self.conn.fetchval(
            "SELECT count(*) FROM reservations WHERE dossier_id = $1 AND status = 'confirmed'", dossier_id
        )

    async def day_list(self, day: date) -> list[asyncpg.Record]:
        """Confirmed bookings of a day, with what the lists show of each child."""
        return await self.conn.fetch(
            """
            SELECT r.activity_id, r.child_id, c.first_name, c.last_name, c.school, c.level
            FROM reservations r JOIN children c ON c.child_id = r.child_id
            WHERE r.day = $1 AND r.status = 'confirmed'
            ORDER BY c.school NULLS LAST, c.level NULLS LAST, c.last_name, c.first_name
            """,
            day,
        )

    async def month_list(self, first: date, last: date) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """
            SELECT r.day, r.activity_id, r.child_id, c.first_name, c.last_name, c.school, c.level, r.payment_id
            FROM reservations r JOIN children c ON c.child_id = r.child_id
            WHERE r.day BETWEEN $1 AND $2 AND r.status = 'confirmed'
            ORDER BY r.day, r.activity_id, c.last_name, c.first_name
            """,
            first,
            last,
        )


class Attendance:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def mark(self, ref: DayRef, status: str, booked: bool, by: UUID, at: datetime) -> None:
        await self.conn.execute(
            """
            INSERT INTO attendance (child_id, activity_id, day, status, booked, recorded_by, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (child_id, activity_id, day)
            DO UPDATE SET status = $4, booked = $5, recorded_by = $6, recorded_at = $7
            """,
            ref.child_id,
            ref.activity_id,
            ref.day,
            status,
            booked,
            by,
            at,
        )

    async def of_day(self, day: date) -> dict[tuple[UUID, UUID], str]:
        rows = await self.conn.fetch("SELECT child_id, activity_id, status FROM attendance WHERE day = $1", day)
        return {(r["child_id"], r["activity_id"]): r["status"] for r in rows}


class Reminders:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def claim(self, dossier_id: UUID, week_starts_on: date) -> bool:
        """True the first time only: a family gets one reminder per week."""
        return bool(
            await self.conn.fetchval(
                "INSERT INTO booking_reminders (dossier_id, week_starts_on) VALUES ($1, $2) "
                "ON CONFLICT DO NOTHING RETURNING true",
                dossier_id,
                week_starts_on,
            )
        )

    async def enrolled_children(self, first: date, last: date) -> list[asyncpg.Record]:
        """Each enrolled child (with its activities running in the period's school year)
        and how many confirmed days it has between ``first`` and ``last``."""
        return await self.conn.fetch(
            """
            SELECT c.child_id, c.dossier_id, c.first_name, array_agg(e.activity_id) AS activities,
                   (SELECT count(*) FROM reservations r WHERE r.child_id = c.child_id AND r.status = 'confirmed'
                      AND r.day BETWEEN $1 AND $2) AS booked
            FROM children c
            JOIN enrolments e ON e.child_id = c.child_id
            JOIN activities a ON a.id = e.activity_id
            JOIN school_years y ON y.id = a.school_year_id AND y.starts_on <= $2 AND y.ends_on >= $1
            GROUP BY c.child_id ORDER BY c.dossier_id, c.birth_date NULLS LAST, c.first_name
            """,
            first,
            last,
        )
