"""Proofs of the event plumbing against the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from pathlib import Path

import aio_pika
import asyncpg
import pytest
from servicekit.bus import Bus
from servicekit.consumer import IdempotentConsumer
from servicekit.db import create_pool, migrate
from servicekit.events import Envelope, add_to_outbox, make_envelope
from servicekit.outbox import OutboxRelay
from servicekit.testing import eventually, rabbitmqctl

EFFECTS_SQL = "CREATE TABLE effects (event_id uuid NOT NULL, note text);"


@pytest.fixture
async def db(make_database):
    dsn = await make_database("plumbing")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "0001_effects.sql").write_text("-- depends: 0000_servicekit_outbox_inbox\n" + EFFECTS_SQL)
        await migrate(dsn, tmp)
    pool = await create_pool(dsn)
    yield dsn, pool
    await pool.close()


@pytest.fixture
async def bus(amqp_url):
    """A bus on its own exchange and service name, so tests never see each other's events."""
    suffix = uuid.uuid4().hex[:8]
    bus = Bus(amqp_url, f"test.events.{suffix}", f"svc{suffix}", delivery_limit=3)
    await bus.connect()
    yield bus
    with contextlib.suppress(Exception):
        await bus.channel.queue_delete(bus.queue_name)
        await bus.channel.queue_delete(bus.dead_letter_queue_name)
        await bus.channel.exchange_delete(bus.exchange_name)
        await bus.channel.exchange_delete(bus.dead_letter_exchange_name)
    await bus.close()


async def record_effect(conn: asyncpg.Connection, envelope: Envelope) -> None:
    if envelope.data.get("poison"):
        raise ValueError("this event cannot be handled")
    await conn.execute("INSERT INTO effects (event_id, note) VALUES ($1, $2)", envelope.id, envelope.data.get("note"))


HANDLERS = {"test.thing.happened": record_effect}


async def count(pool, sql: str, *args) -> int:
    return await pool.fetchval(sql, *args)


async def write_event(pool, note: str, *, data: dict | None = None) -> Envelope:
    envelope = make_envelope("test.thing.happened", data or {"note": note}, source="test")
    async with pool.acquire() as conn, conn.transaction():
        await add_to_outbox(conn, envelope)
    return envelope


async def test_rolled_back_event_is_never_published(db, bus):
    dsn, pool = db
    probe = await bus.channel.declare_queue(exclusive=True)
    await probe.bind(bus.exchange, routing_key="test.thing.happened")
    with pytest.raises(RuntimeError):
        async with pool.acquire() as conn, conn.transaction():
            await add_to_outbox(conn, make_envelope("test.thing.happened", {"note": "rolled back"}, source="test"))
            raise RuntimeError("the business change failed")
    committed = await write_event(pool, "committed")

    relay = OutboxRelay(pool, bus.publish, dsn=dsn)
    assert await relay.drain() == 1

    message = await probe.get(timeout=5)
    await message.ack()
    assert Envelope.model_validate_json(message.body).id == committed.id
    assert await probe.get(fail=False) is None
    assert await count(pool, "SELECT count(*) FROM outbox") == 1


async def test_outbox_write_outside_a_transaction_is_refused(db):
    _, pool = db
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError):
            await add_to_outbox(conn, make_envelope("test.thing.happened", {}, source="test"))


