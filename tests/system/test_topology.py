"""Topology is declared by the migration step, before any service runs."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

import aio_pika
from servicekit.events import make_envelope
from servicekit.testing import AMQP_BASE, rabbitmqctl

BIN = Path(sys.executable).parent


async def test_migrate_declares_the_queue_before_any_service_runs(make_database):
    """An event published between 'messaging migrate' and 'messaging serve' is not lost."""
    vhost = f"test_migrate_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(rabbitmqctl, "add_vhost", vhost)
    await asyncio.to_thread(rabbitmqctl, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    amqp = AMQP_BASE.rstrip("/") + "/" + vhost
    try:
        env = {
            **os.environ,
            "ENVIRONMENT": "test",
            "AMQP_URL": amqp,
            "MESSAGING_DATABASE_URL": await make_database("proc_messaging"),
        }
        proc = await asyncio.create_subprocess_exec(str(BIN / "portail-messaging"), "migrate", env=env)
        assert await asyncio.wait_for(proc.wait(), timeout=60) == 0

        connection = await aio_pika.connect(amqp)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange("portail.events")
            event = make_envelope("accounts.user.registered", {"user_id": str(uuid.uuid4())}, source="accounts")
            await exchange.publish(aio_pika.Message(body=event.model_dump_json().encode()), routing_key=event.type)
            queue = await channel.get_queue("messaging.events")
            message = await queue.get(timeout=5)
            assert json.loads(message.body)["id"] == str(event.id)
    finally:
        await asyncio.to_thread(rabbitmqctl, "delete_vhost", vhost)
