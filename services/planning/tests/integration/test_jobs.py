"""The jobs run by themselves in the service: expiry of held baskets, the weekly reminder."""

from __future__ import annotations

from datetime import timedelta

# Wednesday 25/11 10:00 (the harness's clock) is past « Wednesday 09:00 »: the reminder is due.
SETTINGS_OVERRIDES = {
    "expiry_interval_seconds": 0.2,
    "reminder_weekday": 3,
    "reminder_at": "09:00",
    "reminder_interval_seconds": 0.2,
}


async def test_the_expiry_job_frees_a_basket_once_its_hold_is_over(harness, family):
    await harness.put_month(family, {"cantine": ["2026-12-01"]})
    answer = await (await harness.checkout(family)).json()
    assert (await harness.places("cantine", "2026-12-01"))["held"] == 1
    harness.clock.now += timedelta(minutes=harness.settings.basket_hold_minutes)
    await harness.wait_published("planning.basket.expired", basket_id=answer["basket_id"])
    assert (await harness.places("cantine", "2026-12-01"))["held"] == 0


async def test_the_reminder_job_tells_a_family_with_nothing_booked(harness, family):
    (reminder,) = await harness.wait_published("planning.booking_reminder.due", dossier_id=family.dossier_id)
    assert reminder["week_starts_on"] == "2026-11-30" and reminder["children"] == [{"first_name": "Arthur"}]
