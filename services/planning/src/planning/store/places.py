"""Places per activity and day. The only way to take one is :meth:`Places.hold`, a
conditional UPDATE: under any concurrency a day never has more than its capacity taken."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from uuid import UUID

import asyncpg

from ..domain import DayCapacity, DayRef


class Places:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def _ensure(self, activity_id: UUID, day: date) -> None:
        await self.conn.execute(
            """
            INSERT INTO day_places (activity_id, day, capacity)
            SELECT id, $2, capacity FROM activities WHERE id = $1
            ON CONFLICT (activity_id, day) DO NOTHING
            """,
            activity_id,
            day,
        )

    async def hold(self, activity_id: UUID, day: date) -> bool:
        """Take one place for a basket being paid; False when the day is full."""
        await self._ensure(activity_id, day)
        taken = await self.conn.fetchval(
            """
            UPDATE day_places SET held = held + 1
            WHERE activity_id = $1 AND day = $2 AND confirmed + held < capacity
            RETURNING true
            """,
            activity_id,
            day,
        )
        return bool(taken)

    async def release(self, refs: Iterable[DayRef]) -> None:
        """Held places given back (payment failed, hold expired, billing silent)."""
        for ref in sorted(refs, key=_lock_order):
            await self.conn.execute(
                "UPDATE day_places SET held = greatest(held - 1, 0) WHERE activity_id = $1 AND day = $2",
                ref.activity_id,
                ref.day,
            )

    async def confirm(self, refs: Iterable[DayRef]) -> None:
        """Held places become confirmed (paid)."""
        for ref in sorted(refs, key=_lock_order):
            await self.conn.execute(
                "UPDATE day_places SET held = greatest(held - 1, 0), confirmed = confirmed + 1 "
                "WHERE activity_id = $1 AND day = $2",
                ref.activity_id,
                ref.day,
            )

    async def take_confirmed(self, ref: DayRef) -> bool:
        """A place taken and confirmed at once (demo data paid outside a basket's hold)."""
        await self._ensure(ref.activity_id, ref.day)
        return bool(
            await self.conn.fetchval(
                "UPDATE day_places SET confirmed = confirmed + 1 "
                "WHERE activity_id = $1 AND day = $2 AND confirmed + held < capacity RETURNING true",
                ref.activity_id,
                ref.day,
            )
        )

    async def cancel(self, ref: DayRef) -> None:
        """A confirmed place given back (a paid day unbooked)."""
        await self.conn.execute(
            "UPDATE day_places SET confirmed = greatest(confirmed - 1, 0) WHERE activity_id = $1 AND day = $2",
            ref.activity_id,
            ref.day,
        )

    async def lock_period(self, first: date, last: date, activity_id: UUID | None) -> None:
        """Lock a period's rows (of one activity, or all) in the one order, before updating them
        in any order (a closure frees confirmed and held places of many days at once)."""
        await self.conn.execute(
            "SELECT 1 FROM day_places WHERE day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR activity_id = $3) "
            "ORDER BY activity_id, day FOR UPDATE",
            first,
            last,
            activity_id,
        )

    async def set_capacity(self, activity_id: UUID, capacity: int, from_day: date) -> None:
        await self.conn.execute(
            "UPDATE day_places SET capacity = $2 WHERE activity_id = $1 AND day >= $3", activity_id, capacity, from_day
        )

    async def of(self, activity_ids: list[UUID], first: date, last: date) -> dict[tuple[UUID, date], DayCapacity]:
        rows = await self.conn.fetch(
            "SELECT activity_id, day, capacity, confirmed, held FROM day_places "
            "WHERE activity_id = ANY($1::uuid[]) AND day BETWEEN $2 AND $3",
            activity_ids,
            first,
            last,
        )
        return {(r["activity_id"], r["day"]): DayCapacity(r["capacity"], r["confirmed"], r["held"]) for r in rows}


def _lock_order(ref: DayRef) -> tuple:
    """Rows are always updated in one order, so two transactions never wait on each other in a cycle."""
    return (ref.activity_id, ref.day)
