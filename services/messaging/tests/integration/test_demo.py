"""The demo loader goes through the use cases: idempotent, complete, never in production."""

from __future__ import annotations

import uuid

import pytest
from accounts import events as accounts_events
from messaging import demo
from servicekit.testing import eventually

TABLES = ("themes", "reply_templates", "dossiers", "children", "threads", "messages", "emails", "outbox")


async def counts(harness) -> dict[str, int]:
    return {table: await harness.count(table) for table in TABLES}


async def test_demo_data_load_twice_add_nothing_the_second_time(harness):
    # The harness loaded them once already.
    before = await counts(harness)
    await demo.load(harness.db, harness.settings)
    assert await counts(harness) == before
    assert {code for code, *_ in demo.DEMO_THEMES} <= set(harness.themes)
    family = await harness.db.fetchrow("SELECT * FROM dossiers WHERE dossier_id = $1", demo.DEMO_DOSSIER_ID)
    assert family["number"] == "404" and family["family_name"] == "LE DERF"
    assert await harness.count("children", "child_id = $1 AND first_name = 'Arthur'", demo.DEMO_CHILD_ID) == 1


async def test_the_demo_thread_waits_for_the_family_then_is_made_once(harness):
    subject = demo.DEMO_THREAD_SUBJECT
    assert await harness.count("threads", "subject = $1", subject) == 0  # lederf unknown yet
    address = harness.unique_address("lederf")
    user = accounts_events.UserActivated(
        user_id=uuid.uuid4(),
        username="lederf",
        email=address,
        first_name="Arnaud",
        last_name="Le Derf",
        dossier_id=demo.DEMO_DOSSIER_ID,
    )
    await harness.publish(user)

    async def known():
        return await harness.count("contacts", "dossier_id = $1", demo.DEMO_DOSSIER_ID) == 1

    await eventually(known)
    await demo.load(harness.db, harness.settings)
    await demo.load(harness.db, harness.settings)
    thread = await harness.db.fetchrow("SELECT * FROM threads WHERE subject = $1", subject)
    assert thread["user_id"] == user.user_id and thread["dossier_id"] == demo.DEMO_DOSSIER_ID
    kinds = [
        r["author_kind"]
        for r in await harness.db.fetch(
            "SELECT author_kind FROM messages WHERE thread_id = $1 ORDER BY created_at", thread["id"]
        )
    ]
    assert kinds == ["parent", "staff"]
    # Made by the use cases: their events and the reply notice came with them.
    assert await harness.count("outbox", "envelope->'data'->>'thread_id' = $1", str(thread["id"])) == 2
    [notice] = await harness.wait_for_mail(address)
    assert notice.message["Subject"] == "La mairie a répondu à votre message"


async def test_demo_data_refuse_production(harness):
    production = harness.settings.model_copy(update={"environment": "production"})
    with pytest.raises(RuntimeError):
        await demo.load(harness.db, production)
