"""The staff API: configuration, enrolments, daily lists, attendance, exports."""

from __future__ import annotations

import uuid
from datetime import timedelta

from servicekit.testing import eventually

ADMIN = "/api/planning/admin"


async def test_only_planning_staff_reach_the_admin_api(harness, family):
    from_parent = await harness.client.get(ADMIN + "/activities", headers=family.headers)
    assert from_parent.status == 403 and (await from_parent.json())["title"].startswith("Vous n'avez pas les droits")
    assert (await harness.client.get(ADMIN + "/activities")).status == 401
    r = await harness.client.post(ADMIN + "/enrolments", json={}, headers=family.headers)
    assert r.status == 403


async def test_school_years_and_activities(harness):
    r = await harness.client.post(
        ADMIN + "/school-years", json={"label": "2027/2028", "ends_on": "2028-08-31"}, headers=harness.staff
    )
    assert r.status == 201 and (await r.json())["starts_on"] == "2027-09-01"
    again = await harness.client.post(ADMIN + "/school-years", json={"label": "2027/2028"}, headers=harness.staff)
    assert again.status == 200 and (await again.json())["ends_on"] == "2028-08-31"
    years = (await (await harness.client.get(ADMIN + "/school-years", headers=harness.staff)).json())["school_years"]
    assert [y["label"] for y in years] == ["2026/2027", "2027/2028"]

    body = {
        "school_year": "2027/2028",
        "code": "peri_soir",
        "name": "Périscolaire soir (16h30 à 19h)",
        "weekdays": [1, 2, 4, 5],
        "starts_at": "16:30",
        "ends_at": "19:00",
        "capacity": 60,
        "min_age": 3,
        "levels": ["CP", "CE1"],
    }
    r = await harness.client.post(ADMIN + "/activities", json=body, headers=harness.staff)
    assert r.status == 201
    created = await r.json()
    assert created["display_name"] == "2027/2028 - Périscolaire soir (16h30 à 19h)" and created["levels"] == [
        "CE1",
        "CP",
    ]
    (event,) = await harness.wait_published("planning.activity.created", activity_id=created["id"])
    assert (event["school_year"], event["code"], event["display_name"]) == (
        "2027/2028",
        "peri_soir",
        created["display_name"],
    )
    duplicate = await harness.client.post(ADMIN + "/activities", json=body, headers=harness.staff)
    assert duplicate.status == 409 and (await duplicate.json())["type"].endswith("/activity_exists")

    update = {k: v for k, v in body.items() if k not in ("school_year", "code")} | {"capacity": 80}
    r = await harness.client.put(f"{ADMIN}/activities/{created['id']}", json=update, headers=harness.staff)
    assert r.status == 200 and (await r.json())["capacity"] == 80
    (updated,) = await harness.wait_published("planning.activity.updated", activity_id=created["id"])
    assert updated["capacity"] == 80
    r = await harness.client.put(f"{ADMIN}/activities/{uuid.uuid4()}", json=update, headers=harness.staff)
    assert r.status == 404

    listed = await (await harness.client.get(ADMIN + "/activities?school_year=2027/2028", headers=harness.staff)).json()
    assert [a["code"] for a in listed["activities"]] == ["peri_soir"]

    for bad in (
        {"weekdays": [0, 8]},
        {"starts_at": "19:00", "ends_at": "16:30"},
        {"starts_at": "25:00"},
        {"capacity": -1},
        {"school_year": "2027-2028"},
        {"levels": ["CM3"]},
        {"min_age": 10, "max_age": 6},
        {"weekdays": [], "holiday_weekdays": []},
    ):
        r = await harness.client.post(ADMIN + "/activities", json=body | {"code": "x"} | bad, headers=harness.staff)
        assert r.status == 422, (bad, await r.text())
        problem = await r.json()
        assert r.content_type == "application/problem+json" and problem["title"]


