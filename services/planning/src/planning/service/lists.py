"""Staff's day: who is expected where (confirmed bookings only), the kitchen's meal count,
attendance marking, and the CSV exports."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, time
from uuid import UUID

from servicekit.identity import Identity

from ..domain import Activity, DayRef, Month, record_attendance
from ..events import AttendanceRecorded
from ..schemas import admin as s
from ..store import UnitOfWork
from .deps import Planning
from .errors import ActivityNotFound, ChildNotFound
from .rules import booking_rules

NOON, ONE_PM = time(12, 0), time(13, 0)


def serves_lunch(activity: Activity) -> bool:
    """An activity that covers 12:00-13:00 includes the meal (canteen, a day at the ALSH)."""
    return activity.starts_at <= NOON and activity.ends_at >= ONE_PM


async def daily_list(p: Planning, day: date) -> s.DailyList:
    async with UnitOfWork(p.pool) as uow:
        rows = await uow.reservations.day_list(day)
        calendar = (await booking_rules(uow, day, day)).calendar
        activities = [a for a in await uow.activities.running_between(day, day) if calendar.runs(a, day).runs]
        known = await uow.activities.many(sorted({r["activity_id"] for r in rows}))
        marks = await uow.attendance.of_day(day)
    # What runs that day, and whatever has bookings (a day closed after it was booked still shows).
    by_activity = {a.id: a for a in activities} | known
    out = []
    meals: set[UUID] = set()
    for activity in sorted(by_activity.values(), key=lambda a: (a.starts_at, a.name)):
        children = [r for r in rows if r["activity_id"] == activity.id]
        if serves_lunch(activity):
            meals.update(r["child_id"] for r in children)
        groups = Counter((r["school"], r["level"]) for r in children)
        out.append(
            s.ActivityDay(
                activity_id=activity.id,
                name=activity.display_name,
                capacity=activity.capacity,
                count=len(children),
                children=[
                    s.ListedChild(
                        child_id=r["child_id"],
                        first_name=r["first_name"],
                        last_name=r["last_name"],
                        school=r["school"],
                        level=r["level"],
                        attendance=marks.get((r["child_id"], activity.id)),
                    )
                    for r in children
                ],
                groups=[
                    s.Group(school=school, level=level, count=n)
                    for (school, level), n in sorted(groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or ""))
                ],
            )
        )
    return s.DailyList(date=day, meals=len(meals), activities=out)


async def mark_attendance(p: Planning, who: Identity, cmd: s.AttendanceIn) -> s.AttendanceOut:
    """Marking again replaces the mark; each mark is published (billing charges a child
    present without a booking on the monthly invoice)."""
    now = p.now()
    async with UnitOfWork(p.pool) as uow:
        child = await uow.children.record(cmd.child_id)
        if child is None:
            raise ChildNotFound()
        activity = await uow.activities.get(cmd.activity_id)
        if activity is None:
            raise ActivityNotFound()
        rules = await booking_rules(uow, cmd.date, cmd.date)
        ref = DayRef(cmd.child_id, cmd.activity_id, cmd.date)
        booked = await uow.reservations.is_booked(ref)
        fact = record_attendance(
            cmd.child_id, activity, cmd.date, cmd.status, booked=booked, calendar=rules.calendar, now=now
        )
        await uow.attendance.mark(ref, cmd.status, booked, who.user_id, now)
        await uow.publish(
            AttendanceRecorded(
                dossier_id=child["dossier_id"],
                child_id=cmd.child_id,
                activity_id=cmd.activity_id,
                date=cmd.date,
                status=cmd.status,
                booked=booked,
            )
        )
        await uow.commit()
    return s.AttendanceOut(
        date=cmd.date,
        activity_id=cmd.activity_id,
        child_id=cmd.child_id,
        status=cmd.status,
        booked=booked,
        charged_without_booking=fact.charge_without_booking,
    )


def _csv(header: list[str], rows: list[list]) -> str:
    """Semicolon-separated, as French spreadsheets open it; a BOM so accents survive Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else _safe(str(v)) for v in row] for row in rows])
    return "\ufeff" + buffer.getvalue()


def _safe(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


async def daily_list_csv(p: Planning, day: date) -> str:
    listing = await daily_list(p, day)
    rows = [
        [day.strftime("%d/%m/%Y"), a.name, c.last_name, c.first_name, c.school, c.level, _presence(c.attendance)]
        for a in listing.activities
        for c in a.children
    ]
    return _csv(["Date", "Activité", "Nom", "Prénom", "École", "Niveau", "Pointage"], rows)


def _presence(status: str | None) -> str:
    return {"present": "Présent", "absent": "Absent"}.get(status or "", "")


async def month_reservations_csv(p: Planning, month: Month) -> str:
    async with UnitOfWork(p.pool) as uow:
        rows = await uow.reservations.month_list(month.first_day, month.last_day)
        activities = await uow.activities.many(sorted({r["activity_id"] for r in rows}))
    return _csv(
        ["Date", "Activité", "Nom", "Prénom", "École", "Niveau", "Paiement"],
        [
            [
                r["day"].strftime("%d/%m/%Y"),
                activities[r["activity_id"]].display_name,
                r["last_name"],
                r["first_name"],
                r["school"],
                r["level"],
                r["payment_id"],
            ]
            for r in rows
        ],
    )
