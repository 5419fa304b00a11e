"""The accounts app against the real PostgreSQL and RabbitMQ, with a clock tests move.

One database and one running app per test module; tests keep out of each other's way by
using their own dossier numbers, usernames and client addresses.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from accounts.app import SPEC, AccountsSettings
from accounts.demo import TERMS_TEXT, TERMS_VERSION
from accounts.web import ACCOUNTS, CLOCK
from aiohttp.test_utils import TestClient, TestServer
from servicekit.db import create_pool
from servicekit.identity import CLIENT_HEADER, IDENTITY_HEADER, Identity, sign_client, sign_identity
from servicekit.service import create_service_app
from servicekit.testing import EventTap, event_tap

PASSWORD = "une phrase de passe bien longue"
_counter = itertools.count(1)


def unique(prefix: str = "t") -> str:
    return f"{prefix}{next(_counter)}{uuid.uuid4().hex[:6]}"


class FakeClock:
    def __init__(self):
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def reset(self) -> None:
        self.now = datetime.now(UTC)


@dataclass
class Parent:
    user_id: str
    username: str
    password: str
    email: str
    dossier: dict | None
    token: str | None = None
    headers: dict = field(default_factory=dict)

    @property
    def dossier_id(self) -> str:
        return self.dossier["id"]


class Harness:
    PASSWORD = PASSWORD

    def __init__(
        self, client: TestClient, pool: asyncpg.Pool, clock: FakeClock, settings: AccountsSettings, tap: EventTap
    ):
        self.tap = tap
        self.client = client
        self.pool = pool
        self.clock = clock
        self.settings = settings
        self.staff_id = uuid.uuid4()

    @staticmethod
    def unique(prefix: str = "t") -> str:
        return unique(prefix)

    @staticmethod
    def ip() -> str:
        return unique_ip()

    @property
    def app(self):
        return self.client.server.app

    @property
    def accounts(self):
        return self.app[ACCOUNTS]

    # identities, as the gateway signs them
    def identity(self, user_id, roles=(), dossier_id=None) -> dict[str, str]:
        ident = Identity(
            user_id=uuid.UUID(str(user_id)),
            roles=frozenset(roles),
            dossier_id=uuid.UUID(str(dossier_id)) if dossier_id else None,
        )
        return {IDENTITY_HEADER: sign_identity(ident, self.settings.identity_secret)}

    def staff(self, *roles: str) -> dict[str, str]:
        return self.identity(self.staff_id, roles or ("accounts_staff",))

    # requests
    def client_headers(self, client: str) -> dict[str, str]:
        """Where a request comes from, as the gateway signs it (services ignore X-Forwarded-For)."""
        return {CLIENT_HEADER: sign_client(client, self.settings.identity_secret)}

    def request(self, method, path, *, json=None, headers=None, client="198.51.100.1", **kw):
        hdrs = {**(self.client_headers(client) if client else {}), **(headers or {})}
        return self.client.request(method, path, json=json, headers=hdrs, **kw)

    async def call(self, method, path, *, json=None, headers=None, client="198.51.100.1", expect=None, **kw):
        resp = await self.request(method, path, json=json, headers=headers, client=client, **kw)
        body = await resp.json(content_type=None) if resp.status != 204 else None
        if expect is not None:
            assert resp.status == expect, (resp.status, body)
        return resp, body

    # database
    async def count(self, table: str, where: str = "TRUE", *args) -> int:
        return await self.pool.fetchval(f"SELECT count(*) FROM {table} WHERE {where}", *args)

    async def counts(self) -> dict[str, int]:
        tables = (
            "users",
            "dossiers",
            "adults",
            "children",
            "sessions",
            "user_tokens",
            "audit_log",
            "outbox",
            "terms_acceptances",
            "idempotent_requests",
        )
        return {t: await self.count(t) for t in tables}

    async def events(self, event_type: str, **match) -> list[dict]:
        """The events of this type, as consumers receive them (the outbox's copies of
        tokens are wiped once published): every one in the outbox, once published."""
        rows = await self.pool.fetch("SELECT event_id FROM outbox WHERE event_type = $1 ORDER BY id", event_type)
        out = await self.tap.wait_for([r["event_id"] for r in rows])
        return [e for e in out if all(e["data"].get(k) == v for k, v in match.items())]

    async def last_event(self, event_type: str, **match) -> dict:
        found = await self.events(event_type, **match)
        assert found, f"no {event_type} event matching {match}"
        return found[-1]

    # journeys
    async def new_dossier(self, *, number=None, family_name="MARTIN", children=1, adults=1) -> dict:
        number = number or unique("D")[:20].upper()
        body = {
            "number": number,
            "family_name": family_name,
            "address": {"line1": "3 rue des Écoles", "postal_code": "95380", "city": "Puiseux-en-France"},
            "adults": [
                {
                    "last_name": family_name.title(),
                    "first_name": f"Adulte{i}",
                    "email": f"adulte{i}@example.org",
                    "phone": "06 11 22 33 4" + str(i),
                }
                for i in range(adults)
            ],
            "children": [
                {
                    "first_name": f"Enfant{i}",
                    "last_name": family_name.title(),
                    "birth_date": "2018-04-02",
                    "school": "École Jules Ferry",
                    "level": "CE1",
                }
                for i in range(children)
            ],
        }
        _, dossier = await self.call(
            "POST", "/api/accounts/admin/dossiers", json=body, headers=self.staff(), expect=201
        )
        return dossier

    def registration(self, **overrides) -> dict:
        username = overrides.pop("username", None) or unique("u")
        body = {
            "last_name": "Le Derf",
            "first_name": "Arnaud",
            "email": f"{username}@example.org",
            "username": username,
            "password": PASSWORD,
            "mobile_display": False,
            "terms_version": TERMS_VERSION,
        }
        body.update(overrides)
        return body

    async def activation_token(self, user_id: str) -> str:
        event = await self.last_event("accounts.user.registered", user_id=user_id)
        return event["data"]["activation_token"]

    async def active_parent(
        self, *, dossier: dict | None = None, with_dossier: bool = True, login: bool = True
    ) -> Parent:
        if with_dossier and dossier is None:
            dossier = await self.new_dossier()
        if dossier is not None:
            body = self.registration(dossier_number=dossier["number"], dossier_name=dossier["family_name"])
        else:
            body = self.registration(without_dossier=True)
        _, reg = await self.call("POST", "/api/accounts/registrations", json=body, client=unique_ip(), expect=201)
        token = await self.activation_token(reg["user_id"])
        await self.call("POST", "/api/accounts/activations", json={"token": token}, expect=200)
        parent = Parent(reg["user_id"], body["username"], body["password"], body["email"], dossier)
        parent.headers = self.identity(parent.user_id, (), dossier["id"] if dossier else None)
        if login:
            _, session = await self.call(
                "POST",
                "/api/accounts/sessions",
                json={"username": parent.username, "password": parent.password},
                client=unique_ip(),
                expect=200,
            )
            parent.token = session["token"]
        return parent


_ips = itertools.count(1)


def unique_ip() -> str:
    n = next(_ips)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@pytest.fixture(scope="module")
async def harness(make_database, amqp_url):
    settings = AccountsSettings(
        database_url=await make_database("accounts"),
        amqp_url=amqp_url,
        environment="test",
        password_hash_profile="test",
        outbox_poll_seconds=0.2,
        metrics_port=0,  # the scraper's port is not what these tests are about
    )
    app = create_service_app(SPEC, settings)
    clock = FakeClock()
    app[CLOCK] = clock
    client = TestClient(TestServer(app))
    tap_context = event_tap(amqp_url, settings.events_exchange)
    tap = await tap_context.__aenter__()
    await client.start_server()
    pool = await create_pool(settings.database_url)
    await pool.execute(
        "INSERT INTO terms (version, text) VALUES ($1, $2) ON CONFLICT DO NOTHING", TERMS_VERSION, TERMS_TEXT
    )
    try:
        yield Harness(client, pool, clock, settings, tap)
    finally:
        await pool.close()
        await client.close()
        await tap_context.__aexit__(None, None, None)


@pytest.fixture
async def h(harness):
    harness.clock.reset()
    yield harness
    harness.clock.reset()
