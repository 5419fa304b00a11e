"""The billing service on the real PostgreSQL and RabbitMQ; the test plays planning and accounts.

One service per test module (its own database and events exchange). The test publishes
planning's and accounts' events on the broker, calls billing's request/reply methods as
planning does, captures every event billing publishes (a queue bound to ``billing.#``) and
signs identities as the gateway does. Every JSON answer and every captured event goes through
:func:`assert_integer_money`: a float in a money field fails the test that met it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import aio_pika
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from billing.app import SPEC, BillingSettings
from servicekit.bus import Bus
from servicekit.db import create_pool
from servicekit.events import Envelope, make_envelope
from servicekit.identity import IDENTITY_HEADER, Identity, sign_identity
from servicekit.rpc import RpcClient
from servicekit.service import create_service_app
from servicekit.testing import IDENTITY_SECRET, eventually

YEAR = "2026/2027"
CANTINE_GRID = [
    {"qf_max": 600, "unit_price_cents": 150},
    {"qf_max": 1200, "unit_price_cents": 280},
    {"qf_max": None, "unit_price_cents": 374},
]


def assert_integer_money(value, where: str = "") -> None:
    """Every ``*_cents`` field, however deep, is an integer (never a float, never a bool)."""
    if isinstance(value, dict):
        for key, sub in value.items():
            if key.endswith("_cents") and sub is not None:
                assert type(sub) is int, f"{where}.{key} = {sub!r} is not integer cents"
            assert_integer_money(sub, f"{where}.{key}")
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            assert_integer_money(sub, f"{where}[{i}]")


def headers(user_id: uuid.UUID, *roles: str, dossier_id: uuid.UUID | None = None) -> dict[str, str]:
    token = sign_identity(Identity(user_id=user_id, roles=frozenset(roles), dossier_id=dossier_id), IDENTITY_SECRET)
    return {IDENTITY_HEADER: token}


def staff_headers() -> dict[str, str]:
    return headers(uuid.uuid4(), "billing_staff")


@dataclass(frozen=True)
class Family:
    dossier_id: uuid.UUID
    child_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return headers(uuid.uuid4(), dossier_id=self.dossier_id)


@dataclass
class Harness:
    client: TestClient
    db: asyncpg.Pool
    bus: Bus
    rpc: RpcClient
    settings: BillingSettings
    published: list[Envelope] = field(default_factory=list)
    activity_id: uuid.UUID | None = None

    staff_headers = staticmethod(staff_headers)
    headers = staticmethod(headers)
    assert_integer_money = staticmethod(assert_integer_money)

    # -- HTTP, every JSON answer checked for float money ---------------------------------
    async def request(self, method: str, path: str, *, expect: int | None = None, **kwargs):
        response = await self.client.request(method, path, **kwargs)
        text = await response.text()
        if expect is not None:
            assert response.status == expect, (response.status, text)
        body = None
        if response.content_type in ("application/json", "application/problem+json"):
            body = json.loads(text)
            assert_integer_money(body, path)
        return response, body

    async def get(self, path: str, **kwargs):
        return await self.request("GET", path, **kwargs)

    # -- the broker, as planning and accounts ------------------------------------------------
    async def publish(self, event_type: str, data: dict, *, source: str = "planning") -> Envelope:
        envelope = make_envelope(event_type, data, source=source)
        await self.bus.publish(envelope)
        return envelope

    def events(self, event_type: str, **match) -> list[dict]:
        found = []
        for envelope in self.published:
            assert_integer_money(envelope.data, envelope.type)
            if envelope.type == event_type and all(envelope.data.get(k) == str(v) for k, v in match.items()):
                found.append(envelope.data)
        return found

    async def wait_events(self, event_type: str, n: int = 1, **match) -> list[dict]:
        async def arrived():
            return len(self.events(event_type, **match)) >= n

        await eventually(arrived)
        return self.events(event_type, **match)

    async def count(self, table: str, where: str = "true", *args) -> int:
        return await self.db.fetchval(f"SELECT count(*) FROM {table} WHERE {where}", *args)

    # -- the saga, as planning plays it ----------------------------------------------------
    async def family(self, *, qf: int | None = None) -> Family:
        fam = Family(uuid.uuid4(), uuid.uuid4())
        await self.publish(
            "accounts.dossier.updated",
            {
                "dossier_id": str(fam.dossier_id),
                "number": str(uuid.uuid4().int % 100000),
                "family_name": "LE DERF",
                "invoices_by_email": False,
                "address": {"line1": None, "line2": None, "postal_code": None, "city": None},
                "adults": [{"id": str(uuid.uuid4()), "first_name": "Arnaud", "last_name": "Le Derf",
                            "email": "arnaud@example.org", "phone_mobile": None, "phone_home": None,
                            "phone_work": None}],
            },
            source="accounts",
        )  # fmt: skip

        async def known():
            return await self.count("families", "dossier_id = $1", fam.dossier_id) == 1

        await eventually(known)
        if qf is not None:
            await self.request(
                "POST",
                f"/api/billing/admin/dossiers/{fam.dossier_id}/qf",
                json={"value": qf, "valid_from": "2026-09-01", "valid_to": "2027-08-31",
                      "proof": "attestation_caf", "state": "validated"},
                headers=staff_headers(),
                expect=201,
            )  # fmt: skip
        return fam

    async def new_activity(self, grid: list[dict] | None = CANTINE_GRID, code: str = "cantine") -> uuid.UUID:
        activity_id = uuid.uuid4()
        await self.publish(
            "planning.activity.created",
            {"activity_id": str(activity_id), "school_year": YEAR, "code": code, "name": "Cantine (11h30 à 13h30)",
             "display_name": f"{YEAR} - Cantine (11h30 à 13h30)"},
        )  # fmt: skip

        async def known():
            return await self.count("activities", "id = $1", activity_id) == 1

        await eventually(known)
        if grid is not None:
            await self.request(
                "PUT",
                f"/api/billing/admin/tariffs/{activity_id}",
                json={"brackets": grid},
                headers=staff_headers(),
                expect=200,
            )
        return activity_id

    def lines(self, fam: Family, days: list[date], change: str = "add", activity_id: uuid.UUID | None = None):
        return [
            {"child_id": str(fam.child_id), "activity_id": str(activity_id or self.activity_id),
             "date": day.isoformat(), "change": change, "label": f"Arthur - {YEAR} - Cantine (11h30 à 13h30)"}
            for day in days
        ]  # fmt: skip

    async def call(self, method: str, params: dict):
        result = await self.rpc.call("billing", method, params)
        assert_integer_money(result, method)
        return result

    async def checkout(self, fam: Family, days: list[date], **params) -> tuple[dict, dict]:
        """create_payment as planning calls it at « Payer »; returns (params, answer)."""
        full = {
            "dossier_id": str(fam.dossier_id),
            "basket_id": str(uuid.uuid4()),
            "checkout_id": str(uuid.uuid4()),
            "expires_at": (datetime.now(UTC) + timedelta(minutes=20)).isoformat(),
            "lines": self.lines(fam, days),
            "return_url": "/planning/panier",
        }
        full.update(params)
        return full, await self.call("create_payment", full)

    async def decide(self, idop: str, decision: str) -> dict:
        _, body = await self.request(
            "POST",
            f"/internal/simulated-treasury/operations/{idop}/decision",
            json={"decision": decision},
            expect=200,
        )
        return body

    async def notify(self, idop: str, provider: str = "simulated"):
        response, _ = await self.request("POST", f"/api/billing/payments/notifications/{provider}", data={"idop": idop})
        return response.status

    async def pay(self, answer: dict, decision: str = "pay") -> str:
        idop = answer["payment_url"].rsplit("=", 1)[1]
        await self.decide(idop, decision)
        assert await self.notify(idop) == 200
        return idop

    async def account(self, fam: Family) -> dict:
        _, body = await self.get("/api/billing/account", headers=fam.headers, expect=200)
        return body

    async def payment_state(self, payment_id) -> tuple[str, str | None]:
        row = await self.db.fetchrow("SELECT state, outcome FROM payments WHERE id = $1", uuid.UUID(str(payment_id)))
        return row["state"], row["outcome"]


async def _drop_queues(bus: Bus) -> None:
    for name in ("billing.events", "billing.events.dlq", "rpc.billing"):
        with contextlib.suppress(Exception):
            channel = await bus.connection.channel()
            await channel.queue_delete(name)
            await channel.close()


@pytest.fixture(scope="module")
async def harness(make_database, amqp_url, tmp_path_factory):
    exchange = f"test.billing.{uuid.uuid4().hex[:8]}"
    bus = Bus(amqp_url, exchange, "planning-test")
    await bus.connect()
    await _drop_queues(bus)  # left behind by an interrupted run
    dsn = await make_database("billing")
    settings = BillingSettings(
        database_url=dsn,
        amqp_url=amqp_url,
        events_exchange=exchange,
        environment="test",
        outbox_poll_seconds=0.2,
        payment_resolve_poll_seconds=3600,
        invoicing_schedule_enabled=False,  # tests start runs themselves (and the schedule with a clock)
        rpc_timeout_seconds=10,
        uploads_dir=tmp_path_factory.mktemp("billing-uploads"),
    )
    app = create_service_app(SPEC, settings)
    client = TestClient(TestServer(app))
    await client.start_server()
    db = await create_pool(dsn, min_size=1, max_size=4)
    rpc = RpcClient(bus.connection, timeout=10)
    await rpc.start()
    harness = Harness(client=client, db=db, bus=bus, rpc=rpc, settings=settings)

    capture = await bus.channel.declare_queue(exclusive=True, auto_delete=True)
    await capture.bind(exchange, routing_key="billing.#")

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        harness.published.append(Envelope.model_validate_json(message.body))
        await message.ack()

    await capture.consume(on_message)
    harness.activity_id = await harness.new_activity()
    yield harness
    await client.close()
    await _drop_queues(bus)
    with contextlib.suppress(Exception):
        await bus.channel.exchange_delete(exchange)
    await bus.close()
    await db.close()
    await asyncio.sleep(0)
