"""The book-and-pay saga (docs/saga.md) through the gateway's API, with the real processes.

accounts, messaging, planning, billing and the gateway run as their console scripts
(tests/system/stack.py) with their demonstration data; parents call the gateway with
bearer tokens. The simulated Treasury's decision is taken at billing's internal endpoint,
as the gateway's Treasury page does; its notification is posted to the gateway's public
path, as the Treasury's server would.

- The demo family (dossier 404) books two canteen days, pays, and the notification comes
  5 times at once: 1 confirmation, 1 ``billing.payment.succeeded``, 1 receipt, 1 booking
  e-mail.
- A forged notification (an idop nobody issued) changes nothing anywhere.
- Another family asking for that payment gets 404.
- A second family pays after its basket expired (``PLANNING_BASKET_HOLD_MINUTES=1``, the
  expiry job every half second): its money becomes a credit and the day is not booked.
  That basket is checked out first, so its minute runs while the other tests do.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from portal_stack.stack import (
    Parent,
    days_in_state,
    month_with_bookable_days,
    running_stack,
    saga_mails,
    text_of,
)
from servicekit.testing import eventually

pytestmark = pytest.mark.timeout(240)

DEMO_EMAIL = "arnaud.lederf@example.org"
HOLD_MINUTES = 1
PASSWORD = "une phrase de passe bien longue"


@pytest.fixture(scope="module")
async def stack(make_database, sink, tmp_path_factory):
    env = {"PLANNING_BASKET_HOLD_MINUTES": str(HOLD_MINUTES), "PLANNING_EXPIRY_INTERVAL_SECONDS": "0.5"}
    async with running_stack(
        make_database,
        smtp_port=sink.port,
        logs=tmp_path_factory.mktemp("book-and-pay-logs"),
        label="bookpay",
        demo=("accounts", "messaging", "planning", "billing"),
        env=env,
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
async def month(stack, lederf) -> str:
    """Next month, usually: the demo family pays its first two bookable canteen days, the
    other family its last one, so that no day is shared."""
    child, canteen = await lederf.child_and_activity("Cantine")
    return await month_with_bookable_days(stack, lederf, child, canteen, 3)


# --- a second family, made the way the town and a parent would ---------------------------


@pytest.fixture(scope="module")
async def other_family(stack, http, sink, lederf) -> dict:
    """Dossier made by staff with one child, enrolled in the canteen by planning's staff,
    the parent's account registered, activated from its e-mail, and signed in."""
    tag = secrets.token_hex(3)
    address = f"famille.martin.{tag}@example.org"
    number = f"BP{tag}".upper()
    _, canteen = await lederf.child_and_activity("Cantine")
    dossier = {
        "number": number,
        "family_name": "MARTIN",
        "adults": [{"last_name": "Martin", "first_name": "Claire", "email": address, "phone": "06 11 22 33 44"}],
        "children": [
            {"first_name": "Léa", "last_name": "Martin", "birth_date": "2018-04-02", "school": "École Jules Ferry",
             "level": "CE2"}
        ],
    }  # fmt: skip
    async with http.post(
        stack.url("accounts") + "/api/accounts/admin/dossiers", json=dossier, headers=stack.staff_headers()
    ) as resp:
        assert resp.status == 201, await resp.text()
        made = await resp.json()
    dossier_id = made["id"]
    child_id = made["children"][0]["id"]

    async def enrolled() -> bool:  # 404 until accounts.child.added has reached planning
        async with http.post(
            stack.url("planning") + "/api/planning/admin/enrolments",
            json={"child_id": child_id, "activity_id": canteen},
            headers=stack.staff_headers("planning_staff"),
        ) as resp:
            assert resp.status in (200, 201, 404), await resp.text()
            return resp.status in (200, 201)

    await eventually(enrolled, timeout=30, interval=0.2)
    async with http.get(stack.gateway_url + "/api/accounts/terms") as resp:
        terms = (await resp.json())["version"]
    registration = {
        "last_name": "Martin", "first_name": "Claire", "email": address, "username": f"cmartin{tag}",
        "password": PASSWORD, "dossier_number": number, "dossier_name": "Martin", "terms_version": terms,
    }  # fmt: skip
    async with http.post(stack.gateway_url + "/api/accounts/registrations", json=registration) as resp:
        assert resp.status == 201, await resp.text()
    await eventually(lambda: _has(sink, address), timeout=30, interval=0.2)
    link = next(word for word in text_of(sink.to(address)[0]).split() if "/activation?token=" in word)
    token = parse_qs(urlsplit(link).query)["token"][0]
    async with http.post(stack.gateway_url + "/api/accounts/activations", json={"token": token}) as resp:
        assert resp.status == 200, await resp.text()
    parent = await Parent.login(http, stack.gateway_url, f"cmartin{tag}", PASSWORD)
    return {"parent": parent, "dossier_id": dossier_id, "child_id": child_id, "canteen": canteen, "email": address}


