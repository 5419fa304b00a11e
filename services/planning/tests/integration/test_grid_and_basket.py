"""The grid, « Valider » with billing's quote, and the basket."""

from __future__ import annotations

import asyncio
import uuid


async def test_children_list_their_enrolments(harness, family):
    r = await harness.client.get("/api/planning/children", headers=family.headers)
    assert r.status == 200
    (child,) = (await r.json())["children"]
    assert child["id"] == str(family.child_id) and child["first_name"] == "Arthur" and child["last_name"] == "Le Derf"
    assert [a["name"] for a in child["activities"]] == [
        "2026/2027 - ALSH Mercredi (7h à 19h)",
        "2026/2027 - Cantine (11h30 à 13h30)",
    ]


async def test_the_grid_shows_each_day_state(harness, family):
    r = await harness.client.get(harness.month_path(family), headers=family.headers)
    body = await r.json()
    assert (body["month"], body["label"], body["open"]) == ("2026-12", "Décembre 2026", True)
    assert (body["previous_month"], body["next_month"]) == ("2026-11", "2027-01")
    assert body["child"] == {"id": str(family.child_id), "first_name": "Arthur"}
    grid = await harness.grid(family)
    cantine, alsh = grid["cantine"], grid["alsh"]
    assert cantine["2026-12-01"]["state"] == "bookable" and cantine["2026-12-01"]["places_left"] == 120
    assert cantine["2026-12-02"] == {**cantine["2026-12-02"], "state": "closed", "reason": "weekday"}
    assert cantine["2026-12-25"]["state"] == "closed" and cantine["2026-12-25"]["label"] == "Noël"
    assert cantine["2026-12-21"]["reason"] == "school_holiday"
    assert alsh["2026-12-02"]["state"] == "bookable" and alsh["2026-12-21"]["state"] == "bookable"
    # November is not open: closed; a day past its deadline: locked
    november = await harness.grid(family, "2026-11")
    assert november["cantine"]["2026-11-30"]["reason"] == "month_closed"
    harness.clock.now = harness.clock.now.replace(day=29, hour=21)
    assert (await harness.grid(family))["cantine"]["2026-12-01"]["state"] == "locked"


async def test_valider_quotes_the_changes_and_fills_the_basket(harness, family):
    r = await harness.put_month(family, {"cantine": ["2026-12-01", "2026-12-03"], "alsh": ["2026-12-02"]})
    assert r.status == 200, await r.text()
    body = await r.json()
    assert [(c["date"], c["change"], c["amount_cents"]) for c in body["changes"]] == [
        ("2026-12-01", "add", harness.billing.unit_price),
        ("2026-12-02", "add", harness.billing.unit_price),
        ("2026-12-03", "add", harness.billing.unit_price),
    ]
    assert body["period_cost_cents"] == 3 * harness.billing.unit_price and body["period_cost"] == "11,22\u00a0€"
    assert body["changes"][0]["label"] == "Arthur - 2026/2027 - Cantine (11h30 à 13h30)"
    sent = harness.billing.quotes[-1]
    assert sent["dossier_id"] == str(family.dossier_id) and {x["change"] for x in sent["lines"]} == {"add"}
    grid = await harness.grid(family)
    assert (
        grid["cantine"]["2026-12-01"]["state"] == "pending" and grid["cantine"]["2026-12-01"]["pending_change"] == "add"
    )

    r = await harness.client.get("/api/planning/basket", headers=family.headers)
    basket = await r.json()
    assert (
        basket["status"] == "open"
        and basket["priced"] is True
        and basket["total_cents"] == 3 * harness.billing.unit_price
    )
    assert basket["to_pay"] == "11,22\u00a0€" and basket["credit_applied_cents"] == 0
    assert [line["element"] for line in basket["lines"]][0] == "Arthur - 2026/2027 - Cantine (11h30 à 13h30)"
    assert {line["pricing"] for line in basket["lines"]} == {"à l'unité"}

    # unticking a pending day takes it out again; « Tout supprimer » empties the basket
    r = await harness.put_month(family, {"cantine": ["2026-12-01"]})
    assert [c["date"] for c in (await r.json())["changes"]] == ["2026-12-01", "2026-12-02"]
    r = await harness.client.delete("/api/planning/basket", headers=family.headers)
    assert r.status == 204
    assert (await (await harness.client.get("/api/planning/basket", headers=family.headers)).json())["lines"] == []


async def test_billing_silent_changes_nothing(harness, family):
    harness.billing.silent = True
    r = await harness.put_month(family, {"cantine": ["2026-12-01"]})
    assert r.status == 503
    problem = await r.json()
    assert problem["type"].endswith("/billing_unavailable") and "indisponible" in problem["title"]
    assert await harness.count("baskets", "dossier_id = $1", family.dossier_id) == 0
    harness.billing.silent = False
    assert (await harness.grid(family))["cantine"]["2026-12-01"]["state"] == "bookable"


