"""The parents' reads keep staff's rules in memory (service.reads.StaffRules): every staff
change must still be seen by the very next read — made through this process's API or
straight in the database by another process — and nothing else may be served stale."""

from __future__ import annotations

import pytest
from planning.schemas.parent import MonthOut

ADMIN = "/api/planning/admin"
DAY = "2026-12-07"  # a Monday: the canteen runs


async def cantine_day(harness, family, day: str = DAY) -> dict:
    return (await harness.grid(family))["cantine"][day]


async def test_each_staff_change_is_seen_by_the_next_grid(harness, family):
    assert (await cantine_day(harness, family))["state"] == "bookable"  # the rules are now in memory
    cantine = str(harness.activities["cantine"])

    r = await harness.client.post(
        ADMIN + "/closures",
        json={"activity_id": cantine, "from": DAY, "to": DAY, "label": "Grève"},
        headers=harness.staff,
    )
    assert r.status == 201
    assert (await cantine_day(harness, family))["label"] == "Grève"

    r = await harness.client.put(ADMIN + "/months/2026-12", json={"open": False}, headers=harness.staff)
    assert r.status == 200
    assert (await cantine_day(harness, family, "2026-12-08"))["reason"] == "month_closed"
    await harness.client.put(ADMIN + "/months/2026-12", json={"open": True}, headers=harness.staff)
    assert (await cantine_day(harness, family, "2026-12-08"))["state"] == "bookable"

    r = await harness.client.put(
        ADMIN + "/deadline-rule",
        json={"booking": {"anchor": "day", "days_before": 20, "at": "10:00"}, "cancellation": None},
        headers=harness.staff,
    )
    assert r.status == 200
    try:
        assert (await cantine_day(harness, family, "2026-12-08"))["state"] == "locked"
    finally:
        await harness.client.put(ADMIN + "/deadline-rule", json={"booking": {}}, headers=harness.staff)
    assert (await cantine_day(harness, family, "2026-12-08"))["state"] == "bookable"

    r = await harness.client.post(
        ADMIN + "/school-holidays",
        json={"school_year": "2026/2027", "from": "2026-12-10", "to": "2026-12-10", "label": "Pont"},
        headers=harness.staff,
    )
    assert r.status == 201
    assert (await cantine_day(harness, family, "2026-12-10"))["reason"] == "school_holiday"


async def test_a_change_made_by_another_process_is_seen_by_the_next_read(harness, family):
    grid = await harness.grid(family)
    listed = await (await harness.client.get("/api/planning/activities")).json()
    cantine = harness.activities["cantine"]
    name = next(a["name"] for a in listed["activities"] if a["id"] == str(cantine))
    assert grid["cantine"]["2026-12-14"]["places_left"] == 120

    # Another replica's staff change: straight in the database, on another connection.
    await harness.db.execute(
        "UPDATE activities SET name = 'Cantine (12h à 13h30)', capacity = 3 WHERE id = $1", cantine
    )
    try:
        listed = await (await harness.client.get("/api/planning/activities")).json()
        assert next(a["name"] for a in listed["activities"] if a["id"] == str(cantine)).endswith(
            "Cantine (12h à 13h30)"
        )
        r = await harness.client.get(harness.month_path(family), headers=family.headers)
        body = await r.json()
        row = next(a for a in body["activities"] if a["id"] == str(cantine))
        assert row["name"].endswith("Cantine (12h à 13h30)")
        assert next(d for d in row["days"] if d["date"] == "2026-12-14")["places_left"] == 3

        await harness.db.execute("DELETE FROM open_months WHERE month = '2026-12-01'")
        assert (await cantine_day(harness, family, "2026-12-14"))["reason"] == "month_closed"
    finally:
        await harness.db.execute(
            "UPDATE activities SET name = $2, capacity = 120 WHERE id = $1", cantine, name.split(" - ", 1)[1]
        )
        await harness.db.execute("INSERT INTO open_months (month) VALUES ('2026-12-01') ON CONFLICT DO NOTHING")
    assert (await cantine_day(harness, family, "2026-12-14"))["state"] == "bookable"


async def test_the_version_moves_with_the_change_itself(harness):
    """Bumped in the change's own transaction: not before it commits, not at all if it rolls back."""
    before = await harness.db.fetchval("SELECT version FROM rules_version")
    async with harness.db.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("INSERT INTO open_months (month) VALUES ('2027-06-01')")
        assert await conn.fetchval("SELECT version FROM rules_version") == before + 1
        assert await harness.db.fetchval("SELECT version FROM rules_version") == before  # not committed yet
        await tx.rollback()
    assert await harness.db.fetchval("SELECT version FROM rules_version") == before
    for statement in (
        "INSERT INTO closures (activity_id, starts_on, ends_on, label) VALUES (NULL, '2027-06-01', '2027-06-01', 'x')",
        "DELETE FROM closures WHERE label = 'x'",
        "UPDATE deadline_rule SET updated_at = now()",
        "UPDATE school_years SET ends_on = ends_on",
        "UPDATE school_holidays SET label = label",
    ):
        version = await harness.db.fetchval("SELECT version FROM rules_version")
        await harness.db.execute(statement)
        assert await harness.db.fetchval("SELECT version FROM rules_version") == version + 1, statement


