"""« Nothing booked next week »: a reminder per family and week (Friday 18:00 by default).

The job publishes ``planning.booking_reminder.due``; messaging writes the e-mail. A family
gets one when an enrolled child has nothing booked in the coming week although at least
one day of it is still bookable for that child (the activity runs, the month is open, the
deadline has not passed). ``booking_reminders`` remembers who was told, so a restart or
a second replica never sends it twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from ..domain import PARIS
from ..events import BookingReminderDue, ReminderChild
from ..store import UnitOfWork
from .deps import Planning
from .rules import booking_rules


def next_week(now: datetime) -> date:
    """The Monday after ``now`` (Paris); on a Monday, the Monday a week later."""
    today = now.astimezone(PARIS).date()
    return today + timedelta(days=7 - today.weekday())


def reminder_due(now: datetime, weekday: int, at: time) -> bool:
    """True from this week's ``weekday`` (ISO, 5 = Friday) at ``at`` (Paris) to the end of Sunday."""
    local = now.astimezone(PARIS)
    due_day = local.date() + timedelta(days=weekday - local.isoweekday())
    return local >= datetime.combine(due_day, at, tzinfo=PARIS)


async def send_booking_reminders(p: Planning, now: datetime | None = None) -> int:
    """Publish the reminders due for next week; returns how many families were told."""
    now = now or p.now()
    monday = next_week(now)
    days = [monday + timedelta(days=i) for i in range(7)]
    sent = 0
    async with UnitOfWork(p.pool) as uow:
        rules = await booking_rules(uow, days[0], days[-1])
        activities = {a.id: a for a in await uow.activities.running_between(days[0], days[-1])}
        families: dict = defaultdict(list)
        deadlines: dict = {}
        for row in await uow.reminders.enrolled_children(days[0], days[-1]):
            if row["booked"]:
                continue
            open_days = [
                day
                for activity_id in row["activities"]
                if (activity := activities.get(activity_id)) is not None
                for day in days
                if rules.calendar.runs(activity, day).runs
                and rules.windows.is_open_on(day)
                and rules.deadlines.can_book(day, now)
            ]
            if open_days:
                families[row["dossier_id"]].append(row["first_name"])
                first = min(rules.deadlines.booking_deadline(d) for d in open_days)
                deadlines[row["dossier_id"]] = min(first, deadlines.get(row["dossier_id"], first))
        for dossier_id, names in families.items():
            if not await uow.reminders.claim(dossier_id, monday):
                continue
            await uow.publish(
                BookingReminderDue(
                    dossier_id=dossier_id,
                    week_starts_on=monday,
                    deadline_at=deadlines[dossier_id],
                    children=[ReminderChild(first_name=n) for n in names],
                )
            )
            sent += 1
        await uow.commit()
    return sent
