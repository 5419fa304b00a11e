"""A closure added after a family booked and paid (issue 8), with the real processes.

accounts, messaging, planning, billing and the gateway run as their console scripts
(tests/system/stack.py) with their demonstration data, on the real PostgreSQL, RabbitMQ
and an aiosmtpd sink. The demo family (dossier 404) books and pays a canteen day at the
simulated Treasury; staff then close the canteen that day:

- the reservation is cancelled, its place freed, billing credits what was paid in full
  (whatever the deadline), and the family gets the closure e-mail (child, day, activity);
- the same closure posted again cancels nothing, credits nothing and e-mails nobody again;
- a day closed while its basket is being paid is never confirmed: the payment goes
  through, that day's share becomes a credit.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from messaging.mail.compose import format_day_fr
from portal_stack.stack import Parent, days_in_state, month_with_bookable_days, running_stack, text_of
from servicekit.testing import eventually

pytestmark = pytest.mark.timeout(240)

DEMO_EMAIL = "arnaud.lederf@example.org"


@pytest.fixture(scope="module")
async def stack(make_database, sink, tmp_path_factory):
    async with running_stack(
        make_database,
        smtp_port=sink.port,
        logs=tmp_path_factory.mktemp("closure-logs"),
        label="closure",
        demo=("accounts", "messaging", "planning", "billing"),
    ) as stack:
        yield stack


async def pay(stack, http, payment_url: str) -> None:
    """The Treasury: the parent pays, then its server notifies billing through the gateway.
    (The demo family's credit may have covered it all: then there is nothing to pay.)"""
    idop = parse_qs(urlsplit(payment_url or "").query).get("idop", [None])[0]
    if idop is None:
        return
    await stack.treasury_decide(http, idop, "pay")
    assert await stack.treasury_notify(http, idop) == 200


async def close(stack, http, activity_id: str, day: str, label: str) -> tuple[int, dict]:
    body = {"activity_id": activity_id, "from": day, "to": day, "label": label}
    async with http.post(
        stack.url("planning") + "/api/planning/admin/closures", json=body, headers=stack.staff_headers("planning_staff")
    ) as resp:
        return resp.status, await resp.json()


def day_of(grid: dict, activity_id: str, iso: str) -> dict:
    activity = next(a for a in grid["activities"] if a["id"] == activity_id)
    return next(d for d in activity["days"] if d["date"] == iso)


def closure_mails(sink, label: str) -> list[str]:
    return [text_of(m) for m in sink.to(DEMO_EMAIL) if label in str(m["Subject"])]


async def credit_cents(parent: Parent) -> int:
    return (await parent.get("/api/billing/account"))["credit_cents"]


@pytest.fixture(scope="module")
async def days(stack, lederf) -> dict:
    child, canteen = await lederf.child_and_activity("Cantine")
    month = await month_with_bookable_days(stack, lederf, child, canteen, 3)
    bookable = [d["date"] for d in days_in_state(await lederf.month(child, month), canteen, "bookable")]
    return {"child": child, "canteen": canteen, "month": month, "paid": bookable[0], "paying": bookable[1:3]}


async def test_a_closure_cancels_a_paid_day_credits_it_and_tells_the_family_once(stack, http, sink, lederf, days):
    child, canteen, month, day = days["child"], days["canteen"], days["month"], days["paid"]
    await lederf.book(child, month, canteen, [day])
    quoted = (await lederf.get("/api/planning/basket"))["total_cents"]
    answer = await lederf.checkout()
    await pay(stack, http, answer.get("payment_url"))

    async def booked() -> bool:
        return day_of(await lederf.month(child, month), canteen, day)["state"] == "booked"

    await eventually(booked, timeout=30, interval=0.2)
    places_when_booked = day_of(await lederf.month(child, month), canteen, day)["places_left"]
    credit_before = await credit_cents(lederf)

    label = f"Grève {secrets.token_hex(2)}"
    status, closure = await close(stack, http, canteen, day, label)
    assert status == 201, closure
    assert (closure["cancelled_reservations"], closure["families_notified"]) == (1, 1)
    assert await stack.fetchval(
        "planning", "SELECT status FROM reservations WHERE payment_id = $1", answer["payment_id"]
    ) == "cancelled"  # fmt: skip
    closed = day_of(await lederf.month(child, month), canteen, day)
    assert (closed["state"], closed["reason"], closed["label"], closed["booked"]) == ("closed", "closure", label, False)
    places = await stack.fetch(
        "planning", "SELECT confirmed, held FROM day_places WHERE activity_id = $1 AND day = $2",
        canteen, date.fromisoformat(day),
    )  # fmt: skip
    assert tuple(places[0]) == (0, 0) and places_when_booked is not None  # the paid place is free again

    async def credited() -> bool:
        return await credit_cents(lederf) == credit_before + quoted

    await eventually(credited, timeout=30, interval=0.2)
    assert quoted > 0

    async def mailed() -> bool:
        return len(closure_mails(sink, label)) == 1

    await eventually(mailed, timeout=30, interval=0.2)
    [text] = closure_mails(sink, label)
    assert "Arthur" in text and format_day_fr(date.fromisoformat(day)) in text and "Cantine (11h30 à 13h30)" in text
    assert "rendu en totalité sous forme d'avoir" in text

    # Posted twice: the same closure, nothing more cancelled, credited or e-mailed.
    status, again = await close(stack, http, canteen, day, label)
    assert status == 200 and again["id"] == closure["id"] and again["cancelled_reservations"] == 0
    await asyncio.sleep(2)  # several outbox, consumer and sender polls
    assert await credit_cents(lederf) == credit_before + quoted
    assert len(closure_mails(sink, label)) == 1
    assert await stack.fetchval(
        "billing", "SELECT count(*) FROM credits WHERE payment_id = $1", answer["payment_id"]
    ) == 1  # fmt: skip


async def test_a_day_closed_while_its_basket_is_paid_is_credited_never_confirmed(stack, http, sink, lederf, days):
    """Two days in the basket (so that the credit of the first test cannot cover it all):
    the first is closed while the payment is under way."""
    child, canteen, month = days["child"], days["canteen"], days["month"]
    closed_day, kept_day = days["paying"]
    credit_before = await credit_cents(lederf)
    await lederf.book(child, month, canteen, [closed_day, kept_day])
    lines = {line["date"]: line["amount_cents"] for line in (await lederf.get("/api/planning/basket"))["lines"]}
    answer = await lederf.checkout()
    assert answer["status"] == "payment_pending", answer

    label = f"Inondation {secrets.token_hex(2)}"
    status, closure = await close(stack, http, canteen, closed_day, label)
    assert status == 201, closure
    assert (closure["cancelled_reservations"], closure["withdrawn_basket_lines"]) == (0, 1)
    await pay(stack, http, answer["payment_url"])

    async def confirmed() -> bool:
        return day_of(await lederf.month(child, month), canteen, kept_day)["state"] == "booked"

    await eventually(confirmed, timeout=30, interval=0.2)
    payment = await lederf.get(f"/api/billing/payments/{answer['payment_id']}")
    assert payment["status"] == "succeeded"

    async def credited() -> bool:  # what the credit paid of this basket is spent; the closed day comes back
        return await credit_cents(lederf) == credit_before - payment["credit_used_cents"] + lines[closed_day]

    await eventually(credited, timeout=30, interval=0.2)
    assert lines[closed_day] > 0
    booked = await stack.fetch(
        "planning", "SELECT day FROM reservations WHERE payment_id = $1", answer["payment_id"]
    )  # fmt: skip
    assert [r["day"].isoformat() for r in booked] == [kept_day]
    closed = day_of(await lederf.month(child, month), canteen, closed_day)
    assert closed["state"] == "closed" and not closed["booked"]

    async def mailed() -> bool:
        return len(closure_mails(sink, label)) == 1

    await eventually(mailed, timeout=30, interval=0.2)
