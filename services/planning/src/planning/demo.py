"""Demonstration data (development only), made through the use cases: this school year's
calendar and three activities, Arthur (dossier 404, the fixed ids every service's demo
shares) known as accounts' event would make him known, enrolled in all three, the current
and next month open, and a few days already booked and paid."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

import asyncpg

from .domain import PARIS, DayState, Month, month_grid, school_year_label
from .schemas.admin import ActivityIn, EnrolmentIn, SchoolYearIn
from .service import Planning, catalog, children
from .service.payments import book_paid_days
from .service.rules import booking_rules
from .store import UnitOfWork
from .store.children import ChildRecord

DOSSIER_404 = uuid.uuid5(uuid.NAMESPACE_URL, "https://portail-famille.fr/demo/dossier/404")
ARTHUR = uuid.uuid5(uuid.NAMESPACE_URL, "https://portail-famille.fr/demo/dossier/404/child/arthur")
# The demo payment of Arthur's booked days (billing's demo may record it under this id).
DEMO_PAYMENT = uuid.uuid5(uuid.NAMESPACE_URL, "https://portail-famille.fr/demo/dossier/404/payment/planning")
# Older than any real event: accounts' accounts.child.added, when it comes, refreshes the row.
DEMO_SOURCE_AT = datetime(2000, 1, 1, tzinfo=UTC)

DEMO_ACTIVITIES = (
    # code, name, start, end, ISO weekdays in school time, in school holidays, capacity
    ("cantine", "Cantine (11h30 à 13h30)", "11:30", "13:30", [1, 2, 4, 5], [], 120),
    ("peri_matin", "Périscolaire matin (7h à 8h30)", "07:00", "08:30", [1, 2, 4, 5], [], 40),
    ("alsh_mercredi", "ALSH Mercredi (7h à 19h)", "07:00", "19:00", [3], [1, 2, 3, 4, 5], 48),
)
BOOKED_PER_MONTH = 3


def demo_activity_id(school_year_label: str, code: str) -> uuid.UUID:
    """The rule billing's demo uses too, so that its tariffs price these very activities."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://portail-famille.fr/demo/activity/{school_year_label}/{code}")


async def load(pool: asyncpg.Pool, settings, today: date | None = None) -> None:
    """Idempotent: a second run adds nothing. ``today`` (tests) fixes the clock at 10:00 Paris."""
    if getattr(settings, "environment", None) == "production":
        raise RuntimeError("demo data refuses to run in production")
    if today is None:
        p = Planning(pool=pool)
        today = p.now().astimezone(PARIS).date()
    else:
        fixed = datetime.combine(today, time(10, 0), tzinfo=PARIS)
        p = Planning(pool=pool, clock=lambda: fixed)
    label = school_year_label(today)
    await catalog.create_school_year(p, SchoolYearIn(label=label))
    known = {a.code: a for a in (await catalog.activities(p, label)).activities}
    ids = []
    for code, name, start, end, weekdays, holiday_weekdays, capacity in DEMO_ACTIVITIES:
        activity = known.get(code) or await catalog.create_activity(
            p,
            ActivityIn(
                school_year=label,
                code=code,
                name=name,
                weekdays=weekdays,
                holiday_weekdays=holiday_weekdays,
                starts_at=start,
                ends_at=end,
                capacity=capacity,
            ),
            activity_id=demo_activity_id(label, code),
        )
        ids.append(activity.id)
    async with UnitOfWork(pool) as uow:
        arthur = ChildRecord(ARTHUR, DOSSIER_404, "Arthur", "Le Derf", date(2018, 5, 14), "École Jules Ferry", "CE2")
        await children.record_child(uow, arthur, DEMO_SOURCE_AT)
        await uow.commit()
    for activity_id in ids:
        await children.enrol(p, EnrolmentIn(child_id=ARTHUR, activity_id=activity_id))
    current = Month.of(today)
    for month in (current, current.next()):
        await catalog.set_month(p, month, True)
    await book_paid_days(
        p, DOSSIER_404, ARTHUR, await _first_bookable_days(p, ids[0], (current, current.next())), DEMO_PAYMENT
    )


async def _first_bookable_days(p: Planning, activity_id: uuid.UUID, months) -> dict[Month, dict[uuid.UUID, list]]:
    """A few canteen days still bookable in each month (the demo's « already paid » days)."""
    now = p.now()
    wanted = {}
    async with UnitOfWork(p.pool) as uow:
        child = await uow.children.get(ARTHUR, DOSSIER_404)
        activity = await uow.activities.get(activity_id)
        for month in months:
            rules = await booking_rules(uow, month.first_day, month.last_day)
            views = month_grid(activity, child, month, rules=rules, now=now)
            days = [v.day for v in views if v.state is DayState.BOOKABLE][:BOOKED_PER_MONTH]
            if days:
                wanted[month] = {activity_id: days}
    return wanted
