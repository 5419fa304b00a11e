"""« Payer » and what follows, with billing's side played on the broker (docs/saga.md)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from planning.service.payments import expire_baskets
from planning.web import planning_of_app
from servicekit.events import make_envelope
from servicekit.testing import eventually


def p(harness):
    return planning_of_app(harness.client.app)


async def basket_status(harness, basket_id) -> str:
    return await harness.db.fetchval("SELECT status FROM baskets WHERE id = $1", uuid.UUID(basket_id))


async def test_checkout_holds_the_places_and_payment_confirms_them(harness, family):
    r = await harness.put_month(family, {"cantine": ["2026-12-01", "2026-12-03"]})
    assert r.status == 200
    r = await harness.checkout(family, key="pay-once")
    assert r.status == 200, await r.text()
    answer = await r.json()
    assert answer["status"] == "payment_pending" and answer["payment_url"].startswith("/simulated-treasury/?idop=")
    call = harness.billing.call_for(answer["basket_id"])
    assert [(x["date"], x["change"]) for x in call["lines"]] == [("2026-12-01", "add"), ("2026-12-03", "add")]
    assert call["dossier_id"] == str(family.dossier_id) and call["checkout_id"] and call["expires_at"]
    assert call["lines"][0]["label"] == "Arthur - 2026/2027 - Cantine (11h30 à 13h30)"
    assert (await harness.places("cantine", "2026-12-01"))["held"] == 1
    (checked_out,) = await harness.wait_published("planning.basket.checked_out", basket_id=answer["basket_id"])
    assert checked_out["checkout_id"] == call["checkout_id"] and len(checked_out["lines"]) == 2

    # A double click: the same key replays, a second click within the hold gives the same payment.
    again = await harness.checkout(family, key="pay-once")
    assert again.headers.get("Idempotent-Replayed") == "true" and await again.json() == answer
    other_click = await (await harness.checkout(family)).json()
    assert other_click["payment_id"] == answer["payment_id"] and other_click["payment_url"] == answer["payment_url"]
    r = await harness.put_month(family, {"cantine": ["2026-12-01"]})
    assert r.status == 409 and (await r.json())["type"].endswith("/basket_frozen")
    r = await harness.client.delete("/api/planning/basket", headers=family.headers)
    assert r.status == 409

    await harness.billing.succeed(call, harness.billing.payments[call["checkout_id"]])
    (confirmed,) = await harness.wait_published("planning.reservations.confirmed", basket_id=answer["basket_id"])
    assert confirmed["payment_id"] == answer["payment_id"] and confirmed["checkout_id"] == call["checkout_id"]
    assert sorted(x["date"] for x in confirmed["reservations"]) == ["2026-12-01", "2026-12-03"]
    assert all(x["reservation_id"] and x["label"] for x in confirmed["reservations"])
    places = await harness.places("cantine", "2026-12-01")
    assert (places["confirmed"], places["held"]) == (1, 0)
    grid = await harness.grid(family)
    assert grid["cantine"]["2026-12-01"]["state"] == "booked" and grid["cantine"]["2026-12-01"]["places_left"] == 119
    basket = await (await harness.client.get("/api/planning/basket", headers=family.headers)).json()
    assert basket["lines"] == [] and basket["id"] is None


async def test_the_same_payment_event_three_times_has_one_effect(harness, family):
    await harness.put_month(family, {"cantine": ["2026-12-04"]})
    answer = await (await harness.checkout(family)).json()
    call = harness.billing.call_for(answer["basket_id"])
    payment = harness.billing.payments[call["checkout_id"]]
    first = await harness.billing.succeed(call, payment)
    await harness.billing.publish("", {}, envelope=first)  # redelivered as is (same event id)
    second = await harness.billing.succeed(call, payment)  # the same payment, under a new event id

    async def all_handled():
        return await harness.count("inbox", "event_id = ANY($1::uuid[])", [first.id, second.id]) == 2

    await eventually(all_handled)
    await harness.wait_published("planning.reservations.confirmed", basket_id=answer["basket_id"])
    assert await harness.count("reservations", "dossier_id = $1 AND status = 'confirmed'", family.dossier_id) == 1
    assert (await harness.places("cantine", "2026-12-04"))["confirmed"] == 1
    assert len(harness.published("planning.reservations.confirmed", basket_id=answer["basket_id"])) == 1
    assert harness.published("planning.reservations.refused", basket_id=answer["basket_id"]) == []


async def test_a_failed_payment_frees_the_places_at_once(harness, family):
    await harness.put_month(family, {"alsh": ["2026-12-09"]})
    answer = await (await harness.checkout(family)).json()
    assert (await harness.places("alsh", "2026-12-09"))["held"] == 1
    call = harness.billing.call_for(answer["basket_id"])
    await harness.billing.publish(
        "billing.payment.failed",
        {
            "payment_id": answer["payment_id"],
            "dossier_id": str(family.dossier_id),
            "basket_id": answer["basket_id"],
            "checkout_id": call["checkout_id"],
            "reason": "refused",
        },
    )

    async def released():
        return await basket_status(harness, answer["basket_id"]) == "released"

    await eventually(released)
    assert (await harness.places("alsh", "2026-12-09"))["held"] == 0
    assert (await harness.grid(family))["alsh"]["2026-12-09"]["state"] == "bookable"


async def test_expiry_releases_and_a_late_payment_is_refused_for_a_credit(harness, family):
    await harness.put_month(family, {"cantine": ["2026-12-07"]})
    answer = await (await harness.checkout(family)).json()
    call = harness.billing.call_for(answer["basket_id"])
    planning = p(harness)
    assert await expire_baskets(planning, harness.clock.now + timedelta(minutes=29)) == 0
    harness.clock.now += timedelta(minutes=30)
    assert await expire_baskets(planning) == 1
    assert await basket_status(harness, answer["basket_id"]) == "released"
    assert (await harness.places("cantine", "2026-12-07"))["held"] == 0
    (expired,) = await harness.wait_published("planning.basket.expired", basket_id=answer["basket_id"])
    assert expired == {
        "basket_id": answer["basket_id"],
        "checkout_id": call["checkout_id"],
        "dossier_id": str(family.dossier_id),
    }

    await harness.billing.succeed(call, harness.billing.payments[call["checkout_id"]])
    (refused,) = await harness.wait_published("planning.reservations.refused", basket_id=answer["basket_id"])
    assert refused["reason"] == "expired" and refused["payment_id"] == answer["payment_id"]
    assert await harness.count("reservations", "dossier_id = $1", family.dossier_id) == 0
    # a checkout after the hold finds nothing to pay
    r = await harness.checkout(family)
    assert r.status == 409 and (await r.json())["type"].endswith("/basket_empty")


async def test_a_payment_arriving_after_the_hold_before_the_job_is_refused_too(harness, family):
    await harness.put_month(family, {"cantine": ["2026-12-08"]})
    answer = await (await harness.checkout(family)).json()
    call = harness.billing.call_for(answer["basket_id"])
    harness.clock.now += timedelta(minutes=31)
    await harness.billing.succeed(call, harness.billing.payments[call["checkout_id"]])
    (refused,) = await harness.wait_published("planning.reservations.refused", basket_id=answer["basket_id"])
    assert refused["reason"] == "expired"
    await harness.wait_published("planning.basket.expired", basket_id=answer["basket_id"])
    assert (await harness.places("cantine", "2026-12-08"))["held"] == 0


async def test_an_unknown_basket_payment_is_refused(harness, family):
    basket_id = str(uuid.uuid4())
    await harness.billing.publish(
        "billing.payment.succeeded",
        {
            "payment_id": str(uuid.uuid4()),
            "dossier_id": str(family.dossier_id),
            "basket_id": basket_id,
            "checkout_id": str(uuid.uuid4()),
            "amount_cents": 374,
            "credit_used_cents": 0,
            "reference": "X",
        },
    )
    (refused,) = await harness.wait_published("planning.reservations.refused", basket_id=basket_id)
    assert refused["reason"] == "unknown_basket"


async def test_billing_silent_at_checkout_reopens_the_basket_and_frees_the_places(harness, family):
    await harness.put_month(family, {"cantine": ["2026-12-10"]})
    harness.billing.silent = True
    r = await harness.checkout(family, key="silent")
    assert r.status == 503
    assert (await r.json())["title"].startswith("Le paiement en ligne est momentanément indisponible.")
    # the basket page still shows the lines, with the amounts of the last quote
    basket = await (await harness.client.get("/api/planning/basket", headers=family.headers)).json()
    assert basket["priced"] is False and basket["lines"][0]["amount_cents"] == harness.billing.unit_price
    harness.billing.silent = False
    assert (await harness.places("cantine", "2026-12-10"))["held"] == 0
    basket = await (await harness.client.get("/api/planning/basket", headers=family.headers)).json()
    assert basket["status"] == "open" and [x["date"] for x in basket["lines"]] == ["2026-12-10"]
    r = await harness.checkout(family)
    assert r.status == 200 and (await r.json())["status"] == "payment_pending"


async def test_credit_covering_everything_confirms_at_once(harness, family):
    harness.billing.credit_covers.add(family.dossier_id)
    await harness.put_month(family, {"cantine": ["2026-12-11"]})
    answer = await (await harness.checkout(family)).json()
    assert answer["status"] == "confirmed" and answer["payment_url"] is None and answer["payment_id"]
    await harness.wait_published("planning.reservations.confirmed", basket_id=answer["basket_id"])
    assert (await harness.grid(family))["cantine"]["2026-12-11"]["state"] == "booked"


async def test_unbooking_a_paid_day_cancels_it_for_a_credit(harness, family):
    paid = await harness.book_and_pay(family, {"cantine": ["2026-12-14", "2026-12-15"]})
    r = await harness.put_month(family, {"cantine": ["2026-12-15"]})
    changes = (await r.json())["changes"]
    assert [(c["date"], c["change"], c["amount_cents"]) for c in changes] == [("2026-12-14", "remove", -374)]
    calls = len(harness.billing.payment_calls)
    r = await harness.checkout(family)
    assert r.status == 200 and (await r.json())["status"] == "confirmed"
    assert len(harness.billing.payment_calls) == calls  # nothing to pay: billing is not asked
    (cancelled,) = await harness.wait_published("planning.reservation.cancelled", dossier_id=family.dossier_id)
    assert cancelled["date"] == "2026-12-14" and cancelled["payment_id"] == paid["payment_id"]
    assert cancelled["child_id"] == str(family.child_id) and cancelled["reservation_id"]
    assert (await harness.places("cantine", "2026-12-14"))["confirmed"] == 0
    grid = await harness.grid(family)
    assert grid["cantine"]["2026-12-14"]["state"] == "bookable" and grid["cantine"]["2026-12-15"]["state"] == "booked"


async def test_a_mixed_basket_applies_its_removal_once_billing_took_the_payment(harness, family):
    await harness.book_and_pay(family, {"cantine": ["2026-12-17"]})
    await harness.put_month(family, {"cantine": ["2026-12-18"]})  # remove the 17th, add the 18th
    answer = await (await harness.checkout(family)).json()
    assert answer["status"] == "payment_pending"
    (cancelled,) = await harness.wait_published("planning.reservation.cancelled", dossier_id=family.dossier_id)
    assert cancelled["date"] == "2026-12-17"
    call = harness.billing.call_for(answer["basket_id"])
    assert [x["date"] for x in call["lines"]] == ["2026-12-18"]  # only the adds are paid


async def test_a_full_day_is_dropped_at_checkout_and_billing_is_not_asked(harness, family):
    await harness.put_month(family, {"alsh": ["2026-12-16", "2026-12-23"]})
    await harness.db.execute(
        "INSERT INTO day_places (activity_id, day, capacity, confirmed) VALUES ($1, '2026-12-16', 48, 48) "
        "ON CONFLICT (activity_id, day) DO UPDATE SET confirmed = 48",
        harness.activities["alsh"],
    )
    calls = len(harness.billing.payment_calls)
    r = await harness.checkout(family)
    assert r.status == 409
    problem = await r.json()
    assert problem["type"].endswith("/days_full") and [d["date"] for d in problem["days"]] == ["2026-12-16"]
    assert len(harness.billing.payment_calls) == calls
    other = await harness.places("alsh", "2026-12-23")
    assert other is None or other["held"] == 0  # the other day's hold was rolled back
    basket = await (await harness.client.get("/api/planning/basket", headers=family.headers)).json()
    assert [x["date"] for x in basket["lines"]] == ["2026-12-23"]
    assert (await harness.grid(family))["alsh"]["2026-12-16"]["state"] == "full"


async def test_an_invoice_payment_is_ignored(harness, family):
    envelope = make_envelope(
        "billing.payment.succeeded",
        {
            "payment_id": str(uuid.uuid4()),
            "dossier_id": str(family.dossier_id),
            "basket_id": None,
            "checkout_id": None,
            "invoice_id": str(uuid.uuid4()),
            "amount_cents": 100,
            "credit_used_cents": 0,
            "reference": "F",
        },
        source="billing",
    )
    await harness.billing.publish("", {}, envelope=envelope)

    async def handled():
        return await harness.count("inbox", "event_id = $1", envelope.id) == 1

    await eventually(handled)
    assert harness.published("planning.reservations.refused", dossier_id=family.dossier_id) == []


async def test_lines_past_their_deadline_at_checkout_are_dropped(harness, family):
    await harness.book_and_pay(family, {"cantine": ["2026-12-01"]})
    await harness.put_month(family, {"cantine": ["2026-12-03", "2026-12-08"]})  # remove 01, add 03 and 08
    harness.clock.now = harness.clock.now.replace(day=29, hour=21)  # the first week's deadline has passed
    r = await harness.checkout(family)
    assert r.status == 422
    problem = await r.json()
    assert {(d["date"], d["code"]) for d in problem["days"]} == {
        ("2026-12-01", "cancellation_deadline_passed"),
        ("2026-12-03", "deadline_passed"),
    }
    basket = await (await harness.client.get("/api/planning/basket", headers=family.headers)).json()
    assert [(x["date"], x["change"]) for x in basket["lines"]] == [("2026-12-08", "add")]
    assert (await harness.grid(family))["cantine"]["2026-12-01"]["state"] == "booked"
    r = await harness.checkout(family)
    assert r.status == 200 and (await r.json())["status"] == "payment_pending"
