"""JSON request/reply over RabbitMQ, for the few synchronous questions (quotes, payments).

aio-pika's ready-made RPC pattern pickles its payloads; this one speaks JSON only:
request ``{"method", "params"}``, reply ``{"ok": true, "result"}`` or
``{"ok": false, "error": {"type", "detail"}}``. A caller always gets an answer or a clear
error within its timeout: ``RpcUnavailable`` when no queue exists for the service,
``RpcTimeout`` when nobody answered in time, ``RpcError`` when the other side refused.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from aio_pika.exceptions import AMQPError, DeliveryError
from pydantic import ValidationError

log = structlog.get_logger(__name__)

RpcHandler = Callable[[dict[str, Any]], Awaitable[Any]]


class RpcError(Exception):
    """The other service answered with an error."""

    def __init__(self, error_type: str, detail: str):
        super().__init__(f"{error_type}: {detail}")
        self.error_type = error_type
        self.detail = detail


class RpcTimeout(RpcError):
    def __init__(self, service: str, method: str, timeout: float):
        super().__init__("timeout", f"{service}.{method} did not answer within {timeout:g} s")


class RpcUnavailable(RpcError):
    def __init__(self, service: str, method: str):
        super().__init__("unavailable", f"no {service} service is listening for {method}")


def rpc_queue_name(service: str) -> str:
    return f"rpc.{service}"


class RpcServer:
    def __init__(self, channel: AbstractRobustChannel, service: str, handlers: Mapping[str, RpcHandler]):
        self.channel = channel
        self.service = service
        self.handlers = dict(handlers)

    async def start(self) -> None:
        queue = await self.channel.declare_queue(rpc_queue_name(self.service), durable=True)
        await queue.consume(self._on_request)

    async def _on_request(self, message: AbstractIncomingMessage) -> None:
        async with message.process(requeue=False, ignore_processed=True):
            structlog.contextvars.clear_contextvars()
            structlog.contextvars.bind_contextvars(correlation_id=message.headers.get("x-request-id"))
            reply = await self._answer(message)
            if message.reply_to:
                await self.channel.default_exchange.publish(
                    aio_pika.Message(
                        body=json.dumps(reply).encode(),
                        content_type="application/json",
                        correlation_id=message.correlation_id,
                    ),
                    routing_key=message.reply_to,
                    mandatory=False,
                )

    async def _answer(self, message: AbstractIncomingMessage) -> dict[str, Any]:
        try:
            request = json.loads(message.body)
            method, params = request["method"], request.get("params") or {}
            if not isinstance(params, dict):
                raise TypeError("params must be an object")
        except (ValueError, KeyError, TypeError):
            return {"ok": False, "error": {"type": "bad_request", "detail": "malformed request"}}
        handler = self.handlers.get(method)
        if handler is None:
            return {"ok": False, "error": {"type": "unknown_method", "detail": method}}
        try:
            return {"ok": True, "result": await handler(params)}
        except ValidationError as exc:
            return {"ok": False, "error": {"type": "invalid_params", "detail": str(exc.errors()[:3])}}
        except RpcError as exc:
            return {"ok": False, "error": {"type": exc.error_type, "detail": exc.detail}}
        except Exception:
            log.exception("rpc_handler_failed", method=method)
            return {"ok": False, "error": {"type": "internal", "detail": "internal error"}}


class RpcClient:
    def __init__(self, connection: AbstractRobustConnection, *, timeout: float = 5.0):
        self.connection = connection
        self.timeout = timeout
        self._futures: dict[str, asyncio.Future] = {}
        self._channel: AbstractRobustChannel | None = None
        self._reply_queue = None

    async def start(self) -> None:
        # Returned (unroutable) requests raise at publish: "no such service" is known at once.
        self._channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        self._reply_queue = await self._channel.declare_queue(exclusive=True, auto_delete=True)
        await self._reply_queue.consume(self._on_reply, no_ack=True)

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._futures.pop(message.correlation_id or "", None)
        if future is not None and not future.done():
            future.set_result(message.body)

    async def call(self, service: str, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        assert self._channel is not None and self._reply_queue is not None, "start() first"
        timeout = self.timeout if timeout is None else timeout
        correlation_id = uuid.uuid4().hex
        future = asyncio.get_running_loop().create_future()
        self._futures[correlation_id] = future
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        try:
            try:
                await self._channel.default_exchange.publish(
                    aio_pika.Message(
                        body=json.dumps({"method": method, "params": params or {}}).encode(),
                        content_type="application/json",
                        correlation_id=correlation_id,
                        reply_to=self._reply_queue.name,
                        # A request nobody took in time is dropped, not answered late.
                        expiration=timeout,
                        headers={"x-request-id": request_id} if request_id else {},
                    ),
                    routing_key=rpc_queue_name(service),
                    mandatory=True,
                    timeout=timeout,
                )
            except DeliveryError:
                raise RpcUnavailable(service, method) from None
            except (AMQPError, ConnectionError, RuntimeError) as exc:
                # The broker is restarting or the channel is being reopened (aio-pika's robust
                # connection): the caller gets the same « unavailable » as for a missing service,
                # never an exception its handler does not expect (a 500).
                log.warning("rpc_publish_failed", service=service, method=method, error=type(exc).__name__)
                raise RpcUnavailable(service, method) from None
            try:
                body = await asyncio.wait_for(future, timeout)
            except TimeoutError:
                raise RpcTimeout(service, method, timeout) from None
        finally:
            self._futures.pop(correlation_id, None)
        reply = json.loads(body)
        if not reply.get("ok"):
            err = reply.get("error") or {}
            raise RpcError(str(err.get("type", "error")), str(err.get("detail", "")))
        return reply.get("result")
