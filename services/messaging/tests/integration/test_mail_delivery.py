"""Delivery against a real SMTP server that goes away, refuses, or asks to wait."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from servicekit.testing import eventually


async def test_smtp_down_then_up_sends_each_email_exactly_once(harness):
    addresses = [harness.unique_address("outage") for _ in range(3)]
    await asyncio.to_thread(harness.sink.stop)
    try:
        for address in addresses:
            await harness.publish("accounts.user.registered", harness.registered_event(address))

        async def all_attempted_and_kept():
            rows = await harness.db.fetch(
                "SELECT state, attempts, last_error FROM emails WHERE to_address = ANY($1)", addresses
            )
            return len(rows) == 3 and all(
                r["state"] == "pending" and r["attempts"] >= 1 and r["last_error"] for r in rows
            )

        await eventually(all_attempted_and_kept, timeout=15)
    finally:
        await asyncio.to_thread(harness.sink.start)

    async def all_sent():
        return await harness.count("emails", "to_address = ANY($1) AND state = 'sent'", addresses) == 3

    await eventually(all_sent, timeout=15)
    # A few more rounds of the sender: nothing is sent a second time.
    await asyncio.sleep(3 * harness.settings.outbox_poll_seconds)
    received = [r for a in addresses for r in harness.mail.to(a)]
    per_message_id = Counter(r.message_id for r in received)
    assert len(per_message_id) == 3 and set(per_message_id.values()) == {1}
    rows = await harness.db.fetch(
        "SELECT message_id, attempts, sent_at FROM emails WHERE to_address = ANY($1)", addresses
    )
    assert {r["message_id"] for r in rows} == set(per_message_id)
    assert all(r["attempts"] >= 2 and r["sent_at"] is not None for r in rows)


async def test_permanent_refusal_bounces_lists_the_address_and_suppresses_later_emails(harness):
    refused, fine = harness.unique_address("refused"), harness.unique_address("fine")
    harness.mail.bounce.add(refused)
    first = harness.registered_event(refused)
    await harness.publish("accounts.user.registered", first)
    await harness.publish("accounts.user.registered", harness.registered_event(fine))
    await harness.wait_for_mail(fine)

    async def bounced():
        return await harness.count("emails", "to_address = $1 AND state = 'bounced'", refused) == 1

    await eventually(bounced)
    row = await harness.db.fetchrow("SELECT * FROM emails WHERE to_address = $1", refused)
    assert row["attempts"] == 1 and row["last_error"].startswith("550")
    assert refused not in row["last_error"]  # the server's text, addresses removed
    assert row["body_text"] is None  # the token is gone with the bounce

    # Staff see the address, masked.
    response = await harness.client.get(
        "/api/messaging/admin/bounced-addresses", headers=harness.staff("messaging_staff")
    )
    assert response.status == 200
    listed = [a for a in (await response.json())["addresses"] if a["user_id"] == first["user_id"]]
    assert len(listed) == 1
    masked = listed[0]["address"]
    assert masked.endswith("@example.org") and masked != refused and "***" in masked

    # A later e-mail to that address is not attempted at all.
    harness.mail.bounce.discard(refused)
    await harness.publish("accounts.user.activation_resent", dict(first, activation_token="act-again"))

    async def suppressed():
        return await harness.count("emails", "to_address = $1 AND state = 'suppressed'", refused) == 1

    await eventually(suppressed)
    assert harness.mail.to(refused) == []

    # Once staff lift it, e-mails to the address are attempted again.
    response = await harness.client.delete(
        f"/api/messaging/admin/bounced-addresses/{listed[0]['id']}", headers=harness.staff("accounts_staff")
    )
    assert response.status == 204
    await harness.publish("accounts.user.activation_resent", dict(first, activation_token="act-third"))
    [mail] = await harness.wait_for_mail(refused)
    assert mail.link("/activation")[1] == {"token": ["act-third"]}


async def test_a_temporary_refusal_is_retried_with_back_off(harness):
    address = harness.unique_address("greylisted")
    harness.mail.greylist[address] = 2
    await harness.publish("accounts.user.registered", harness.registered_event(address))
    [mail] = await harness.wait_for_mail(address, timeout=15)

    async def recorded_sent() -> bool:
        # The sink has the message once the SMTP exchange ends; the sender records it just after.
        row = await harness.db.fetchrow("SELECT * FROM emails WHERE to_address = $1", address)
        return row["state"] != "pending"

    await eventually(recorded_sent)
    row = await harness.db.fetchrow("SELECT * FROM emails WHERE to_address = $1", address)
    assert row["state"] == "sent" and row["attempts"] == 3
    assert row["message_id"] == mail.message_id


async def test_delivery_log_for_messaging_staff_masks_addresses(harness):
    address = harness.unique_address("logged")
    data = harness.registered_event(address)
    await harness.publish("accounts.user.registered", data)
    await harness.wait_for_mail(address)

    async def logged():
        response = await harness.client.get(
            f"/api/messaging/admin/emails?user_id={data['user_id']}&state=sent",
            headers=harness.staff("messaging_staff"),
        )
        entries = (await response.json())["emails"]
        return len(entries) == 1 and entries[0]

    await eventually(logged)
    response = await harness.client.get(
        f"/api/messaging/admin/emails?user_id={data['user_id']}", headers=harness.staff("messaging_staff")
    )
    [entry] = (await response.json())["emails"]
    assert entry["kind"] == "activation" and entry["state"] == "sent" and entry["attempts"] == 1
    assert entry["to"] != address and entry["to"].endswith("@example.org")
    assert entry["sent_at"] and entry["created_at"] and entry["next_attempt_at"] is None
    assert address not in await response.text()

    for who in (harness.staff("planning_staff"), harness.headers(uuid.uuid4())):
        response = await harness.client.get("/api/messaging/admin/emails", headers=who)
        assert response.status == 403
        assert response.content_type == "application/problem+json"
    response = await harness.client.get(
        "/api/messaging/admin/emails?state=lost", headers=harness.staff("messaging_staff")
    )
    assert response.status == 422