async def test_months_closures_school_holidays_and_the_deadline_shape_the_grid(harness, family):
    cantine = str(harness.activities["cantine"])
    r = await harness.client.post(
        ADMIN + "/closures",
        json={"activity_id": cantine, "from": "2026-12-07", "to": "2026-12-08", "label": "Grève"},
        headers=harness.staff,
    )
    assert r.status == 201 and (await r.json())["from"] == "2026-12-07"
    r = await harness.client.post(
        ADMIN + "/closures",
        json={"activity_id": None, "from": "2026-12-18", "to": "2026-12-18", "label": "Sortie"},
        headers=harness.staff,
    )
    assert r.status == 201
    listed = await (
        await harness.client.get(ADMIN + "/closures?from=2026-12-01&to=2026-12-31", headers=harness.staff)
    ).json()
    assert [c["label"] for c in listed["closures"]] == ["Grève", "Sortie"]
    for bad in (
        {"activity_id": cantine, "from": "2026-12-09", "to": "2026-12-08", "label": "x"},
        {"activity_id": cantine, "from": "2026-12-09", "label": "x"},
    ):
        assert (await harness.client.post(ADMIN + "/closures", json=bad, headers=harness.staff)).status == 422
    unknown = {"activity_id": str(uuid.uuid4()), "from": "2026-12-09", "to": "2026-12-09", "label": "x"}
    assert (await harness.client.post(ADMIN + "/closures", json=unknown, headers=harness.staff)).status == 404

    r = await harness.client.post(
        ADMIN + "/school-holidays",
        json={"school_year": "2026/2027", "from": "2026-12-11", "to": "2026-12-11", "label": "Pont"},
        headers=harness.staff,
    )
    assert r.status == 201
    periods = (
        await (await harness.client.get(ADMIN + "/school-holidays?school_year=2026/2027", headers=harness.staff)).json()
    )["periods"]
    assert any(p["official"] and p["label"] == "Vacances de Noël" for p in periods)
    assert any(not p["official"] and p["label"] == "Pont" for p in periods)

    grid = await harness.grid(family)
    assert (grid["cantine"]["2026-12-07"]["state"], grid["cantine"]["2026-12-07"]["label"]) == ("closed", "Grève")
    assert grid["alsh"]["2026-12-09"]["state"] == "bookable"  # the canteen's strike closes only the canteen
    assert grid["alsh"]["2026-12-18"]["label"] == "Sortie"
    assert (
        grid["cantine"]["2026-12-11"]["reason"] == "school_holiday"
        and grid["alsh"]["2026-12-11"]["state"] == "bookable"
    )

    r = await harness.client.put(ADMIN + "/months/2026-12", json={"open": False}, headers=harness.staff)
    assert r.status == 200 and await r.json() == {"month": "2026-12", "open": False}
    assert (await harness.grid(family))["cantine"]["2026-12-01"]["reason"] == "month_closed"
    months = await (await harness.client.get(ADMIN + "/months", headers=harness.staff)).json()
    assert months["open_months"] == ["2027-01"]
    await harness.client.put(ADMIN + "/months/2026-12", json={"open": True}, headers=harness.staff)
    assert (
        await harness.client.put(ADMIN + "/months/2026-13", json={"open": True}, headers=harness.staff)
    ).status == 422

    rule = await (await harness.client.get(ADMIN + "/deadline-rule", headers=harness.staff)).json()
    assert rule["booking"] == {
        "anchor": "week",
        "days_before": 1,
        "at": "21:00",
        "description": "le dimanche précédant la semaine, à 21h00",
    }
    assert rule["cancellation"] is None
    r = await harness.client.put(
        ADMIN + "/deadline-rule",
        json={"booking": {"anchor": "day", "days_before": 2, "at": "10:00"}, "cancellation": None},
        headers=harness.staff,
    )
    assert r.status == 200 and (await r.json())["booking"]["description"] == "2 jours avant, à 10h00"
    try:
        grid = await harness.grid(family)  # Wednesday 25/11 10:00: Friday 27/11 closed at 10:00 → 01/12 still open
        assert grid["cantine"]["2026-12-01"]["state"] == "bookable"
        harness.clock.now = harness.clock.now.replace(day=29, hour=11)
        assert (await harness.grid(family))["cantine"]["2026-12-01"]["state"] == "locked"
        assert (await harness.grid(family))["cantine"]["2026-12-03"]["state"] == "bookable"
    finally:
        await harness.client.put(ADMIN + "/deadline-rule", json={"booking": {}}, headers=harness.staff)
    bad = {"booking": {"anchor": "month", "days_before": 1, "at": "21:00"}}
    assert (await harness.client.put(ADMIN + "/deadline-rule", json=bad, headers=harness.staff)).status == 422


async def test_enrolments_need_a_child_known_from_accounts(harness, family):
    unknown = {"child_id": str(uuid.uuid4()), "activity_id": str(harness.activities["cantine"])}
    r = await harness.client.post(ADMIN + "/enrolments", json=unknown, headers=harness.staff)
    assert r.status == 404 and (await r.json())["title"] == "Cet enfant n'existe pas."
    r = await harness.client.post(
        ADMIN + "/enrolments",
        json={"child_id": str(family.child_id), "activity_id": str(uuid.uuid4())},
        headers=harness.staff,
    )
    assert r.status == 404
    listed = await (
        await harness.client.get(f"{ADMIN}/enrolments?child_id={family.child_id}", headers=harness.staff)
    ).json()
    assert len(listed["enrolments"]) == 2 and listed["enrolments"][0]["first_name"] == "Arthur"

    # accounts.child.updated refreshes the copy; an older event arriving late changes nothing
    newer = await harness.child_event(family, "accounts.child.updated", first_name="Arthur-Louis", level="CM1")

    async def renamed():
        return (
            await harness.db.fetchval("SELECT first_name FROM children WHERE child_id = $1", family.child_id)
            == "Arthur-Louis"
        )

    await eventually(renamed)
    older = await harness.child_event(family, "accounts.child.updated", first_name="Ancien")
    await harness.db.execute(
        "UPDATE children SET source_at = $2 WHERE child_id = $1",
        family.child_id,
        newer.occurred_at + timedelta(hours=1),
    )

    async def handled():
        return await harness.count("inbox", "event_id = $1", older.id) == 1

    await eventually(handled)
    assert (
        await harness.db.fetchval("SELECT first_name FROM children WHERE child_id = $1", family.child_id)
        == "Arthur-Louis"
    )