class RelayDied(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the relay catches it."""


async def test_event_survives_relay_dying_between_publish_and_mark(db, bus):
    dsn, pool = db
    consumer = IdempotentConsumer(pool, HANDLERS)
    handled: list[str | None] = []

    async def consume_and_count(message) -> None:
        await consumer(message)
        handled.append(message.message_id)

    await bus.consume(consumer.routing_keys, consume_and_count)
    event = await write_event(pool, "important")

    async def publish_then_die(envelope: dict) -> None:
        await bus.publish(envelope)
        raise RelayDied

    with pytest.raises(RelayDied):
        await OutboxRelay(pool, publish_then_die, dsn=dsn).drain()
    # The publish happened but the mark did not: the row is still pending.
    assert await count(pool, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1

    # A new relay (the restarted process) publishes it again: a duplicate on the wire ...
    assert await OutboxRelay(pool, bus.publish, dsn=dsn).drain() == 1
    # Both deliveries (the first publish and the duplicate) have been consumed and acked.
    await eventually(lambda: _true(len(handled) >= 2), timeout=10)
    # ... and one effect.
    assert await count(pool, "SELECT count(*) FROM effects WHERE event_id = $1", event.id) == 1
    assert await count(pool, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def test_same_event_delivered_three_times_has_one_effect(db, bus):
    _, pool = db
    consumer = IdempotentConsumer(pool, HANDLERS)
    await bus.consume(consumer.routing_keys, consumer)
    event = make_envelope("test.thing.happened", {"note": "thrice"}, source="test")
    marker = make_envelope("test.thing.happened", {"note": "after"}, source="test")
    for _ in range(3):
        await bus.publish(event)
    await bus.publish(marker)
    # The queue is FIFO for one consumer: once the marker is handled, so are the three copies.
    await eventually(lambda: count(pool, "SELECT count(*) FROM effects WHERE event_id = $1", marker.id))
    assert await count(pool, "SELECT count(*) FROM effects WHERE event_id = $1", event.id) == 1
    assert await count(pool, "SELECT count(*) FROM inbox") == 2


async def test_poison_message_is_dead_lettered_while_others_flow(db, bus):
    _, pool = db
    consumer = IdempotentConsumer(pool, HANDLERS)
    await bus.consume(consumer.routing_keys, consumer)
    poison = make_envelope("test.thing.happened", {"poison": True}, source="test")
    await bus.publish(poison)
    good = [make_envelope("test.thing.happened", {"note": f"good {i}"}, source="test") for i in range(5)]
    for envelope in good:
        await bus.publish(envelope)

    await eventually(lambda: count(pool, "SELECT count(*) FROM effects"), timeout=15)
    await eventually(lambda: _effects_are(pool, 5), timeout=15)

    dlq = await bus.channel.get_queue(bus.dead_letter_queue_name)
    dead = await _get_eventually(dlq)
    assert Envelope.model_validate_json(dead.body).id == poison.id
    await dead.ack()
    # The failed attempts left nothing behind: no effect and no inbox row for the poison.
    assert await count(pool, "SELECT count(*) FROM inbox WHERE event_id = $1", poison.id) == 0


async def test_malformed_message_goes_straight_to_dead_letters(db, bus):
    _, pool = db
    consumer = IdempotentConsumer(pool, HANDLERS)
    await bus.consume(consumer.routing_keys, consumer)
    await bus.exchange.publish(
        aio_pika.Message(body=b'{"not": "an envelope"}', message_id="broken"), routing_key="test.thing.happened"
    )
    dlq = await bus.channel.get_queue(bus.dead_letter_queue_name)
    dead = await _get_eventually(dlq)
    assert dead.message_id == "broken"
    await dead.ack()


async def _true(value: bool) -> bool:
    return value


async def _relay_listening(pool) -> bool:
    sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %outbox%'"
    return await count(pool, sql) == 1


async def _failed_attempts_recorded(pool) -> bool:
    sql = "SELECT count(*) FROM outbox WHERE published_at IS NULL AND attempts >= 1"
    return await count(pool, sql) >= 1


async def _effects_are(pool, n: int) -> bool:
    return await count(pool, "SELECT count(*) FROM effects") == n


async def _get_eventually(queue, timeout: float = 15.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        message = await queue.get(fail=False)
        if message is not None:
            return message
        await asyncio.sleep(0.1)
    raise AssertionError("nothing reached the dead-letter queue")


async def test_relay_wakes_on_notify_without_waiting_for_the_poll(db, bus):
    dsn, pool = db
    consumer = IdempotentConsumer(pool, HANDLERS)
    await bus.consume(consumer.routing_keys, consumer)
    relay = OutboxRelay(pool, bus.publish, dsn=dsn, poll_seconds=60)
    task = asyncio.create_task(relay.run())
    try:
        # Wait until the relay's connection is listening; from then on only NOTIFY (or a
        # poll a minute away) can wake it.
        await eventually(lambda: _relay_listening(pool), timeout=10)
        await write_event(pool, "wake up")
        await eventually(lambda: count(pool, "SELECT count(*) FROM effects"), timeout=5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_broker_restart_loses_nothing(db, bus):
    """After ``rabbitmqctl stop_app`` / ``start_app`` consumers resume and the outbox drains."""
    dsn, pool = db
    consumer = IdempotentConsumer(pool, HANDLERS)
    await bus.consume(consumer.routing_keys, consumer)
    relay = OutboxRelay(pool, bus.publish, dsn=dsn, poll_seconds=0.5)
    task = asyncio.create_task(relay.run())
    try:
        before = [await write_event(pool, f"before {i}") for i in range(3)]
        await eventually(lambda: _effects_are(pool, 3), timeout=10)

        await asyncio.to_thread(rabbitmqctl, "stop_app")
        try:
            during = [await write_event(pool, f"during {i}") for i in range(5)]
            # The relay tries, fails and keeps the rows pending (with a failed attempt counted).
            await eventually(lambda: _failed_attempts_recorded(pool), timeout=20, interval=0.1)
        finally:
            await asyncio.to_thread(rabbitmqctl, "start_app")
            await asyncio.to_thread(rabbitmqctl, "await_startup")

        after = [await write_event(pool, f"after {i}") for i in range(2)]
        await eventually(lambda: _effects_are(pool, 10), timeout=60, interval=0.25)
        ids = {r["event_id"] for r in await pool.fetch("SELECT event_id FROM effects")}
        assert ids == {e.id for e in before + during + after}
        assert await count(pool, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_database_outage_in_a_handler_is_waited_out_not_dead_lettered(db, bus):
    """More database failures (4) than the delivery limit (3): still one effect, nothing dead."""
    _, pool = db
    failures = {"left": 4}

    async def flaky(conn: asyncpg.Connection, envelope: Envelope) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")
        await record_effect(conn, envelope)

    consumer = IdempotentConsumer(pool, {"test.thing.happened": flaky})
    await bus.consume(consumer.routing_keys, consumer)
    event = make_envelope("test.thing.happened", {"note": "patience"}, source="test")
    await bus.publish(event)
    await eventually(lambda: count(pool, "SELECT count(*) FROM effects WHERE event_id = $1", event.id), timeout=20)
    assert failures["left"] == 0
    dlq = await bus.channel.get_queue(bus.dead_letter_queue_name)
    assert await dlq.get(fail=False) is None
