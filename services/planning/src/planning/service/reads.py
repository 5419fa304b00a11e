"""The parents' reads that every page makes: a child's month grid and the activities list.

Both run on a pooled connection, without a unit of work (no BEGIN/COMMIT round trips), and
keep what staff configure in memory (:class:`StaffRules`): activities, school years and
their holidays, closures, open months and the deadline rule. Those are valid for one
``rules_version`` (migration 0003), which a trigger bumps in the transaction of any change
to their tables, and which every read fetches with its own data: a staff change is seen by
the very next read, whichever process serves it. The answers are built as plain values and
serialised once (``pydantic_core.to_json``), in the documented shapes (``schemas.parent``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

import asyncpg
from pydantic_core import to_json

from ..domain import Activity, BookingRules, Child, DayCapacity, Month, month_grid
from ..domain.grid import Closed, frame_key, month_frame
from ..store.catalog import Activities, Calendars, SchoolYears
from ..store.reads import MonthState, month_state, rules_version
from .errors import ChildNotFound
from .rules import booking_rules

if TYPE_CHECKING:
    from .deps import Planning

MAX_MONTHS = 48  # months whose rules are kept (a version's worth: parents browse a few)
MAX_FRAMES = 20_000  # (month, activity, age/level) frames kept
MAX_GRIDS = 1_000  # grids kept (~14 kB each)

Interval = tuple[datetime | None, datetime | None]  # [since, until): None is unbounded

MONTHS_FR = (
    "Janvier", "Février", "Mars", "Avril", "Mai", "Juin",
    "Juillet", "Août", "Septembre", "Octobre", "Novembre", "Décembre",
)  # fmt: skip


def month_label(month: Month) -> str:
    return f"{MONTHS_FR[month.month - 1]} {month.year}"


def in_month(activity: Activity, month: Month) -> bool:
    year = activity.school_year
    return year.starts_on <= month.last_day and year.ends_on >= month.first_day


class _Reads:
    """What ``booking_rules`` reads, on one connection."""

    def __init__(self, conn: asyncpg.Connection):
        self.years = SchoolYears(conn)
        self.calendars = Calendars(conn)


class Rules:
    """What staff configure, as of one ``version``: every activity, the rules of the months
    asked for, what they make of each day of a month (``frames``: per activity, and per
    age and level where the activity has limits), the instants a month's days pass their
    deadlines, and answers built from them: ``bodies`` (rules only) and ``grids`` (a
    child's month, keyed by every value its state was read with, until its next deadline).
    Never changed into another version: a read keeps using the one it was given."""

    def __init__(self, version: int, activities: dict[UUID, Activity]):
        self.version = version
        self.activities = activities
        self.months: dict[Month, BookingRules] = {}
        self.bodies: dict[object, bytes] = {}
        self.frames: dict[tuple, tuple[Closed, ...]] = {}
        self.deadlines: dict[Month, list[datetime]] = {}
        self.grids: dict[tuple, tuple[Interval, bytes]] = {}

    def frame(self, activity: Activity, child: Child, month: Month, rules: BookingRules) -> tuple[Closed, ...]:
        """The month's :func:`month_frame` for this activity and child (``rules``: the month's)."""
        key = (month, *frame_key(activity, child))
        found = self.frames.get(key)
        if found is None:
            if len(self.frames) >= MAX_FRAMES:
                self.frames = {}
            found = self.frames[key] = month_frame(activity, child, month, rules)
        return found

    def between_deadlines(self, month: Month, rules: BookingRules, now: datetime) -> Interval:
        """The month's booking and cancellation deadlines just before (or at) and just after
        ``now``: in between, no day of the month changes state by the clock."""
        found = self.deadlines.get(month)
        if found is None:
            policy = rules.deadlines
            found = self.deadlines[month] = sorted(
                {d for day in month.days() for d in (policy.booking_deadline(day), policy.cancellation_deadline(day))}
            )
        i = bisect_right(found, now)
        return (found[i - 1] if i else None, found[i] if i < len(found) else None)

    def grid(self, key: tuple, now: datetime) -> bytes | None:
        found = self.grids.get(key)
        if found is None:
            return None
        (since, until), body = found
        return body if (since is None or since <= now) and (until is None or now < until) else None

    def keep_grid(self, key: tuple, valid: Interval, body: bytes) -> None:
        if len(self.grids) >= MAX_GRIDS:
            del self.grids[next(iter(self.grids))]
        self.grids[key] = (valid, body)


class StaffRules:
    """The process's :class:`Rules` of the latest version it read (one per app)."""

    def __init__(self) -> None:
        self.current: Rules | None = None

    async def load(self, conn: asyncpg.Connection, month: Month | None = None) -> Rules:
        """The current version (with ``month``'s rules), from one read-only snapshot.
        Kept parts are only ever added or replaced whole: a read holding one is unaffected."""
        known = self.current
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            version = await rules_version(conn)
            if known is None or known.version != version:
                known = Rules(version, {a.id: a for a in await Activities(conn).of_year(None)})
            if month is not None and month not in known.months:
                if len(known.months) >= MAX_MONTHS:
                    known.months = {}
                known.months[month] = await booking_rules(_Reads(conn), month.first_day, month.last_day)
        if self.current is None or self.current.version <= known.version:
            self.current = known
        return known

    async def for_month(self, conn: asyncpg.Connection, version: int, month: Month) -> tuple[Rules, BookingRules]:
        """The rules as of ``version`` (or a later one), and ``month``'s."""
        known = self.current
        if known is None or known.version != version or month not in known.months:
            known = await self.load(conn, month)
        return known, known.months[month]

    async def body(self, conn: asyncpg.Connection, key: object, render: Callable[[Rules], bytes]) -> bytes:
        """An answer that depends on the rules only, rendered once per version."""
        version = await rules_version(conn)
        known = self.current
        if known is None or known.version != version:
            known = await self.load(conn)
        found = known.bodies.get(key)
        if found is None:
            found = known.bodies[key] = render(known)
        return found