async def test_daily_list_attendance_and_exports(harness):
    a = await harness.make_family(school="École Jules Ferry", level="CE2")
    b = await harness.make_family(school="École Jules Ferry", level="CM1", first_name="Léa", last_name="Martin")
    c = await harness.make_family(school="École Pasteur", level="CP", first_name="Zoé", last_name="=cmd")
    for fam in (a, b, c):
        await harness.book_and_pay(fam, {"cantine": ["2026-12-03"]})
    pending = await harness.make_family()
    await harness.put_month(pending, {"cantine": ["2026-12-03"]})  # not paid: not on the list

    listing = await (await harness.client.get(ADMIN + "/daily-lists?date=2026-12-03", headers=harness.staff)).json()
    assert listing["date"] == "2026-12-03" and listing["meals"] >= 3
    cantine = next(x for x in listing["activities"] if x["activity_id"] == str(harness.activities["cantine"]))
    mine = {str(f.child_id) for f in (a, b, c)}
    listed = [x for x in cantine["children"] if x["child_id"] in mine]
    assert len(listed) == 3 and str(pending.child_id) not in {x["child_id"] for x in cantine["children"]}
    assert cantine["count"] == len(cantine["children"]) and cantine["capacity"] == 120
    assert str(harness.activities["alsh"]) not in {x["activity_id"] for x in listing["activities"]}  # not on Thursdays
    groups = {(g["school"], g["level"]): g["count"] for g in cantine["groups"]}
    assert groups[("École Pasteur", "CP")] >= 1 and groups[("École Jules Ferry", "CM1")] >= 1
    assert (await harness.client.get(ADMIN + "/daily-lists?date=2026-02-30", headers=harness.staff)).status == 422

    # attendance: the day must have come; present without booking is published for billing
    body = {
        "date": "2026-12-03",
        "activity_id": str(harness.activities["cantine"]),
        "child_id": str(a.child_id),
        "status": "present",
    }
    r = await harness.client.post(ADMIN + "/attendance", json=body, headers=harness.staff)
    assert r.status == 422 and (await r.json())["type"].endswith("/attendance_in_future")
    harness.clock.now = harness.clock.now.replace(day=3, month=12, hour=12)
    r = await harness.client.post(ADMIN + "/attendance", json=body, headers=harness.staff)
    assert r.status == 200 and (await r.json())["booked"] is True
    walk_in = body | {"child_id": str(pending.child_id)}
    r = await harness.client.post(ADMIN + "/attendance", json=walk_in, headers=harness.staff)
    assert r.status == 200 and (await r.json())["charged_without_booking"] is True
    (event,) = await harness.wait_published("planning.attendance.recorded", child_id=pending.child_id)
    assert (event["status"], event["booked"], event["dossier_id"]) == ("present", False, str(pending.dossier_id))
    r = await harness.client.post(ADMIN + "/attendance", json=body | {"status": "absent"}, headers=harness.staff)
    assert r.status == 200
    assert await harness.db.fetchval("SELECT status FROM attendance WHERE child_id = $1", a.child_id) == "absent"
    not_running = body | {"date": "2026-12-02"}
    assert (await harness.client.post(ADMIN + "/attendance", json=not_running, headers=harness.staff)).status == 422
    assert (
        await harness.client.post(ADMIN + "/attendance", json=body | {"status": "late"}, headers=harness.staff)
    ).status == 422

    r = await harness.client.get(ADMIN + "/exports/daily-list?date=2026-12-03", headers=harness.staff)
    assert r.status == 200 and r.content_type == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    text = (await r.read()).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "Date;Activité;Nom;Prénom;École;Niveau;Pointage"
    assert any(
        line.startswith("03/12/2026;2026/2027 - Cantine (11h30 à 13h30);Le Derf;Arthur;") and line.endswith("Absent")
        for line in lines
    )
    assert any(";'=cmd;Zoé;" in line for line in lines)  # a formula-looking name is neutralised
    r = await harness.client.get(ADMIN + "/exports/reservations?month=2026-12", headers=harness.staff)
    assert r.status == 200 and r.content_type == "text/csv"
    rows = (await r.read()).decode("utf-8-sig").splitlines()
    assert rows[0] == "Date;Activité;Nom;Prénom;École;Niveau;Paiement" and len(rows) >= 4
    assert (
        await harness.client.get(ADMIN + "/exports/reservations?month=12-2026", headers=harness.staff)
    ).status == 422
