"""The planning service on real PostgreSQL and RabbitMQ, with billing played by the tests.

One service per test module (its own database and events exchange). The clock is fixed
(Wednesday 25 November 2026, 10:00 Paris) and tests move it. Billing's side of the saga
(docs/saga.md) is a real ``RpcServer`` for ``billing`` on the broker, answering
``quote`` / ``create_payment`` (idempotent on ``checkout_id``), and the tests publish
``billing.payment.succeeded`` / ``failed`` envelopes as billing would. Every event planning
publishes is collected from a queue bound to ``planning.#``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

import aio_pika
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from planning.app import SPEC, PlanningSettings
from planning.domain import PARIS
from planning.web import CLOCK
from servicekit.bus import Bus
from servicekit.db import create_pool
from servicekit.events import Envelope, make_envelope
from servicekit.identity import IDENTITY_HEADER, Identity, sign_identity
from servicekit.rpc import RpcError, RpcServer
from servicekit.service import create_service_app
from servicekit.testing import IDENTITY_SECRET, eventually

START = datetime(2026, 11, 25, 10, 0, tzinfo=PARIS)  # a Wednesday; December is still bookable
UNIT_PRICE = 374


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeBilling:
    """billing's request/reply side, as docs/saga.md specifies it."""

    silent: bool = False
    delay: float = 0.0  # seconds before answering a quote (a slow billing)
    credit_covers: set[uuid.UUID] = field(default_factory=set)  # dossiers whose credit covers all
    no_tariff: set[uuid.UUID] = field(default_factory=set)  # activities without a tariff
    payments: dict[str, dict] = field(default_factory=dict)  # checkout_id → answer
    quotes: list[dict] = field(default_factory=list)
    payment_calls: list[dict] = field(default_factory=list)
    bus: Bus | None = None
    unit_price: int = UNIT_PRICE

    async def _maybe_silent(self) -> None:
        if self.silent:
            await asyncio.sleep(3)  # longer than the test's RPC timeout

    def _price(self, lines: list[dict]) -> list[dict]:
        for line in lines:
            if uuid.UUID(line["activity_id"]) in self.no_tariff:
                raise RpcError("unknown_activity", "no tariff")
        return [
            {**line, "pricing": "à l'unité", "amount_cents": UNIT_PRICE if line["change"] == "add" else -UNIT_PRICE}
            for line in lines
        ]

    async def quote(self, params: dict) -> dict:
        await self._maybe_silent()
        await asyncio.sleep(self.delay)
        self.quotes.append(params)
        lines = self._price(params["lines"])
        total = sum(line["amount_cents"] for line in lines)
        return {"lines": lines, "total_cents": total, "credit_available_cents": 0, "to_pay_cents": max(total, 0)}

    async def create_payment(self, params: dict) -> dict:
        await self._maybe_silent()
        self.payment_calls.append(params)
        known = self.payments.get(params["checkout_id"])
        if known is not None:
            return known
        lines = self._price(params["lines"])
        amount = sum(line["amount_cents"] for line in lines)
        payment_id = str(uuid.uuid4())
        if uuid.UUID(params["dossier_id"]) in self.credit_covers:
            answer = {"payment_id": payment_id, "status": "covered", "amount_cents": 0, "credit_used_cents": amount}
            self.payments[params["checkout_id"]] = answer
            await self.succeed(params, answer)
            return answer
        answer = {
            "payment_id": payment_id,
            "status": "pending",
            "payment_url": f"/simulated-treasury/?idop={uuid.uuid4().hex}",
            "amount_cents": amount,
            "credit_used_cents": 0,
        }
        self.payments[params["checkout_id"]] = answer
        return answer

    async def succeed(self, params: dict, answer: dict) -> Envelope:
        return await self.publish(
            "billing.payment.succeeded",
            {
                "payment_id": answer["payment_id"],
                "dossier_id": params["dossier_id"],
                "basket_id": params["basket_id"],
                "checkout_id": params["checkout_id"],
                "amount_cents": answer["amount_cents"],
                "credit_used_cents": answer.get("credit_used_cents", 0),
                "reference": "REF" + answer["payment_id"][:8],
            },
        )

    async def publish(self, event_type: str, data: dict, envelope: Envelope | None = None) -> Envelope:
        envelope = envelope or make_envelope(event_type, data, source="billing")
        await self.bus.publish(envelope)
        return envelope

    def call_for(self, basket_id) -> dict:
        return next(c for c in self.payment_calls if c["basket_id"] == str(basket_id))


