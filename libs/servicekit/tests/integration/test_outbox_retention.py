"""No secret at rest: secret fields are wiped when an event is published; published
outbox rows and old inbox rows go after their retention period (issue 11, point 5)."""

from __future__ import annotations

import json
import secrets
import tempfile
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import Field
from servicekit.bus import Bus
from servicekit.db import create_pool, migrate
from servicekit.events import IntegrationEvent
from servicekit.outbox import WIPED, OutboxRelay, purge_retained
from servicekit.testing import event_tap
from servicekit.uow import UnitOfWork


class LinkSent(IntegrationEvent):
    type = "test.link.sent"
    version = 1

    user_id: uuid.UUID
    link_token: str = Field(json_schema_extra={"secret": True})
    note: str


class Plain(IntegrationEvent):
    type = "test.plain.happened"
    version = 1

    note: str


class Uow(UnitOfWork):
    source = "test"


@pytest.fixture
async def db(make_database):
    dsn = await make_database("retention")
    with tempfile.TemporaryDirectory() as tmp:
        await migrate(dsn, tmp)
    pool = await create_pool(dsn)
    yield dsn, pool
    await pool.close()


def test_secret_fields_are_declared_on_the_event_class():
    assert LinkSent.secret_fields() == ("link_token",)
    assert Plain.secret_fields() == ()


async def test_publication_wipes_secret_fields_in_the_row_but_consumers_get_them(db, amqp_url):
    dsn, pool = db
    exchange = f"test.events.{uuid.uuid4().hex[:8]}"
    bus = Bus(amqp_url, exchange, "retention", delivery_limit=3)
    await bus.connect()
    token = secrets.token_urlsafe(32)
    try:
        async with event_tap(amqp_url, exchange) as tap:
            async with Uow(pool) as uow:
                await uow.publish(LinkSent(user_id=uuid.uuid4(), link_token=token, note="kept"))
                await uow.publish(Plain(note="plain"))
                await uow.commit()
            # before publication the row must hold the token: the relay has to send it
            assert await pool.fetchval("SELECT count(*) FROM outbox WHERE envelope::text LIKE $1", f"%{token}%") == 1
            assert await OutboxRelay(pool, bus.publish, dsn=dsn).drain() == 2
            ids = [r["event_id"] for r in await pool.fetch("SELECT event_id FROM outbox ORDER BY id")]
            received = await tap.wait_for(ids)
        assert received[0]["data"]["link_token"] == token  # the consumer got the real token
        rows = await pool.fetch("SELECT envelope::text AS e, published_at FROM outbox ORDER BY id")
        assert all(r["published_at"] is not None for r in rows)
        assert not any(token in r["e"] for r in rows)
        link, plain = (json.loads(r["e"]) for r in rows)
        assert link["data"]["link_token"] == WIPED and link["data"]["note"] == "kept"
        assert plain["data"] == {"note": "plain"}
    finally:
        await bus.channel.exchange_delete(exchange)
        await bus.close()


async def test_published_outbox_rows_and_old_inbox_rows_are_purged_after_retention(db):
    dsn, pool = db
    now = datetime.now(UTC)
    await pool.execute(
        """
        INSERT INTO outbox (event_id, event_type, envelope, published_at) VALUES
          (gen_random_uuid(), 'test.old.published', '{}', $1),
          (gen_random_uuid(), 'test.new.published', '{}', $2),
          (gen_random_uuid(), 'test.old.pending', '{}', NULL)
        """,
        now - timedelta(hours=80),
        now - timedelta(hours=1),
    )
    await pool.execute(
        "UPDATE outbox SET created_at = $1 WHERE event_type = 'test.old.pending'", now - timedelta(days=9)
    )
    await pool.execute(
        """
        INSERT INTO inbox (event_id, event_type, handled_at) VALUES
          (gen_random_uuid(), 'test.old.handled', $1), (gen_random_uuid(), 'test.new.handled', $2)
        """,
        now - timedelta(days=31),
        now - timedelta(days=29),
    )
    outbox, inbox = await purge_retained(
        pool, outbox_before=now - timedelta(hours=72), inbox_before=now - timedelta(days=30)
    )
    assert (outbox, inbox) == (1, 1)
    kept = {
        r["event_type"]
        for r in await pool.fetch("SELECT event_type FROM outbox UNION ALL SELECT event_type FROM inbox")
    }
    # an event not yet published is never purged, however old
    assert kept == {"test.new.published", "test.old.pending", "test.new.handled"}
