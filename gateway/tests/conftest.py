"""Fixtures: the stand-in services and gateways wired to them, all real HTTP servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from gateway.app import create_app
from gateway.settings import SERVICES, GatewaySettings

from .standins import IDENTITY_SECRET, stand_in_service


@pytest.fixture
async def services() -> AsyncIterator[dict[str, TestServer]]:
    servers = {name: TestServer(stand_in_service(name)) for name in SERVICES}
    for server in servers.values():
        await server.start_server()
    yield servers
    for server in servers.values():
        await server.close()


GatewayFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def make_gateway(services) -> AsyncIterator[GatewayFactory]:
    """``await make_gateway(setup=..., **settings)`` → a client of a running gateway.

    ``setup(app)`` runs before start-up, for test-only routes and middlewares.
    """
    clients: list[TestClient] = []

    async def make(setup: Callable[[web.Application], None] | None = None, **overrides) -> TestClient:
        values = {f"{name}_url": str(server.make_url("")).rstrip("/") for name, server in services.items()}
        values |= {"identity_secret": IDENTITY_SECRET, "environment": "test"}
        values |= overrides
        app = create_app(GatewaySettings(**values))
        if setup is not None:
            setup(app)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def gateway(make_gateway) -> TestClient:
    return await make_gateway()