async def _has(sink, address: str, count: int = 1) -> bool:
    return len(sink.to(address)) >= count


@pytest.fixture(scope="module")
async def late_basket(stack, other_family, month) -> dict:
    """The second family's « Payer », made early: its hold runs out while other tests run."""
    parent, child, canteen = other_family["parent"], other_family["child_id"], other_family["canteen"]
    # The month's last bookable day: the demo family books its first ones meanwhile.
    day = days_in_state(await parent.month(child, month), canteen, "bookable")[-1]
    await parent.book(child, month, canteen, [day["date"]])
    basket = await parent.get("/api/planning/basket")
    answer = await parent.checkout()
    assert answer["status"] == "payment_pending", answer
    return {**answer, "month": month, "day": day, "basket": basket, "started": time.monotonic()}


# --- helpers ----------------------------------------------------------------------------------


def idop_of(payment_url: str) -> str:
    return parse_qs(urlsplit(payment_url).query)["idop"][0]


async def outbox_count(stack, service: str, event_type: str, payment_id) -> int:
    return await stack.fetchval(
        service,
        "SELECT count(*) FROM outbox WHERE event_type = $1 AND envelope->'data'->>'payment_id' = $2",
        event_type,
        str(payment_id),
    )


async def snapshot(stack) -> dict:
    """What a notification could change: billing's payments, ledger, credits and events,
    planning's reservations, baskets and events."""
    billing, planning = await stack.connection("billing"), await stack.connection("planning")
    return {
        "billing_outbox": await billing.fetchval("SELECT count(*) FROM outbox"),
        "payments": [tuple(r) for r in await billing.fetch("SELECT * FROM payments ORDER BY id")],
        "ledger": await billing.fetchval("SELECT count(*) FROM ledger_entries"),
        "credits": await billing.fetchval("SELECT count(*) FROM credits"),
        "planning_outbox": await planning.fetchval("SELECT count(*) FROM outbox"),
        "reservations": await planning.fetchval("SELECT count(*) FROM reservations"),
        "baskets": [tuple(r) for r in await planning.fetch("SELECT id, status FROM baskets ORDER BY id")],
    }


# --- the tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def paid(stack, http, sink, lederf, late_basket, month) -> dict:
    """Two canteen days booked and paid by the demo family; the notification sent 5 times at once."""
    child, canteen = await lederf.child_and_activity("Cantine")
    days = [d["date"] for d in days_in_state(await lederf.month(child, month), canteen, "bookable")[:2]]
    assert len(days) == 2, f"fewer than two bookable canteen days in {month}"
    valid = await lederf.book(child, month, canteen, days)
    basket = await lederf.get("/api/planning/basket")
    answer = await lederf.checkout()
    assert answer["status"] == "payment_pending", answer
    idop = idop_of(answer["payment_url"])
    operation = await stack.treasury_decide(http, idop, "pay")
    assert operation["state"] == "paid" and operation["amount_cents"] == basket["to_pay_cents"]
    statuses = await asyncio.gather(*(stack.treasury_notify(http, idop) for _ in range(5)))
    assert statuses == [200] * 5
    return {"child": child, "canteen": canteen, "month": month, "days": days, "valid": valid, "basket": basket,
            "payment_id": answer["payment_id"], "idop": idop}  # fmt: skip


