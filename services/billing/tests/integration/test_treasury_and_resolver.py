"""The simulated Treasury's internal endpoints, and the job that resolves payments whose
notification never came (asked at the provider, settled or expired)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from billing.providers.simulated import SimulatedTreasury
from billing.service import Billing
from billing.service.settlement import resolve_overdue

D1 = date(2026, 12, 14)


async def test_an_operation_as_the_gateway_page_reads_and_decides_it(harness):
    fam = await harness.family(qf=500)
    _, answer = await harness.checkout(fam, [D1])
    idop = answer["payment_url"].rsplit("=", 1)[1]
    _, op = await harness.get(f"/internal/simulated-treasury/operations/{idop}", expect=200)
    assert op == {
        "idop": idop,
        "amount_cents": 150,
        "amount": "1,50\u00a0€",
        "reference": answer["reference"],
        "state": "pending",
        "return_url": f"/facturation/paiements/{answer['payment_id']}",
    }
    assert (await harness.decide(idop, "refuse"))["state"] == "refused"
    assert (await harness.decide(idop, "pay"))["state"] == "refused"  # the first decision stays
    for body in ({"decision": "maybe"}, {}, {"decision": "pay", "extra": 1}):
        response, problem = await harness.request(
            "POST", f"/internal/simulated-treasury/operations/{idop}/decision", json=body
        )
        assert response.status == 422 and problem["title"]
    response, _ = await harness.get("/internal/simulated-treasury/operations/nope")
    assert response.status == 404
    response, _ = await harness.request(
        "POST", "/internal/simulated-treasury/operations/nope/decision", json={"decision": "pay"}
    )
    assert response.status == 404


def _ctx(harness, now: datetime) -> Billing:
    return Billing(
        pool=harness.db, provider=SimulatedTreasury(harness.db), resolve_after=timedelta(minutes=5), clock=lambda: now
    )


async def test_overdue_payments_are_asked_for_then_expired(harness):
    fam = await harness.family(qf=500)
    _, paid_silently = await harness.checkout(fam, [D1])
    _, never_paid = await harness.checkout(fam, [date(2026, 12, 15)])
    await harness.decide(paid_silently["payment_url"].rsplit("=", 1)[1], "pay")  # no notification follows

    now = datetime.now(UTC)
    assert await resolve_overdue(_ctx(harness, now)) == 0  # too early to ask
    await resolve_overdue(_ctx(harness, now + timedelta(minutes=6)))
    assert await harness.payment_state(paid_silently["payment_id"]) == ("succeeded", None)
    assert await harness.payment_state(never_paid["payment_id"]) == ("pending", None)  # the Treasury says pending
    await harness.wait_events("billing.payment.succeeded", payment_id=paid_silently["payment_id"])

    await resolve_overdue(_ctx(harness, now + timedelta(minutes=45)))
    assert await harness.payment_state(never_paid["payment_id"]) == ("expired", None)
    (failed,) = await harness.wait_events("billing.payment.failed", payment_id=never_paid["payment_id"])
    assert failed["reason"] == "expired"
    assert len(harness.events("billing.payment.succeeded", payment_id=paid_silently["payment_id"])) == 1


async def test_a_payment_the_provider_never_opened_fails(harness):
    fam = await harness.family(qf=500)
    payment_id = uuid.uuid4()
    async with harness.db.acquire() as conn:
        # A crash between the payment's commit and the provider's answer leaves it « created ».
        from billing.domain.money import Money
        from billing.domain.payments import Payment
        from billing.store.payments import Payments

        made = Payment.create(
            id=payment_id, family_id=fam.dossier_id, purpose="basket", subject_id=uuid.uuid4(), amount=Money(150),
            provider="simulated", at=datetime.now(UTC) - timedelta(hours=1),
        )  # fmt: skip
        async with conn.transaction():
            await Payments(conn).insert(
                made.payment, checkout_id=uuid.uuid4(), basket_expires_at=None, return_url=None, lines=[]
            )
    await resolve_overdue(_ctx(harness, datetime.now(UTC)))
    assert await harness.payment_state(payment_id) == ("failed", None)
    (failed,) = await harness.wait_events("billing.payment.failed", payment_id=payment_id)
    assert failed["reason"] == "not_started"


async def test_an_abandoned_payment_paid_without_notification_still_becomes_a_credit(harness):
    fam = await harness.family(qf=500)
    params, answer = await harness.checkout(fam, [D1])
    await harness.publish(
        "planning.basket.expired",
        {"basket_id": params["basket_id"], "checkout_id": params["checkout_id"], "dossier_id": str(fam.dossier_id)},
    )
    await harness.wait_events("billing.payment.failed", payment_id=answer["payment_id"])
    await harness.decide(answer["payment_url"].rsplit("=", 1)[1], "pay")  # paid; the notification is lost
    await resolve_overdue(_ctx(harness, datetime.now(UTC) + timedelta(minutes=1)))
    (credit,) = await harness.wait_events("billing.credit.granted", payment_id=answer["payment_id"])
    assert (credit["reason"], credit["amount_cents"]) == ("late_payment", 150)
    assert await harness.payment_state(answer["payment_id"]) == ("succeeded", "credited")


class TreasuryDown:
    """The Treasury unreachable: every call fails as a network error would."""

    name = "simulated"
    pending_grace = timedelta(minutes=5)

    async def start(self, **_):
        raise ConnectionError("unreachable")

    async def result(self, idop):
        raise ConnectionError("unreachable")


async def test_a_provider_that_cannot_open_the_operation_fails_the_payment_and_gives_credits_back(harness):
    from billing.providers import ProviderUnavailable
    from billing.service import checkout, settlement

    fam = await harness.family(qf=500)
    await harness.request(
        "POST", f"/api/billing/admin/dossiers/{fam.dossier_id}/credits",
        json={"amount_cents": 100, "label": "Avoir"}, headers=harness.staff_headers(), expect=201,
    )  # fmt: skip
    ctx = Billing(pool=harness.db, provider=TreasuryDown())
    checkout_id = uuid.uuid4()
    params = checkout.CreatePaymentParams(
        dossier_id=fam.dossier_id,
        basket_id=uuid.uuid4(),
        checkout_id=checkout_id,
        expires_at=datetime.now(UTC) + timedelta(minutes=20),
        lines=harness.lines(fam, [D1, date(2026, 12, 15)]),
    )
    try:
        await checkout.create_payment(ctx, params)
        raise AssertionError("the payment was created without its operation")
    except ProviderUnavailable:
        pass
    payment_id = await harness.db.fetchval("SELECT id FROM payments WHERE checkout_id = $1", checkout_id)
    assert await harness.payment_state(payment_id) == ("failed", None)
    (failed,) = await harness.wait_events("billing.payment.failed", payment_id=payment_id)
    assert failed["reason"] == "not_started"
    assert (await harness.account(fam))["credit_cents"] == 100
    await settlement.notification(ctx, "0123456789abcdef")  # cannot ask: nothing happens, nothing raises
    # A payment opened while the Treasury was up is never expired while it cannot be asked about.
    _, pending = await harness.checkout(fam, [date(2026, 12, 17)])
    later = Billing(pool=harness.db, provider=TreasuryDown(), clock=lambda: datetime.now(UTC) + timedelta(hours=1))
    assert await resolve_overdue(later) >= 1
    assert await harness.payment_state(pending["payment_id"]) == ("pending", None)
