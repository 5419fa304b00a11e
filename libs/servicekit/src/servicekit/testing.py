"""pytest fixtures for tests against the real PostgreSQL and RabbitMQ.

Each test session gets throwaway databases and a throwaway RabbitMQ vhost, removed at the
end. Servers are found through ``TEST_DATABASE_ADMIN_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``) and ``TEST_AMQP_ADMIN_URL`` (default
``amqp://guest:guest@127.0.0.1:5672/``); vhosts are made with ``rabbitmqctl``.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from .db import drop_database, ensure_database

# The suite runs with ENVIRONMENT=test, where the development IDENTITY_SECRET is refused
# like in production: every app and process a test starts (they read or inherit this
# environment) gets a random one for the run instead.
IDENTITY_SECRET = os.environ.setdefault("IDENTITY_SECRET", secrets.token_urlsafe(32))

ADMIN_DSN = os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_BASE = os.environ.get("TEST_AMQP_ADMIN_URL", "amqp://guest:guest@127.0.0.1:5672/")


def rabbitmqctl(*args: str) -> str:
    exe = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    out = subprocess.run([exe, *args], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {out.stderr.strip() or out.stdout.strip()}")
    return out.stdout


def dsn_for(name: str) -> str:
    return urlunsplit(urlsplit(ADMIN_DSN)._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def amqp_url(run_id: str):
    """A throwaway vhost for the session, with the guest user allowed in it."""
    vhost = f"test_{run_id}"
    user = urlsplit(AMQP_BASE).username or "guest"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
    yield AMQP_BASE.rstrip("/") + "/" + quote(vhost, safe="")
    rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="session")
async def make_database(run_id: str) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """``await make_database("accounts")`` → the DSN of a new empty database."""
    made: list[str] = []

    async def make(label: str) -> str:
        dsn = dsn_for(f"test_{run_id}_{label}_{len(made)}")
        await ensure_database(dsn)
        made.append(dsn)
        return dsn

    yield make
    for dsn in made:
        await drop_database(dsn)


async def eventually(
    predicate: Callable[[], Awaitable[bool]], *, timeout: float = 10.0, interval: float = 0.05
) -> None:
    """Wait until ``predicate()`` is true; fail the test with a clear message otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if await predicate():
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


class EventTap:
    """Every envelope published on an exchange, as a consumer receives it (by event id).

    Tests read events (and the tokens their e-mails carry) here rather than in the
    producer's outbox: the relay wipes an envelope's secret fields once it is published.
    """

    def __init__(self) -> None:
        self.envelopes: dict[str, dict] = {}

    async def _on_message(self, message) -> None:
        async with message.process():
            envelope = json.loads(message.body)
            self.envelopes[str(envelope.get("id"))] = envelope

    async def wait_for(self, event_ids: list[str], *, timeout: float = 10.0) -> list[dict]:
        """The envelopes of these event ids, in that order, once all arrived."""

        async def arrived() -> bool:
            return all(str(i) in self.envelopes for i in event_ids)

        await eventually(arrived, timeout=timeout)
        return [self.envelopes[str(i)] for i in event_ids]


@asynccontextmanager
async def event_tap(amqp_url: str, exchange: str = "portail.events") -> AsyncIterator[EventTap]:
    """An exclusive queue bound to every routing key of ``exchange`` for the body of the block."""
    import aio_pika

    tap = EventTap()
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(ex, routing_key="#")
        await queue.consume(tap._on_message)
        yield tap
    finally:
        await connection.close()


@asynccontextmanager
async def http_client(app: web.Application) -> AsyncIterator[TestClient]:
    """An in-process HTTP client of ``app``, its server stopped on the way out."""
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def served_api_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every /api route an app serves, as an OpenAPI document names them."""
    return {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/api/") and route.method != "HEAD"
    }


def documented_operations(document: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, operations in document["paths"].items() for method in operations}


def checked_component_schemas(document: dict) -> dict:
    """The document's component schemas, each a valid JSON Schema and every $ref to one resolving."""
    import re

    from jsonschema import Draft202012Validator  # a test dependency: imported only when called

    components = document["components"]["schemas"]
    for schema in components.values():
        Draft202012Validator.check_schema(schema)
    for ref in re.findall(r"#/components/schemas/([A-Za-z0-9_\-.]+)", json.dumps(document)):
        assert ref in components, ref
    return components
