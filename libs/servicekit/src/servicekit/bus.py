"""RabbitMQ with aio-pika, with the unsafe defaults replaced.

Topology:
- ``<exchange>``: one durable topic exchange for integration events, routing key = type;
- ``<exchange>.dlx``: a durable direct exchange for what consumers give up on;
- ``<service>.events``: the service's durable quorum queue, bound to the types it handles,
  with an explicit delivery limit and dead-lettering to ``<service>.events.dlq``.

The connection is robust: on a broker restart aio-pika reconnects, re-declares the
exchanges, queues and bindings declared through the robust channel, and resumes consumers.
Messages are persistent JSON, published with confirms; nothing is ever pickled.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractRobustChannel,
    AbstractRobustConnection,
    AbstractRobustExchange,
    AbstractRobustQueue,
)

from .events import Envelope

log = structlog.get_logger(__name__)


class Bus:
    def __init__(self, amqp_url: str, exchange: str, service: str, *, delivery_limit: int = 5):
        self.amqp_url = amqp_url
        self.exchange_name = exchange
        self.service = service
        self.delivery_limit = delivery_limit
        self.connection: AbstractRobustConnection | None = None
        self.channel: AbstractRobustChannel | None = None
        self.exchange: AbstractRobustExchange | None = None
        self.queue: AbstractRobustQueue | None = None

    @property
    def queue_name(self) -> str:
        return f"{self.service}.events"

    @property
    def dead_letter_queue_name(self) -> str:
        return f"{self.service}.events.dlq"

    @property
    def dead_letter_exchange_name(self) -> str:
        return f"{self.exchange_name}.dlx"

    async def connect(self) -> None:
        self.connection = await aio_pika.connect_robust(
            self.amqp_url,
            client_properties={"connection_name": self.service},
            reconnect_interval=1,
        )
        self.channel = await self.connection.channel(publisher_confirms=True)
        self.exchange = await self.channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )

    @property
    def is_connected(self) -> bool:
        # A robust connection that lost the broker is not "closed" while it reconnects:
        # only its ``connected`` event tells whether messages can flow right now.
        return (
            self.connection is not None
            and not self.connection.is_closed
            and self.connection.connected.is_set()
        )

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()

    async def publish(self, envelope: Envelope | dict) -> None:
        """Publish one event and wait for the broker's confirm (raises if not confirmed)."""
        if isinstance(envelope, dict):
            envelope = Envelope.model_validate(envelope)
        assert self.exchange is not None, "connect() first"
        message = aio_pika.Message(
            body=envelope.model_dump_json().encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(envelope.id),
            correlation_id=envelope.correlation_id,
            type=envelope.type,
            app_id=envelope.source,
        )
        # Not mandatory: an event no service listens to yet is not an error.
        await self.exchange.publish(message, routing_key=envelope.type, mandatory=False)

    async def declare_consumer_queue(self, routing_keys: list[str]) -> AbstractRobustQueue:
        assert self.channel is not None, "connect() first"
        dlx = await self.channel.declare_exchange(
            self.dead_letter_exchange_name, aio_pika.ExchangeType.DIRECT, durable=True
        )
        dlq = await self.channel.declare_queue(
            self.dead_letter_queue_name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dlq.bind(dlx, routing_key=self.queue_name)
        queue = await self.channel.declare_queue(
            self.queue_name,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": self.dead_letter_exchange_name,
                "x-dead-letter-routing-key": self.queue_name,
            },
        )
        for key in routing_keys:
            await queue.bind(self.exchange_name, routing_key=key)
        self.queue = queue
        return queue

    async def consume(
        self,
        routing_keys: list[str],
        callback: Callable[[AbstractIncomingMessage], Awaitable[None]],
        *,
        prefetch: int = 20,
    ) -> str:
        assert self.channel is not None, "connect() first"
        await self.channel.set_qos(prefetch_count=prefetch)
        queue = await self.declare_consumer_queue(routing_keys)
        return await queue.consume(callback)


def json_body(message: AbstractIncomingMessage) -> dict:
    return json.loads(message.body)
