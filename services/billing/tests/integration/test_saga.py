"""The book-and-pay saga (docs/saga.md) with planning's part played by the test on the broker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest
from servicekit.rpc import RpcError
from servicekit.testing import eventually

D1, D2 = date(2026, 12, 14), date(2026, 12, 15)


async def confirm(h, fam, params: dict, answer: dict, days: list[date]) -> list[uuid.UUID]:
    reservations = [uuid.uuid4() for _ in days]
    await h.publish(
        "planning.reservations.confirmed",
        {"basket_id": params["basket_id"], "checkout_id": params["checkout_id"], "dossier_id": str(fam.dossier_id),
         "payment_id": answer["payment_id"],
         "reservations": [{"reservation_id": str(r), "child_id": str(fam.child_id), "activity_id": str(h.activity_id),
                           "date": d.isoformat()} for r, d in zip(reservations, days, strict=True)]},
    )  # fmt: skip

    async def applied():
        return await h.payment_state(answer["payment_id"]) == ("succeeded", "applied")

    await eventually(applied)
    return reservations


async def test_a_quote_prices_each_day_with_the_qf_valid_that_day(harness):
    fam = await harness.family()
    for value, start, end in ((500, "2026-09-01", "2026-12-14"), (1000, "2026-12-15", "2027-08-31")):
        await harness.request(
            "POST", f"/api/billing/admin/dossiers/{fam.dossier_id}/qf",
            json={"value": value, "valid_from": start, "valid_to": end, "proof": "avis_imposition",
                  "state": "validated"},
            headers=harness.staff_headers(), expect=201,
        )  # fmt: skip
    lines = [*harness.lines(fam, [D1, D2]), *harness.lines(fam, [date(2026, 12, 17)], change="remove")]
    result = await harness.call("quote", {"dossier_id": str(fam.dossier_id), "lines": lines})
    assert [(x["date"], x["change"], x["amount_cents"]) for x in result["lines"]] == [
        ("2026-12-14", "add", 150),
        ("2026-12-15", "add", 280),
        ("2026-12-17", "remove", 0),  # nothing was paid for that day
    ]
    assert result["lines"][0]["pricing"] == "à l'unité" and result["lines"][0]["label"].startswith("Arthur - ")
    assert (result["total_cents"], result["credit_available_cents"], result["to_pay_cents"]) == (430, 0, 430)
    # no valid QF → the highest tariff
    other = await harness.family()
    result = await harness.call("quote", {"dossier_id": str(other.dossier_id), "lines": harness.lines(other, [D1])})
    assert result["total_cents"] == 374


async def test_an_activity_without_tariff_is_refused(harness):
    fam = await harness.family()
    unpriced = await harness.new_activity(grid=None, code="judo")
    for activity_id in (unpriced, uuid.uuid4()):
        with pytest.raises(RpcError) as refused:
            await harness.call(
                "quote", {"dossier_id": str(fam.dossier_id), "lines": harness.lines(fam, [D1], activity_id=activity_id)}
            )
        assert refused.value.error_type == "unknown_activity"
        with pytest.raises(RpcError):
            await harness.checkout(fam, [D1], lines=harness.lines(fam, [D1], activity_id=activity_id))
    assert await harness.count("payments", "dossier_id = $1", fam.dossier_id) == 0


async def test_success_confirmation_then_a_cancelled_day_becomes_a_credit(harness):
    fam = await harness.family(qf=500)
    params, answer = await harness.checkout(fam, [D1, D2])
    assert answer["status"] == "pending" and answer["amount_cents"] == 300 and answer["credit_used_cents"] == 0
    assert answer["payment_url"].startswith("/simulated-treasury/?idop=")
    # asked twice (planning retried), billing answers the same payment and opens no second operation
    _, again = await harness.checkout(fam, [D1, D2], **{k: params[k] for k in ("basket_id", "checkout_id")})
    assert again == answer
    assert await harness.count("simulated_operations", "payment_id = $1", uuid.UUID(answer["payment_id"])) == 1

    _, page = await harness.get(f"/api/billing/payments/{answer['payment_id']}", headers=fam.headers, expect=200)
    assert page["status"] == "pending" and [x["amount_cents"] for x in page["lines"]] == [150, 150]

    await harness.pay(answer)
    (succeeded,) = await harness.wait_events("billing.payment.succeeded", payment_id=answer["payment_id"])
    assert succeeded["checkout_id"] == params["checkout_id"] and succeeded["basket_id"] == params["basket_id"]
    assert (succeeded["amount_cents"], succeeded["credit_used_cents"], succeeded["dossier_id"]) == (
        300, 0, str(fam.dossier_id),
    )  # fmt: skip
    assert succeeded["reference"] == page["reference"] and len(succeeded["lines"]) == 2
    assert succeeded["credited"] is False
    _, page = await harness.get(f"/api/billing/payments/{answer['payment_id']}", headers=fam.headers, expect=200)
    assert page["status"] == "succeeded"

    reservations = await confirm(harness, fam, params, answer, [D1, D2])
    assert (await harness.account(fam))["balance_cents"] == 0
    # removing a paid day is quoted at minus what was paid for it
    quote = await harness.call(
        "quote", {"dossier_id": str(fam.dossier_id), "lines": harness.lines(fam, [D2], change="remove")}
    )
    assert quote["lines"][0]["amount_cents"] == -150 and quote["total_cents"] == -150

    cancelled = {"reservation_id": str(reservations[1]), "dossier_id": str(fam.dossier_id),
                 "child_id": str(fam.child_id), "activity_id": str(harness.activity_id), "date": D2.isoformat(),
                 "payment_id": answer["payment_id"]}  # fmt: skip
    await harness.publish("planning.reservation.cancelled", cancelled)
    await harness.publish("planning.reservation.cancelled", cancelled)  # a second event for the same day
    (credit,) = await harness.wait_events("billing.credit.granted", dossier_id=fam.dossier_id)
    assert (credit["amount_cents"], credit["reason"]) == (150, "cancellation")
    account = await harness.account(fam)
    assert (account["balance_cents"], account["credit_cents"], account["credit"]) == (-150, 150, "1,50\u00a0€")
    _, history = await harness.get("/api/billing/history", headers=fam.headers, expect=200)
    assert [e["kind"] for e in history["entries"]] == ["credit", "payment"]
    assert history["entries"][1]["amount_cents"] == 300 and history["entries"][1]["id"] == answer["payment_id"]
    await asyncio.sleep(0.5)
    assert len(harness.events("billing.credit.granted", dossier_id=fam.dossier_id)) == 1


async def test_a_refused_payment_fails_and_gives_the_credit_back(harness):
    fam = await harness.family(qf=500)
    await harness.request(
        "POST", f"/api/billing/admin/dossiers/{fam.dossier_id}/credits",
        json={"amount_cents": 100, "label": "Geste commercial"}, headers=harness.staff_headers(), expect=201,
    )  # fmt: skip
    params, answer = await harness.checkout(fam, [D1, D2])
    assert (answer["amount_cents"], answer["credit_used_cents"]) == (200, 100)
    assert (await harness.account(fam))["credit_cents"] == 0
    await harness.pay(answer, "refuse")
    (failed,) = await harness.wait_events("billing.payment.failed", payment_id=answer["payment_id"])
    assert failed["reason"] == "refused" and failed["checkout_id"] == params["checkout_id"]
    assert (await harness.account(fam))["credit_cents"] == 100
    _, page = await harness.get(f"/api/billing/payments/{answer['payment_id']}", headers=fam.headers, expect=200)
    assert page["status"] == "failed"
    assert harness.events("billing.payment.succeeded", payment_id=answer["payment_id"]) == []


async def test_the_same_notification_five_times_at_once_is_one_success(harness):
    fam = await harness.family(qf=500)
    _, answer = await harness.checkout(fam, [D1, D2])
    idop = answer["payment_url"].rsplit("=", 1)[1]
    await harness.decide(idop, "pay")
    statuses = await asyncio.gather(*(harness.notify(idop) for _ in range(5)))
    assert statuses == [200] * 5
    await harness.wait_events("billing.payment.succeeded", payment_id=answer["payment_id"])
    await asyncio.sleep(1.0)  # time for a duplicate to show, if any was published
    assert len(harness.events("billing.payment.succeeded", payment_id=answer["payment_id"])) == 1
    payment_id = uuid.UUID(answer["payment_id"])
    assert await harness.count("ledger_entries", "payment_id = $1 AND kind = 'payment'", payment_id) == 1
    assert await harness.count("outbox", "envelope->'data'->>'payment_id' = $1", answer["payment_id"]) == 1


async def test_a_payment_after_the_basket_expired_becomes_a_credit(harness):
    fam = await harness.family(qf=500)
    params, answer = await harness.checkout(fam, [D1, D2])
    await harness.publish(
        "planning.basket.expired",
        {"basket_id": params["basket_id"], "checkout_id": params["checkout_id"], "dossier_id": str(fam.dossier_id)},
    )
    (failed,) = await harness.wait_events("billing.payment.failed", payment_id=answer["payment_id"])
    assert failed["reason"] == "abandoned"
    await harness.pay(answer)  # the parent paid anyway, late
    (credit,) = await harness.wait_events("billing.credit.granted", payment_id=answer["payment_id"])
    assert (credit["amount_cents"], credit["reason"]) == (300, "late_payment")
    assert await harness.payment_state(answer["payment_id"]) == ("succeeded", "credited")
    account = await harness.account(fam)
    assert (account["credit_cents"], account["balance_cents"]) == (300, -300)
    _, page = await harness.get(f"/api/billing/payments/{answer['payment_id']}", headers=fam.headers, expect=200)
    assert page["status"] == "credited"
    # planning, told of the success, refuses the basket: nothing more is credited
    (late,) = await harness.wait_events("billing.payment.succeeded", payment_id=answer["payment_id"])
    assert late["credited"] is True
    await harness.publish(
        "planning.reservations.refused",
        {"basket_id": params["basket_id"], "checkout_id": params["checkout_id"], "dossier_id": str(fam.dossier_id),
         "payment_id": answer["payment_id"], "reason": "expired"},
    )  # fmt: skip
    await asyncio.sleep(1.0)
    assert (await harness.account(fam))["credit_cents"] == 300


async def test_places_taken_by_another_family_the_payment_becomes_a_credit(harness):
    fam = await harness.family(qf=500)
    params, answer = await harness.checkout(fam, [D1])
    await harness.pay(answer)
    await harness.wait_events("billing.payment.succeeded", payment_id=answer["payment_id"])
    await harness.publish(
        "planning.reservations.refused",
        {"basket_id": params["basket_id"], "checkout_id": params["checkout_id"], "dossier_id": str(fam.dossier_id),
         "payment_id": answer["payment_id"], "reason": "released"},
    )  # fmt: skip
    (credit,) = await harness.wait_events("billing.credit.granted", payment_id=answer["payment_id"])
    assert credit["amount_cents"] == 150
    assert (await harness.account(fam))["credit_cents"] == 150


async def test_forged_notifications_change_nothing(harness):
    fam = await harness.family(qf=500)
    _, answer = await harness.checkout(fam, [D1])
    idop = answer["payment_url"].rsplit("=", 1)[1]
    before = await harness.count("outbox")
    assert await harness.notify("0123456789abcdef0123456789abcdef") == 200  # an idop nobody issued
    assert await harness.notify(idop) == 200  # issued, but the Treasury has not marked it paid
    assert await harness.notify(idop, provider="payfip") == 404  # not the provider in use
    response, problem = await harness.request("POST", "/api/billing/payments/notifications/simulated", data={})
    assert response.status == 400 and problem["title"]
    response, _ = await harness.request(
        "POST", "/api/billing/payments/notifications/simulated", data={"idop": "<script>"}
    )
    assert response.status == 400
    assert await harness.payment_state(answer["payment_id"]) == ("pending", None)
    assert await harness.count("outbox") == before
    assert (await harness.account(fam))["balance_cents"] == 0


async def test_another_familys_payment_is_not_found(harness):
    fam, other = await harness.family(), await harness.family()
    _, answer = await harness.checkout(fam, [D1])
    response, problem = await harness.get(f"/api/billing/payments/{answer['payment_id']}", headers=other.headers)
    assert response.status == 404 and response.content_type == "application/problem+json" and problem["title"]
    response, _ = await harness.get(f"/api/billing/payments/{answer['payment_id']}")
    assert response.status == 401


async def test_credits_covering_everything_need_no_provider(harness):
    fam = await harness.family(qf=500)
    await harness.request(
        "POST", f"/api/billing/admin/dossiers/{fam.dossier_id}/credits",
        json={"amount_cents": 1000, "label": "Avoir"}, headers=harness.staff_headers(), expect=201,
    )  # fmt: skip
    params, answer = await harness.checkout(fam, [D1, D2])
    assert answer["status"] == "covered" and (answer["amount_cents"], answer["credit_used_cents"]) == (0, 300)
    assert "payment_url" not in answer
    assert await harness.count("simulated_operations", "payment_id = $1", uuid.UUID(answer["payment_id"])) == 0
    (succeeded,) = await harness.wait_events("billing.payment.succeeded", payment_id=answer["payment_id"])
    assert (succeeded["amount_cents"], succeeded["credit_used_cents"], succeeded["provider"]) == (0, 300, "credit")
    await confirm(harness, fam, params, answer, [D1, D2])
    account = await harness.account(fam)
    assert (account["credit_cents"], account["balance_cents"]) == (700, -700)
    _, again = await harness.checkout(fam, [D1, D2], **{k: params[k] for k in ("basket_id", "checkout_id")})
    assert again == answer


async def test_a_bad_create_payment_changes_nothing(harness):
    fam = await harness.family()
    before = await harness.count("payments")
    for bad in (
        {"lines": []},
        {"return_url": "https://evil.example/"},
        {"expires_at": "2026-12-06T10:00:00"},  # naive
        {"lines": harness.lines(fam, [D1], change="remove")},
    ):
        with pytest.raises(RpcError):
            await harness.checkout(fam, [D1], **bad)
    assert await harness.count("payments") == before


async def test_two_checkouts_at_once_cannot_spend_the_same_credit(harness):
    fam = await harness.family(qf=500)
    await harness.request(
        "POST", f"/api/billing/admin/dossiers/{fam.dossier_id}/credits",
        json={"amount_cents": 300, "label": "Avoir"}, headers=harness.staff_headers(), expect=201,
    )  # fmt: skip
    quote = await harness.call("quote", {"dossier_id": str(fam.dossier_id), "lines": harness.lines(fam, [D1, D2])})
    assert (quote["credit_available_cents"], quote["to_pay_cents"]) == (300, 0)
    answers = await asyncio.gather(*(harness.checkout(fam, [D1, D2]) for _ in range(2)))
    assert sorted(a["credit_used_cents"] for _, a in answers) == [0, 300]
    assert sorted(a["status"] for _, a in answers) == ["covered", "pending"]
    assert (await harness.account(fam))["credit_cents"] == 0


async def test_the_same_checkout_asked_twice_at_once_is_one_payment(harness):
    fam = await harness.family(qf=500)
    first = {"basket_id": str(uuid.uuid4()), "checkout_id": str(uuid.uuid4())}
    answers = await asyncio.gather(*(harness.checkout(fam, [D1, D2], **first) for _ in range(3)))
    assert len({a["payment_id"] for _, a in answers}) == 1 and len({a["payment_url"] for _, a in answers}) == 1
    payment_id = uuid.UUID(answers[0][1]["payment_id"])
    assert await harness.count("simulated_operations", "payment_id = $1", payment_id) == 1
    with pytest.raises(RpcError) as refused:  # the same checkout id for another basket
        await harness.checkout(fam, [D1, D2], checkout_id=first["checkout_id"])
    assert refused.value.error_type == "checkout_id_reused"


async def test_an_amount_below_the_card_minimum_is_refused(harness):
    fam = await harness.family()
    cheap = await harness.new_activity(grid=[{"qf_max": None, "unit_price_cents": 50}], code="gouter")
    with pytest.raises(RpcError) as refused:
        await harness.checkout(fam, [D1], lines=harness.lines(fam, [D1], activity_id=cheap))
    assert refused.value.error_type == "payment_amount_out_of_limits" and "1,00" in refused.value.detail
    assert await harness.count("payments", "dossier_id = $1", fam.dossier_id) == 0


async def test_more_checkouts_at_once_than_the_pool_has_connections_all_get_their_payment(harness):
    # Each opening holds its payment's row lock while the simulated Treasury records the
    # operation: with a second connection per opening, ten at once held the whole pool and
    # waited for an eleventh for ever (found by the Sunday-evening rush of bench/).
    families = [await harness.family(qf=500) for _ in range(30)]
    answers = await asyncio.wait_for(asyncio.gather(*(harness.checkout(f, [D1]) for f in families)), timeout=60)
    assert [a["status"] for _, a in answers] == ["pending"] * len(families)
    assert len({a["payment_id"] for _, a in answers}) == len(families)


async def test_a_paid_day_planning_does_not_confirm_and_a_closed_day_become_full_credits(harness):
    """Staff closed D2 while the family was paying: planning confirms D1 only → D2's share is
    credited; then D1 is closed too (after any deadline): its cancellation is credited in full."""
    fam = await harness.family(qf=500)
    params, answer = await harness.checkout(fam, [D1, D2])
    await harness.pay(answer)
    await harness.wait_events("billing.payment.succeeded", payment_id=answer["payment_id"])
    (reservation,) = await confirm(harness, fam, params, answer, [D1])
    (unconfirmed,) = await harness.wait_events("billing.credit.granted", dossier_id=fam.dossier_id)
    assert (unconfirmed["amount_cents"], unconfirmed["reason"]) == (150, "cancellation")
    assert unconfirmed["label"].startswith("Avoir : journée du 15/12/2026 non réservée")
    # the same confirmation published again (another event id): no second credit
    await confirm(harness, fam, params, answer, [D1])

    closed = {"reservation_id": str(reservation), "dossier_id": str(fam.dossier_id), "child_id": str(fam.child_id),
              "activity_id": str(harness.activity_id), "date": D1.isoformat(), "payment_id": answer["payment_id"],
              "reason": "closure"}  # fmt: skip
    await harness.publish("planning.reservation.cancelled", closed)
    await harness.publish("planning.reservation.cancelled", closed)

    async def both() -> bool:
        return len(harness.events("billing.credit.granted", dossier_id=fam.dossier_id)) >= 2

    await eventually(both)
    await asyncio.sleep(0.5)
    credits = harness.events("billing.credit.granted", dossier_id=fam.dossier_id)
    assert sorted(c["amount_cents"] for c in credits) == [150, 150]
    account = await harness.account(fam)
    assert (account["credit_cents"], account["balance_cents"]) == (300, -300)
