"""Staff configuration: school years, activities, school-holiday periods, open months and
the deadline rule (closures: service/closures.py)."""

from __future__ import annotations

import uuid

from ..domain import (
    Activity,
    Calendar,
    DeadlinePolicy,
    DeadlineRule,
    Invalid,
    Month,
    Period,
    SchoolYear,
)
from ..events import ActivityCreated, ActivityUpdated
from ..schemas import admin as s
from ..store import UnitOfWork
from ..store.catalog import Activities, hhmm
from .deps import Planning
from .errors import ActivityNotFound, DuplicateActivity, UnknownSchoolYear


def year_out(year_id, year: SchoolYear) -> s.SchoolYearOut:
    return s.SchoolYearOut(id=year_id, label=year.label, starts_on=year.starts_on, ends_on=year.ends_on)


async def create_school_year(p: Planning, cmd: s.SchoolYearIn) -> tuple[s.SchoolYearOut, bool]:
    year = SchoolYear.from_label(cmd.label, cmd.starts_on, cmd.ends_on)
    async with UnitOfWork(p.pool) as uow:
        year_id, created = await uow.years.add(year)
        _, stored = await uow.years.find(year.label)
        await uow.commit()
    return year_out(year_id, stored), created


async def school_years(p: Planning) -> s.SchoolYearList:
    async with UnitOfWork(p.pool) as uow:
        rows = await uow.years.all()
    return s.SchoolYearList(school_years=[s.SchoolYearOut(**dict(r)) for r in rows])


def _described(a: Activity) -> dict:
    """What both the staff API and the activity events say of an activity."""
    return {
        "school_year": a.school_year.label,
        "code": a.code,
        "name": a.name,
        "display_name": a.display_name,
        "weekdays": sorted(a.weekdays),
        "holiday_weekdays": sorted(a.holiday_weekdays),
        "capacity": a.capacity,
    }


def activity_out(a: Activity) -> s.ActivityOut:
    return s.ActivityOut(
        id=a.id,
        **_described(a),
        starts_at=hhmm(a.starts_at),
        ends_at=hhmm(a.ends_at),
        min_age=a.min_age,
        max_age=a.max_age,
        levels=sorted(a.levels) if a.levels is not None else None,
    )


def _activity_event(cls, a: Activity):
    return cls(activity_id=a.id, **_described(a))


def _activity(activity_id, year: SchoolYear, code: str, cmd: s.ActivityIn | s.ActivityUpdate) -> Activity:
    return Activity(
        id=activity_id,
        school_year=year,
        code=code,
        name=cmd.name,
        weekdays=cmd.weekdays,
        starts_at=s.parse_hhmm(cmd.starts_at),
        ends_at=s.parse_hhmm(cmd.ends_at),
        capacity=cmd.capacity,
        holiday_weekdays=cmd.holiday_weekdays,
        min_age=cmd.min_age,
        max_age=cmd.max_age,
        levels=frozenset(cmd.levels) if cmd.levels is not None else None,
    )


async def create_activity(p: Planning, cmd: s.ActivityIn, *, activity_id: uuid.UUID | None = None) -> s.ActivityOut:
    """A school year named by its label is made with its default dates when it is new.

    ``activity_id`` is for the demo loader only (billing's demo prices the same ids); the
    HTTP schema has no such field.
    """
    async with UnitOfWork(p.pool) as uow:
        year_id, _ = await uow.years.add(SchoolYear.from_label(cmd.school_year))
        _, year = await uow.years.find(cmd.school_year)
        activity = _activity(activity_id or uuid.uuid4(), year, cmd.code, cmd)
        if not await uow.activities.add(year_id, activity):
            raise DuplicateActivity()
        await uow.publish(_activity_event(ActivityCreated, activity))
        await uow.commit()
    return activity_out(activity)


