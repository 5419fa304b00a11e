"""The parents' reads, on a pooled connection and outside any unit of work.

A month grid needs the child's own state (enrolments, confirmed days, places taken, the
family's basket) and the rules staff configure (activities, calendar, open months, the
deadline rule). The first is read in one statement, together with ``rules_version``
(migration 0003: bumped by a trigger in the transaction of any staff change), so that the
service can tell whether the rules it keeps in memory are still the current ones; the
second only when they are not, in one read-only snapshot. « Valider » reads the same
statement with the family's whole basket instead (``change_state``): what it checks its
days against, before saving the basket under its version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import asyncpg

from ..domain import Basket, Child, DayCapacity, DayRef
from .baskets import basket_of
from .children import child_of

RULES_VERSION = "SELECT version FROM rules_version"

# A child of the family (else no row) and its month between $3 and $4: enrolments,
# confirmed days, the places of its activities, with the family's active basket ({basket}).
_CHILD_MONTH = """
SELECT (SELECT version FROM rules_version) AS rules_version,
       c.*,
       ARRAY(SELECT e.activity_id FROM enrolments e WHERE e.child_id = c.child_id) AS enrolled,
       ARRAY(SELECT ROW(r.activity_id, r.day) FROM reservations r
             WHERE r.child_id = c.child_id AND r.day BETWEEN $3 AND $4 AND r.status = 'confirmed') AS booked,
       ARRAY(SELECT ROW(p.activity_id, p.day, p.capacity, p.confirmed, p.held)
             FROM day_places p JOIN enrolments e ON e.activity_id = p.activity_id AND e.child_id = c.child_id
             WHERE p.day BETWEEN $3 AND $4) AS places,
{basket}
FROM children c
LEFT JOIN baskets b ON b.dossier_id = c.dossier_id AND b.status IN ('open', 'checking_out')
WHERE c.child_id = $1 AND c.dossier_id = $2
"""

# The grid: what the basket changes in the child's month, and how many lines it has in all.
MONTH_STATE = _CHILD_MONTH.format(
    basket="""\
       b.expires_at AS basket_expires_at,
       (SELECT count(*) FROM basket_lines l WHERE l.basket_id = b.id) AS basket_lines,
       ARRAY(SELECT ROW(l.activity_id, l.day, l.change) FROM basket_lines l
             WHERE l.basket_id = b.id AND l.child_id = c.child_id AND l.day BETWEEN $3 AND $4) AS pending"""
)

# « Valider »: the whole basket (every child, every month), as ``Baskets.active`` reads it.
CHANGE_STATE = _CHILD_MONTH.format(
    basket="""\
       b.id AS basket_id, b.dossier_id AS basket_dossier_id, b.status AS basket_status,
       b.checked_out_at AS basket_checked_out_at, b.expires_at AS basket_expires_at,
       b.payment_id AS basket_payment_id, b.version AS basket_version, b.checkout_id AS basket_checkout_id,
       ARRAY(SELECT ROW(l.child_id, l.activity_id, l.day, l.change) FROM basket_lines l
             WHERE l.basket_id = b.id) AS basket_lines"""
)


@dataclass(frozen=True, slots=True)
class MonthState:
    """One child's month as its family sees it, with the rules' version it was read with."""

    rules_version: int
    child: Child
    booked: list[tuple[UUID, date]]  # (activity_id, day) of confirmed reservations
    places: list[tuple[UUID, date, int, int, int]]  # (activity_id, day, capacity, confirmed, held)
    pending: list[tuple[UUID, date, str]]  # (activity_id, day, change) of the child's basket lines
    basket_lines: int  # lines of the family's active basket, every child and month
    basket_expires_at: datetime | None
    key: tuple  # every value read: two equal keys make the same grid (at the same rules and time)


async def month_state(conn: asyncpg.Connection, child_id: UUID, dossier_id: UUID, first: date, last: date):
    """The child's month between ``first`` and ``last``; None unless it is that family's."""
    row = await conn.fetchrow(MONTH_STATE, child_id, dossier_id, first, last)
    if row is None:
        return None
    return MonthState(
        rules_version=row["rules_version"],
        child=child_of(row),
        booked=row["booked"],
        places=row["places"],
        pending=row["pending"],
        basket_lines=row["basket_lines"],
        basket_expires_at=row["basket_expires_at"],
        key=tuple(tuple(v) if isinstance(v, list) else v for v in row.values()),
    )


@dataclass(frozen=True, slots=True)
class ChangeState:
    """What « Valider » checks a child's month against, read in one statement (one snapshot)."""

    rules_version: int
    child: Child
    booked: set[DayRef]  # the child's confirmed days of the month
    places: dict[tuple[UUID, date], DayCapacity]  # of the child's activities, the days that have a row
    basket: Basket | None  # the family's active basket, every line of it


async def change_state(conn: asyncpg.Connection, child_id: UUID, dossier_id: UUID, first: date, last: date):
    """As :func:`month_state`, with the family's whole basket; None unless it is that family's child."""
    row = await conn.fetchrow(CHANGE_STATE, child_id, dossier_id, first, last)
    if row is None:
        return None
    return ChangeState(
        rules_version=row["rules_version"],
        child=child_of(row),
        booked={DayRef(row["child_id"], activity_id, day) for activity_id, day in row["booked"]},
        places={
            (a, day): DayCapacity(capacity, confirmed, held) for a, day, capacity, confirmed, held in row["places"]
        },
        basket=None if row["basket_id"] is None else basket_of(row, row["basket_lines"], prefix="basket_"),
    )


async def rules_version(conn: asyncpg.Connection) -> int:
    return await conn.fetchval(RULES_VERSION)
