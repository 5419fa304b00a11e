"""The demo data: made through the use cases, idempotent, refused in production."""

from __future__ import annotations

from datetime import date

import pytest
from planning import demo
from planning.app import SPEC, PlanningSettings
from servicekit.db import create_pool, migrate

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
async def demo_db(make_database):
    dsn = await make_database("planning_demo")
    await migrate(dsn, SPEC.migrations)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    yield pool
    await pool.close()


async def test_demo_family_is_booked_and_a_second_run_changes_nothing(demo_db):
    settings = PlanningSettings(environment="development")
    await demo.load(demo_db, settings, today=TODAY)
    names = [r["name"] for r in await demo_db.fetch("SELECT name FROM activities ORDER BY starts_at, name")]
    assert names == ["ALSH Mercredi (7h à 19h)", "Périscolaire matin (7h à 8h30)", "Cantine (11h30 à 13h30)"]
    alsh = await demo_db.fetchrow(
        "SELECT weekdays, holiday_weekdays, capacity FROM activities WHERE code = 'alsh_mercredi'"
    )
    assert (list(alsh["weekdays"]), list(alsh["holiday_weekdays"]), alsh["capacity"]) == ([3], [1, 2, 3, 4, 5], 48)
    ids = {r["code"]: r["id"] for r in await demo_db.fetch("SELECT id, code FROM activities")}
    assert ids == {code: demo.demo_activity_id("2026/2027", code) for code in ids}
    arthur = await demo_db.fetchrow("SELECT * FROM children WHERE child_id = $1", demo.ARTHUR)
    assert (arthur["dossier_id"], arthur["first_name"], arthur["level"]) == (demo.DOSSIER_404, "Arthur", "CE2")
    assert await demo_db.fetchval("SELECT count(*) FROM enrolments WHERE child_id = $1", demo.ARTHUR) == 3
    assert [r["month"] for r in await demo_db.fetch("SELECT month FROM open_months ORDER BY month")] == [
        date(2026, 11, 1),
        date(2026, 12, 1),
    ]
    booked = await demo_db.fetch(
        "SELECT day, payment_id FROM reservations WHERE dossier_id = $1 AND status = 'confirmed' ORDER BY day",
        demo.DOSSIER_404,
    )
    # the first bookable canteen days: 30/11 (this week is past its deadline), then 3 in December
    assert [r["day"] for r in booked] == [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 4)]
    assert {r["payment_id"] for r in booked} == {demo.DEMO_PAYMENT}
    confirmed = await demo_db.fetchval("SELECT sum(confirmed) FROM day_places")
    assert confirmed == 4 and await demo_db.fetchval("SELECT sum(held) FROM day_places") == 0
    outbox = [r["type"] for r in await demo_db.fetch("SELECT event_type AS type FROM outbox")]
    assert outbox.count("planning.activity.created") == 3 and outbox.count("planning.reservations.confirmed") == 1

    await demo.load(demo_db, settings, today=TODAY)
    assert await demo_db.fetchval("SELECT count(*) FROM reservations") == 4
    assert await demo_db.fetchval("SELECT count(*) FROM activities") == 3
    assert await demo_db.fetchval("SELECT sum(confirmed) FROM day_places") == 4


async def test_demo_data_refuses_production(demo_db):
    with pytest.raises(RuntimeError):
        await demo.load(demo_db, PlanningSettings(environment="production", identity_secret="x" * 40), today=TODAY)