@pytest.mark.parametrize("month", ["2026-12", "2027-01"])
async def test_a_booking_is_seen_at_once_it_is_not_a_rule(harness, family, month):
    """A family's own state (its basket here) is read with every grid, never kept."""
    first = "2026-12-01" if month == "2026-12" else "2027-01-05"
    assert (await harness.grid(family, month))["cantine"][first]["state"] == "bookable"
    r = await harness.put_month(family, {"cantine": [first]}, month)
    assert r.status == 200, await r.text()
    grid = await harness.grid(family, month)
    assert grid["cantine"][first]["state"] == "pending"
    r = await harness.client.get(harness.month_path(family, month), headers=family.headers)
    raw = await r.read()
    assert (await r.json())["basket"]["lines"] == 1
    # Built from plain values, it is byte for byte what the documented model would answer.
    assert MonthOut.model_validate_json(raw).model_dump_json().encode() == raw
    r = await harness.checkout(family)  # « Payer »: the basket now expires at a given time
    assert r.status == 200, await r.text()
    raw = await (await harness.client.get(harness.month_path(family, month), headers=family.headers)).read()
    assert MonthOut.model_validate_json(raw).basket.expires_at is not None
    assert MonthOut.model_validate_json(raw).model_dump_json().encode() == raw


async def test_a_kept_grid_follows_the_clock_across_deadlines(harness, family):
    """A rendered grid is kept only between two of the month's deadlines, whichever way the clock goes."""
    start = harness.clock.now  # Wednesday 25/11 10:00: 01/12 can be booked until Sunday 29/11 21:00
    try:
        assert (await cantine_day(harness, family, "2026-12-01"))["state"] == "bookable"
        harness.clock.now = start.replace(day=29, hour=20, minute=59)
        assert (await cantine_day(harness, family, "2026-12-01"))["state"] == "bookable"
        harness.clock.now = start.replace(day=29, hour=21, minute=0)
        assert (await cantine_day(harness, family, "2026-12-01"))["state"] == "locked"
        harness.clock.now = start
        assert (await cantine_day(harness, family, "2026-12-01"))["state"] == "bookable"
    finally:
        harness.clock.now = start


# --- « Valider » checks its days against the same kept rules ------------------------------


async def test_valider_checks_the_days_against_the_rules_as_they_are_now(harness, family):
    """« Valider » reads the child's month in one statement with ``rules_version`` and takes
    the rules from memory: a staff change made elsewhere (straight in the database) is
    still enforced by the very next « Valider »."""
    cantine, day = harness.activities["cantine"], "2026-12-15"
    assert (await cantine_day(harness, family, day))["state"] == "bookable"  # the rules are now in memory
    r = await harness.put_month(family, {"cantine": [day]})
    assert r.status == 200, await r.text()
    r = await harness.put_month(family, {"cantine": []})  # back to nothing
    assert r.status == 200, await r.text()

    await harness.db.execute("DELETE FROM open_months WHERE month = '2026-12-01'")
    try:
        r = await harness.put_month(family, {"cantine": [day]})
        assert r.status == 422, await r.text()
        assert [(d["date"], d["code"]) for d in (await r.json())["days"]] == [(day, "month_closed")]
    finally:
        await harness.db.execute("INSERT INTO open_months (month) VALUES ('2026-12-01') ON CONFLICT DO NOTHING")

    # A day without places taken yet is as full as its activity's capacity says.
    await harness.db.execute("UPDATE activities SET capacity = 0 WHERE id = $1", cantine)
    try:
        r = await harness.put_month(family, {"cantine": [day]})
        assert r.status == 422, await r.text()
        assert [(d["date"], d["code"]) for d in (await r.json())["days"]] == [(day, "day_full")]
    finally:
        await harness.db.execute("UPDATE activities SET capacity = 120 WHERE id = $1", cantine)
    r = await harness.put_month(family, {"cantine": [day]})
    assert r.status == 200, await r.text()
    assert [c["label"] for c in (await r.json())["changes"]] == ["Arthur - 2026/2027 - Cantine (11h30 à 13h30)"]


async def test_valider_in_one_month_keeps_the_basket_lines_of_another(harness, family):
    """The whole basket is read with the month (its version and every line): validating
    January leaves December's pending days in it, and a stale version is still refused."""
    r = await harness.put_month(family, {"cantine": ["2026-12-01"]})
    assert r.status == 200, await r.text()
    r = await harness.put_month(family, {"cantine": ["2027-01-05"]}, "2027-01")
    assert r.status == 200, await r.text()
    assert [c["date"] for c in (await r.json())["changes"]] == ["2027-01-05"]
    basket = await (await harness.client.get("/api/planning/basket", headers=family.headers)).json()
    assert [line["date"] for line in basket["lines"]] == ["2026-12-01", "2027-01-05"]
    assert (await harness.grid(family))["cantine"]["2026-12-01"]["state"] == "pending"