async def update_activity(p: Planning, activity_id: uuid.UUID, cmd: s.ActivityUpdate) -> s.ActivityOut:
    """Capacity applies from today on to days already counted (places already taken stay)."""
    async with UnitOfWork(p.pool) as uow:
        current = await uow.activities.get(activity_id, lock=True)
        if current is None:
            raise ActivityNotFound()
        activity = _activity(activity_id, current.school_year, current.code, cmd)
        await uow.activities.update(activity)
        await uow.places.set_capacity(activity_id, activity.capacity, p.now().date())
        await uow.publish(_activity_event(ActivityUpdated, activity))
        await uow.commit()
    return activity_out(activity)


async def activities(p: Planning, school_year: str | None) -> s.AdminActivityList:
    # A read (the public list is on every visitor's path): one SELECT on a pooled
    # connection, no unit of work and its BEGIN/COMMIT round trips.
    async with p.pool.acquire() as conn:
        found = await Activities(conn).of_year(school_year)
    return s.AdminActivityList(activities=[activity_out(a) for a in found])


async def add_school_holiday(p: Planning, cmd: s.SchoolHolidayIn) -> s.SchoolHolidayOut:
    period = Period(cmd.from_, cmd.to, cmd.label)
    async with UnitOfWork(p.pool) as uow:
        found = await uow.years.find(cmd.school_year)
        if found is None:
            raise UnknownSchoolYear()
        year_id, year = found
        if not (year.contains(period.start) and year.contains(period.end)):
            raise Invalid("period_outside_school_year", "La période doit être comprise dans l'année scolaire.")
        period_id = await uow.calendars.add_school_holiday(year_id, period)
        await uow.commit()
    return s.SchoolHolidayOut(id=period_id, from_=period.start, to=period.end, label=period.label, official=False)


async def school_holidays(p: Planning, label: str) -> s.SchoolHolidayList:
    """The periods in force: the zone's official ones and staff's."""
    async with UnitOfWork(p.pool) as uow:
        found = await uow.years.find(label)
        if found is None:
            raise UnknownSchoolYear()
        year_id, year = found
        staff = await uow.calendars.school_holidays(year_id)
    try:
        official = Calendar.for_school_year(year).school_holidays
    except Invalid:
        official = ()
    periods = [s.SchoolHolidayOut(id=None, from_=o.start, to=o.end, label=o.label, official=True) for o in official]
    periods += [
        s.SchoolHolidayOut(id=r["id"], from_=r["starts_on"], to=r["ends_on"], label=r["label"], official=False)
        for r in staff
    ]
    return s.SchoolHolidayList(school_year=label, periods=sorted(periods, key=lambda x: x.from_))


async def set_month(p: Planning, month: Month, is_open: bool) -> s.MonthOut:
    async with UnitOfWork(p.pool) as uow:
        await uow.calendars.set_month(month, is_open)
        await uow.commit()
    return s.MonthOut(month=str(month), open=is_open)


async def open_months(p: Planning) -> s.MonthList:
    async with UnitOfWork(p.pool) as uow:
        windows = await uow.calendars.windows()
    return s.MonthList(open_months=[str(m) for m in sorted(windows.open_months)])


def _rule_out(rule: DeadlineRule) -> s.RuleOut:
    return s.RuleOut(anchor=rule.anchor, days_before=rule.days_before, at=hhmm(rule.at), description=rule.describe())


def deadline_out(policy: DeadlinePolicy) -> s.DeadlineOut:
    return s.DeadlineOut(
        booking=_rule_out(policy.booking),
        cancellation=_rule_out(policy.cancellation) if policy.cancellation else None,
    )


async def deadline(p: Planning) -> s.DeadlineOut:
    async with UnitOfWork(p.pool) as uow:
        return deadline_out(await uow.calendars.deadlines())


async def set_deadline(p: Planning, cmd: s.DeadlineIn) -> s.DeadlineOut:
    def rule(r: s.Rule) -> DeadlineRule:
        return DeadlineRule(r.anchor, r.days_before, s.parse_hhmm(r.at))

    policy = DeadlinePolicy(rule(cmd.booking), rule(cmd.cancellation) if cmd.cancellation else None)
    async with UnitOfWork(p.pool) as uow:
        await uow.calendars.set_deadlines(policy)
        await uow.commit()
    return deadline_out(policy)