async def test_an_activity_without_tariff_is_a_french_409(harness, family):
    harness.billing.no_tariff.add(harness.activities["alsh"])
    try:
        r = await harness.put_month(family, {"alsh": ["2026-12-02"]})
        assert r.status == 409 and "tarif" in (await r.json())["title"]
    finally:
        harness.billing.no_tariff.clear()
    assert (await harness.grid(family))["alsh"]["2026-12-02"]["state"] == "bookable"


async def test_bad_input_is_refused_day_by_day_and_changes_nothing(harness, family):
    before = len(harness.billing.quotes)
    # past its deadline (Sunday 21:00 before its week), closed (a Wednesday, Christmas), outside the month
    harness.clock.now = harness.clock.now.replace(day=29, hour=21)
    r = await harness.put_month(
        family, {"cantine": ["2026-12-01", "2026-12-02", "2026-12-25", "2027-01-04", "2026-12-08"]}
    )
    assert r.status == 422
    problem = await r.json()
    assert (
        problem["type"].endswith("/rules_violated")
        and problem["title"] == "Certains jours ne peuvent pas être modifiés."
    )
    assert {(d["date"], d["code"]) for d in problem["days"]} == {
        ("2026-12-01", "deadline_passed"),
        ("2026-12-02", "activity_not_running"),
        ("2026-12-25", "activity_not_running"),
        ("2027-01-04", "date_outside_month"),
    }
    assert all(d["message"] and d["activity_id"] == str(harness.activities["cantine"]) for d in problem["days"])
    assert len(harness.billing.quotes) == before
    assert (await harness.grid(family))["cantine"]["2026-12-08"]["state"] == "bookable"  # the valid day was not kept

    for path, body, status in [
        (harness.month_path(family, "2026-13"), {"activities": []}, 422),
        (harness.month_path(family, "décembre"), {"activities": []}, 422),
        ("/api/planning/children/not-a-uuid/months/2026-12", {"activities": []}, 404),
        (harness.month_path(family), {"activities": [{"activity_id": str(uuid.uuid4()), "booked_dates": []}]}, 404),
        (harness.month_path(family), {"activities": [{"activity_id": "x", "booked_dates": ["2026-12-01"]}]}, 422),
        (
            harness.month_path(family),
            {"activities": [{"activity_id": str(harness.activities["cantine"]), "booked_dates": ["2026-12-32"]}]},
            422,
        ),
        (harness.month_path(family), {"wrong": 1}, 422),
    ]:
        r = await harness.client.put(path, json=body, headers=family.headers)
        assert r.status == status, (path, body, await r.text())
        assert r.content_type == "application/problem+json" and (await r.json())["title"]
    r = await harness.client.put(
        harness.month_path(family), data="{not json", headers={**family.headers, "Content-Type": "application/json"}
    )
    assert r.status == 400
    assert await harness.count("baskets", "dossier_id = $1", family.dossier_id) == 0


async def test_another_familys_child_is_not_found_and_nothing_changes(harness, family):
    other = await harness.make_family()
    for method, path, body in [
        ("GET", harness.month_path(other), None),
        (
            "PUT",
            harness.month_path(other),
            {"activities": [{"activity_id": str(harness.activities["cantine"]), "booked_dates": ["2026-12-01"]}]},
        ),
    ]:
        r = await harness.client.request(method, path, json=body, headers=family.headers)
        assert r.status == 404 and (await r.json())["title"] == "Cet enfant n'existe pas."
    assert await harness.count("baskets", "dossier_id = $1", other.dossier_id) == 0
    assert await harness.count("baskets", "dossier_id = $1", family.dossier_id) == 0
    # no dossier in the identity: 403; no identity: 401
    r = await harness.client.get("/api/planning/children", headers=harness.staff)
    assert r.status == 403
    r = await harness.client.get("/api/planning/children")
    assert r.status == 401


async def test_two_tabs_validating_at_once_the_later_save_is_refused(harness, family):
    harness.billing.delay = 0.5
    slow = asyncio.create_task(harness.put_month(family, {"cantine": ["2026-12-01"]}))
    await asyncio.sleep(0.2)
    harness.billing.delay = 0.0
    fast = await harness.put_month(family, {"cantine": ["2026-12-03"]})
    assert fast.status == 200
    slow_answer = await slow
    assert slow_answer.status == 409 and (await slow_answer.json())["type"].endswith("/basket_changed")
    grid = await harness.grid(family)
    assert grid["cantine"]["2026-12-03"]["state"] == "pending" and grid["cantine"]["2026-12-01"]["state"] == "bookable"
