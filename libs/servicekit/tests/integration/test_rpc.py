"""JSON request/reply over the real broker."""

from __future__ import annotations

import time
import uuid

import pytest
from pydantic import BaseModel
from servicekit.bus import Bus
from servicekit.rpc import RpcClient, RpcError, RpcServer, RpcTimeout, RpcUnavailable, rpc_queue_name


class QuoteParams(BaseModel):
    days: int


@pytest.fixture
async def bus(amqp_url):
    bus = Bus(amqp_url, "test.rpc.events", f"rpc{uuid.uuid4().hex[:8]}")
    await bus.connect()
    yield bus
    await bus.close()


@pytest.fixture
async def client(bus):
    client = RpcClient(bus.connection, timeout=1.0)
    await client.start()
    return client


async def test_request_gets_a_json_reply(bus, client):
    async def quote(params: dict) -> dict:
        p = QuoteParams.model_validate(params)
        return {"amount_cents": p.days * 374}

    await RpcServer(bus.channel, bus.service, {"quote": quote}).start()
    assert await client.call(bus.service, "quote", {"days": 3}) == {"amount_cents": 1122}

    with pytest.raises(RpcError) as refused:
        await client.call(bus.service, "quote", {"days": "three"})
    assert refused.value.error_type == "invalid_params"
    with pytest.raises(RpcError) as unknown:
        await client.call(bus.service, "refund", {})
    assert unknown.value.error_type == "unknown_method"


async def test_times_out_cleanly_when_nobody_answers(bus, client):
    # The queue exists but no server consumes it (the service is down).
    await bus.channel.declare_queue(rpc_queue_name("sleepy" + bus.service), durable=True)
    started = time.monotonic()
    with pytest.raises(RpcTimeout) as exc:
        await client.call("sleepy" + bus.service, "quote", {"days": 1}, timeout=0.5)
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 2.0
    assert "did not answer within 0.5 s" in str(exc.value)
    assert client._futures == {}  # nothing left waiting
    await bus.channel.queue_delete(rpc_queue_name("sleepy" + bus.service))


async def test_unknown_service_is_reported_at_once(client):
    started = time.monotonic()
    with pytest.raises(RpcUnavailable):
        await client.call("nobody-" + uuid.uuid4().hex[:6], "quote", {}, timeout=3)
    assert time.monotonic() - started < 2.5


async def test_a_channel_being_reopened_is_unavailable_not_an_unexpected_error(bus, client):
    # What a broker restart looks like from the caller for a moment: aio-pika raises its own
    # channel-state error, which a handler catching RpcError would let out as a 500.
    async def quote(params: dict) -> dict:
        return {"amount_cents": 374}

    await RpcServer(bus.channel, bus.service, {"quote": quote}).start()
    await client._channel.close()
    with pytest.raises(RpcUnavailable):
        await client.call(bus.service, "quote", {"days": 1}, timeout=1)
    assert client._futures == {}
