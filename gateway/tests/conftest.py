"""Fixtures: the stand-in services and gateways wired to them, all real HTTP servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from gateway.app import create_app
from gateway.settings import GatewaySettings

from .browser import Browser
from .contracts import VIOLATIONS
from .fake_accounts import STATE, State, fake_accounts
from .standins import IDENTITY_SECRET, SESSION_SECRET, serving, stand_ins


@pytest.fixture(autouse=True)
def fakes_keep_the_real_contracts():
    """Fail the test during which a fake service got or gave what the real one would not."""
    VIOLATIONS.clear()
    yield
    found, VIOLATIONS[:] = list(VIOLATIONS), []
    assert not found, "the fake services broke the real services' contracts:\n" + "\n".join(found)


@pytest.fixture
async def services() -> AsyncIterator[dict[str, TestServer]]:
    """Every service as a real HTTP server; accounts speaks the contract (``fake_accounts``)."""
    async with serving(stand_ins(accounts=fake_accounts())) as servers:
        yield servers


GatewayFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def make_gateway(services) -> AsyncIterator[GatewayFactory]:
    """``await make_gateway(setup=..., **settings)`` → a client of a running gateway.

    ``setup(app)`` runs before start-up, for test-only routes and middlewares. The client
    keeps cookies like a browser does, ``Secure`` ones included (a browser treats
    http://127.0.0.1 as a secure origin; aiohttp's cookie jar must be told).
    """
    clients: list[TestClient] = []

    async def make(setup: Callable[[web.Application], None] | None = None, **overrides) -> TestClient:
        values = {f"{name}_url": str(server.make_url("")).rstrip("/") for name, server in services.items()}
        values |= {"identity_secret": IDENTITY_SECRET, "session_secret": SESSION_SECRET, "environment": "test"}
        values |= overrides
        app = create_app(GatewaySettings(**values))
        if setup is not None:
            setup(app)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        origin = str(server.make_url("/")).rstrip("/")
        client = TestClient(server, cookie_jar=aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[origin]))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def gateway(make_gateway) -> TestClient:
    return await make_gateway()


@pytest.fixture
async def browser(make_gateway) -> Browser:
    """A gateway and a browser-like client of it, with helpers to fill in forms."""
    return Browser(await make_gateway())


@pytest.fixture
def accounts(services) -> State:
    """The stand-in accounts' state: users, sessions, drafts, dossiers, calls received."""
    return services["accounts"].app[STATE]


@pytest.fixture
async def parent(browser, accounts) -> Browser:
    """The browser, logged in as the demo parent « lederf » of dossier n° 404 (LE DERF)."""
    dossier = accounts.add_dossier("404", "LE DERF")
    browser.user = accounts.add_user("lederf", dossier_id=dossier)
    await browser.login()
    return browser