async def test_five_notifications_at_once_confirm_once(stack, lederf, sink, paid):
    payment_id = paid["payment_id"]

    async def confirmed() -> bool:
        return (await lederf.get(f"/api/billing/payments/{payment_id}"))["status"] == "succeeded" and (
            await stack.fetchval("planning", "SELECT count(*) FROM reservations WHERE payment_id = $1", payment_id)
        ) == len(paid["days"])

    await eventually(confirmed, timeout=30, interval=0.2)
    payment = await lederf.get(f"/api/billing/payments/{payment_id}")

    def mails() -> tuple[list, list]:
        return saga_mails(sink, DEMO_EMAIL, payment["reference"], paid["days"])

    async def both_sent() -> bool:
        return all(mails())

    await eventually(both_sent, timeout=30, interval=0.2)
    await asyncio.sleep(2)  # several outbox and sender polls: a duplicate would have come by now
    receipts, confirmations = mails()
    assert len(receipts) == 1 and len(confirmations) == 1
    assert await outbox_count(stack, "billing", "billing.payment.succeeded", payment_id) == 1
    assert await outbox_count(stack, "planning", "planning.reservations.confirmed", payment_id) == 1
    assert await stack.fetchval(
        "planning", "SELECT count(*) FROM reservations WHERE payment_id = $1 AND status = 'confirmed'", payment_id
    ) == len(paid["days"])
    # What was paid is what billing quoted at « Valider », credit deducted, to the cent.
    assert payment["amount_cents"] == paid["basket"]["to_pay_cents"]
    assert payment["amount_cents"] + payment["credit_used_cents"] == paid["valid"]["period_cost_cents"]
    grid = await lederf.month(paid["child"], paid["month"])
    assert {d["date"] for d in days_in_state(grid, paid["canteen"], "booked")} >= set(paid["days"])
    assert (await lederf.get("/api/planning/basket"))["lines"] == []


async def test_a_forged_notification_changes_nothing(stack, http, paid, lederf):
    before = await snapshot(stack)
    for idop in (f"forged-{secrets.token_hex(8)}", str(uuid.uuid4())):
        assert await stack.treasury_notify(http, idop) == 200
    await asyncio.sleep(1)  # more than two outbox polls
    assert await snapshot(stack) == before


async def test_another_familys_payment_is_404(paid, other_family, lederf):
    status, body = await other_family["parent"].call("GET", f"/api/billing/payments/{paid['payment_id']}")
    assert status == 404, body
    assert body["title"]  # a French problem, not the payment
    assert "amount_cents" not in body


async def test_a_late_payment_becomes_a_credit(stack, http, other_family, late_basket):
    parent = other_family["parent"]
    payment_id = late_basket["payment_id"]
    before = await parent.get("/api/billing/account")

    async def expired() -> bool:
        basket = await stack.fetch("planning", "SELECT status FROM baskets WHERE id = $1", late_basket["basket_id"])
        payment = await parent.get(f"/api/billing/payments/{payment_id}")
        return basket[0]["status"] == "released" and payment["status"] == "expired"

    left = HOLD_MINUTES * 60 - (time.monotonic() - late_basket["started"])
    await eventually(expired, timeout=max(left, 0) + 30, interval=0.5)
    idop = idop_of(late_basket["payment_url"])
    operation = await stack.treasury_decide(http, idop, "pay")
    assert operation["state"] == "paid" and operation["amount_cents"] == late_basket["basket"]["to_pay_cents"]
    assert await stack.treasury_notify(http, idop) == 200

    async def credited() -> bool:
        return (await parent.get(f"/api/billing/payments/{payment_id}"))["status"] == "credited"

    await eventually(credited, timeout=30, interval=0.2)
    account = await parent.get("/api/billing/account")
    assert account["credit_cents"] == before["credit_cents"] + operation["amount_cents"] > 0
    grid = await parent.month(other_family["child_id"], late_basket["month"])
    day = next(
        d
        for a in grid["activities"]
        if a["id"] == other_family["canteen"]
        for d in a["days"]
        if d["date"] == late_basket["day"]["date"]
    )
    assert day["state"] != "booked" and not day["booked"]
    assert day["places_left"] == late_basket["day"]["places_left"]  # the held place came back
    assert not await stack.fetchval(
        "planning", "SELECT count(*) FROM reservations WHERE payment_id = $1", uuid.UUID(payment_id)
    )