def year_activities(rules: Rules, label: str) -> list[Activity]:
    """One school year's activities, in the order of ``Activities.of_year``."""
    found = [a for a in rules.activities.values() if a.school_year.label == label]
    return sorted(found, key=lambda a: (a.school_year.starts_on, a.starts_at, a.name))


async def activity_list(p: Planning, label: str, render: Callable[[list[Activity]], bytes]) -> bytes:
    """The public list of one school year's activities, rendered by ``render`` once per version."""
    async with p.pool.acquire() as conn:
        return await p.staff_rules.body(
            conn, ("activities", label), lambda rules: render(year_activities(rules, label))
        )


async def month_view(p: Planning, dossier_id: UUID, child_id: UUID, month: Month) -> bytes:
    """The month grid of one child of the family (``schemas.parent.MonthOut``), as JSON.

    Read afresh every time (one statement); rendered again only when something it was read
    with changed, or the clock passed one of the month's deadlines."""
    now = p.now()
    cache = p.staff_rules
    async with p.pool.acquire() as conn:
        state = await month_state(conn, child_id, dossier_id, month.first_day, month.last_day)
        if state is None:
            raise ChildNotFound()
        known, rules = await cache.for_month(conn, state.rules_version, month)
    key = (month, state.key)
    body = known.grid(key, now)
    if body is None:
        body = _render(known, rules, state, month, now)
        known.keep_grid(key, known.between_deadlines(month, rules, now), body)
    return body


def _render(known: Rules, rules: BookingRules, state: MonthState, month: Month, now: datetime) -> bytes:
    activities = known.activities
    child = state.child
    booked: dict[UUID, list[date]] = defaultdict(list)
    for activity_id, day in state.booked:
        booked[activity_id].append(day)
    pending: dict[UUID, dict] = defaultdict(dict)
    for activity_id, day, change in state.pending:
        pending[activity_id][day] = change
    capacity: dict[UUID, dict[date, DayCapacity]] = defaultdict(dict)
    for activity_id, day, places, confirmed, held in state.places:
        capacity[activity_id][day] = DayCapacity(places, confirmed, held)
    shown = sorted(
        (activities[i] for i in child.enrolments if i in activities and in_month(activities[i], month)),
        key=lambda a: (a.starts_at, a.name),
    )
    rows = []
    for activity in shown:
        views = month_grid(
            activity,
            child,
            month,
            rules=rules,
            now=now,
            booked=booked.get(activity.id, ()),
            pending=pending.get(activity.id),
            capacity=capacity.get(activity.id),
            frame=known.frame(activity, child, month, rules),
        )
        days = [
            {
                "date": v.day,
                "state": v.state.value,
                "editable": v.editable,
                "places_left": v.places_left,
                "reason": v.refusal or v.reason,
                "label": v.label,
                "pending_change": v.pending_change,
                "booked": v.booked,
            }
            for v in views
        ]
        rows.append({"id": activity.id, "name": activity.display_name, "days": days})
    return to_json(
        {
            "child": {"id": child.id, "first_name": child.first_name},
            "month": str(month),
            "label": month_label(month),
            "previous_month": str(month.previous()),
            "next_month": str(month.next()),
            "open": rules.windows.is_open(month),
            "activities": rows,
            "basket": {"lines": state.basket_lines, "expires_at": state.basket_expires_at},
        }
    )