@dataclass(frozen=True)
class Family:
    dossier_id: uuid.UUID
    child_id: uuid.UUID
    user_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return identity_headers(self.user_id, dossier_id=self.dossier_id)


def identity_headers(user_id: uuid.UUID, *roles: str, dossier_id: uuid.UUID | None = None) -> dict[str, str]:
    token = sign_identity(Identity(user_id=user_id, roles=frozenset(roles), dossier_id=dossier_id), IDENTITY_SECRET)
    return {IDENTITY_HEADER: token}


STAFF_USER = uuid.uuid4()


def staff_headers() -> dict[str, str]:
    """Signed when used: an identity lives 60 s, and a module's tests may start minutes after
    this file was imported (a signed constant expired in the full suite: 401 for staff)."""
    return identity_headers(STAFF_USER, "planning_staff")


@dataclass
class Harness:
    client: TestClient
    db: asyncpg.Pool
    bus: Bus
    billing: FakeBilling
    clock: Clock
    settings: PlanningSettings
    events: list[Envelope]
    activities: dict[str, uuid.UUID] = field(default_factory=dict)

    @property
    def staff(self) -> dict[str, str]:
        return staff_headers()

    async def count(self, table: str, where: str = "true", *args) -> int:
        return await self.db.fetchval(f"SELECT count(*) FROM {table} WHERE {where}", *args)

    def published(self, event_type: str, **match) -> list[dict]:
        return [
            e.data
            for e in self.events
            if e.type == event_type and all(e.data.get(k) == str(v) for k, v in match.items())
        ]

    async def wait_published(self, event_type: str, n: int = 1, **match) -> list[dict]:
        async def arrived():
            return len(self.published(event_type, **match)) >= n

        await eventually(arrived, timeout=15)
        return self.published(event_type, **match)

    async def child_event(self, family: Family, event_type: str = "accounts.child.added", **fields) -> Envelope:
        data = {
            "dossier_id": str(family.dossier_id),
            "child_id": str(family.child_id),
            "first_name": "Arthur",
            "last_name": "Le Derf",
            "birth_date": "2018-05-14",
            "school": "École Jules Ferry",
            "level": "CE2",
        }
        data.update(fields)
        envelope = make_envelope(event_type, data, source="accounts")
        await self.bus.publish(envelope)
        return envelope

    async def make_family(self, *, enrol: tuple[str, ...] = ("cantine", "alsh"), **fields) -> Family:
        family = Family(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
        await self.child_event(family, **fields)

        async def known():
            return await self.count("children", "child_id = $1", family.child_id) == 1

        await eventually(known, timeout=15)
        for code in enrol:
            r = await self.client.post(
                "/api/planning/admin/enrolments",
                json={"child_id": str(family.child_id), "activity_id": str(self.activities[code])},
                headers=staff_headers(),
            )
            assert r.status == 201, await r.text()
        return family

    def month_path(self, family: Family, month: str = "2026-12") -> str:
        return f"/api/planning/children/{family.child_id}/months/{month}"

    async def put_month(self, family: Family, wanted: dict[str, list[str]], month: str = "2026-12"):
        body = {"activities": [{"activity_id": str(self.activities[c]), "booked_dates": d} for c, d in wanted.items()]}
        return await self.client.put(self.month_path(family, month), json=body, headers=family.headers)

    async def grid(self, family: Family, month: str = "2026-12") -> dict[str, dict[str, dict]]:
        """code → date → day, for one child's month."""
        r = await self.client.get(self.month_path(family, month), headers=family.headers)
        assert r.status == 200, await r.text()
        body = await r.json()
        codes = {str(v): k for k, v in self.activities.items()}
        return {codes[a["id"]]: {d["date"]: d for d in a["days"]} for a in body["activities"]}

    async def checkout(self, family: Family, key: str | None = None):
        headers = dict(family.headers)
        if key:
            headers["Idempotency-Key"] = key
        return await self.client.post("/api/planning/basket/checkout", headers=headers)

    async def book_and_pay(self, family: Family, wanted: dict[str, list[str]], month: str = "2026-12") -> dict:
        r = await self.put_month(family, wanted, month)
        assert r.status == 200, await r.text()
        r = await self.checkout(family)
        assert r.status == 200, await r.text()
        answer = await r.json()
        params = self.billing.call_for(answer["basket_id"])
        await self.billing.succeed(params, self.billing.payments[params["checkout_id"]])
        await self.wait_published("planning.reservations.confirmed", basket_id=answer["basket_id"])
        return answer

    async def places(self, code: str, day: str) -> asyncpg.Record | None:
        return await self.db.fetchrow(
            "SELECT capacity, confirmed, held FROM day_places WHERE activity_id = $1 AND day = $2",
            self.activities[code],
            date.fromisoformat(day),
        )


async def drop_queues(bus: Bus) -> None:
    for name in ("planning.events", "planning.events.dlq", "rpc.billing"):
        with contextlib.suppress(Exception):
            channel = await bus.connection.channel()
            await channel.queue_delete(name)
            await channel.close()


@pytest.fixture(scope="module")
async def harness(request, make_database, amqp_url):
    """A test module may set ``SETTINGS_OVERRIDES`` (e.g. to run the jobs often)."""
    exchange = f"test.planning.{uuid.uuid4().hex[:8]}"
    bus = Bus(amqp_url, exchange, "billing-test")
    await bus.connect()
    await drop_queues(bus)  # left behind by an interrupted run
    billing = FakeBilling(bus=bus)
    await RpcServer(bus.channel, "billing", {"quote": billing.quote, "create_payment": billing.create_payment}).start()

    events: list[Envelope] = []
    listen = await bus.connection.channel()
    queue = await listen.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key="planning.#")

    async def collect(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            events.append(Envelope.model_validate_json(message.body))

    await queue.consume(collect)

    dsn = await make_database("planning")
    settings = PlanningSettings(
        database_url=dsn,
        amqp_url=amqp_url,
        events_exchange=exchange,
        environment="test",
        outbox_poll_seconds=0.2,
        rpc_timeout_seconds=1,
        expiry_interval_seconds=3600,
        reminder_weekday=0,
    )
    settings = settings.model_copy(update=getattr(request.module, "SETTINGS_OVERRIDES", {}))
    app = create_service_app(SPEC, settings)
    clock = Clock(START)
    app[CLOCK] = clock
    client = TestClient(TestServer(app))
    await client.start_server()
    db = await create_pool(dsn, min_size=1, max_size=4)
    h = Harness(client=client, db=db, bus=bus, billing=billing, clock=clock, settings=settings, events=events)
    await setup_town(h)
    yield h
    await client.close()
    await drop_queues(bus)
    with contextlib.suppress(Exception):
        await bus.channel.exchange_delete(exchange)
    await bus.close()
    await db.close()


async def setup_town(h: Harness) -> None:
    """2026/2027, the canteen (Mon, Tue, Thu, Fri) and the ALSH (Wednesdays and school
    holidays), December 2026 and January 2027 open."""
    for code, name, weekdays, holiday_weekdays, start, end, capacity in (
        ("cantine", "Cantine (11h30 à 13h30)", [1, 2, 4, 5], [], "11:30", "13:30", 120),
        ("alsh", "ALSH Mercredi (7h à 19h)", [3], [1, 2, 3, 4, 5], "07:00", "19:00", 48),
    ):
        r = await h.client.post(
            "/api/planning/admin/activities",
            json={
                "school_year": "2026/2027",
                "code": code,
                "name": name,
                "weekdays": weekdays,
                "holiday_weekdays": holiday_weekdays,
                "starts_at": start,
                "ends_at": end,
                "capacity": capacity,
            },
            headers=staff_headers(),
        )
        assert r.status == 201, await r.text()
        h.activities[code] = uuid.UUID((await r.json())["id"])
    for month in ("2026-12", "2027-01"):
        r = await h.client.put(f"/api/planning/admin/months/{month}", json={"open": True}, headers=staff_headers())
        assert r.status == 200, await r.text()


@pytest.fixture
async def family(harness: Harness) -> Family:
    harness.clock.now = START
    harness.billing.silent = False
    harness.billing.delay = 0.0
    return await harness.make_family()
