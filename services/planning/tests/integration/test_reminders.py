"""« Nothing booked next week »: one reminder per family and week, while it can still be booked."""

from __future__ import annotations

from datetime import datetime, timedelta

from planning.domain import PARIS
from planning.service.reminders import send_booking_reminders
from planning.web import planning_of_app

FRIDAY_18H = datetime(2026, 11, 27, 18, 0, tzinfo=PARIS)


async def test_families_with_nothing_booked_next_week_are_reminded_once(harness):
    nothing = await harness.make_family()
    booked = await harness.make_family(first_name="Léa")
    await harness.book_and_pay(booked, {"cantine": ["2026-12-01"]})
    not_enrolled = await harness.make_family(enrol=())
    p = planning_of_app(harness.client.app)

    assert await send_booking_reminders(p, FRIDAY_18H) >= 1
    (reminder,) = await harness.wait_published("planning.booking_reminder.due", dossier_id=nothing.dossier_id)
    assert reminder["week_starts_on"] == "2026-11-30" and reminder["children"] == [{"first_name": "Arthur"}]
    assert datetime.fromisoformat(reminder["deadline_at"]) == datetime(2026, 11, 29, 21, 0, tzinfo=PARIS)
    assert harness.published("planning.booking_reminder.due", dossier_id=booked.dossier_id) == []
    assert harness.published("planning.booking_reminder.due", dossier_id=not_enrolled.dossier_id) == []

    # again (a restart, a second replica, the next round): nothing new
    assert await send_booking_reminders(p, FRIDAY_18H + timedelta(minutes=5)) == 0
    assert await harness.count("booking_reminders", "dossier_id = $1", nothing.dossier_id) == 1

    # once the week's deadline has passed, nobody is told to book it
    late = await harness.make_family()
    assert await send_booking_reminders(p, FRIDAY_18H + timedelta(days=2, hours=3)) == 0
    assert await harness.count("booking_reminders", "dossier_id = $1", late.dossier_id) == 0
