"""Idempotency-Key replay and the base unit of work, against the real PostgreSQL."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from pydantic import BaseModel
from servicekit.db import create_pool, migrate
from servicekit.errors import Conflict
from servicekit.events import IntegrationEvent
from servicekit.idempotency import IdempotencyKey, IdempotencyRecords, idempotent
from servicekit.identity import IDENTITY_HEADER, Identity, identity_middleware, sign_identity
from servicekit.requests import read_json
from servicekit.testing import http_client
from servicekit.uow import UnitOfWork
from servicekit.web import create_base_app

SECRET = "i" * 40
APP_SQL = (
    "CREATE TABLE bookings (id uuid PRIMARY KEY, seats int NOT NULL);CREATE TABLE rooms (number text PRIMARY KEY);"
)
POOL = web.AppKey("pool", object)


class Book(BaseModel):
    seats: int


class Booked(BaseModel):
    id: uuid.UUID
    seats: int


class SeatsBooked(IntegrationEvent):
    type = "demo.seats.booked"

    booking_id: uuid.UUID
    seats: int


class Bookings:
    def __init__(self, conn):
        self.conn = conn

    async def add(self, booking_id: uuid.UUID, seats: int) -> None:
        await self.conn.execute("INSERT INTO bookings (id, seats) VALUES ($1, $2)", booking_id, seats)


class DemoUnitOfWork(UnitOfWork):
    source = "demo"

    def attach(self, conn) -> None:
        self.bookings = Bookings(conn)


class Crash(Exception):
    """Stands for the process failing after the effect, before the commit."""


async def book(pool, cmd: Book, key: IdempotencyKey | None, *, slow: bool = False, crash: bool = False) -> Booked:
    """The use case: the booking, its event and the replayable answer in one transaction."""
    async with DemoUnitOfWork(pool) as uow:
        booked = Booked(id=uuid.uuid4(), seats=cmd.seats)
        await uow.bookings.add(booked.id, booked.seats)
        await uow.publish(SeatsBooked(booking_id=booked.id, seats=booked.seats))
        if slow:
            await asyncio.sleep(0.2)  # widens the race window; correctness does not depend on it
        await uow.remember(key, booked)
        if crash:
            raise Crash
        await uow.commit()
    return booked


async def book_handler(request: web.Request) -> web.Response:
    cmd = await read_json(request, Book)
    pool = request.app[POOL]
    slow, crash = "slow" in request.query, "crash" in request.query
    return await idempotent(request, lambda key: book(pool, cmd, key, slow=slow, crash=crash), pool=pool)


class RoomTaken(Conflict):
    code = "room_taken"
    title = "Cette salle existe déjà."


async def create_room(request: web.Request) -> web.Response:
    """A creation guarded by a unique number: a twin request fails on the rule, not on the key."""
    number = (await read_json(request, Room)).number
    pool = request.app[POOL]

    async def run(key: IdempotencyKey | None) -> Room:
        async with DemoUnitOfWork(pool) as uow:
            try:
                await uow.conn.execute("INSERT INTO rooms (number) VALUES ($1)", number)
            except asyncpg.UniqueViolationError:
                raise RoomTaken() from None
            await asyncio.sleep(0.2)  # keeps the twin waiting on the number, not on the key
            await uow.remember(key, Room(number=number))
            await uow.commit()
        return Room(number=number)

    return await idempotent(request, run, pool=pool)


class Room(BaseModel):
    number: str


async def book_forgetful(request: web.Request) -> web.Response:
    """A use case that does not call ``remember``: the answer is still stored after it."""
    cmd = await read_json(request, Book)
    pool = request.app[POOL]
    return await idempotent(request, lambda key: book(pool, cmd, None), pool=pool)


@pytest.fixture
async def pool(make_database):
    dsn = await make_database("idempotency")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "0001_bookings.sql").write_text("-- depends: 0000_servicekit_outbox_inbox\n" + APP_SQL)
        await migrate(dsn, tmp)
    pool = await create_pool(dsn)
    yield pool
    await pool.close()


@pytest.fixture
async def client(pool):
    app = create_base_app("demo", middlewares=[identity_middleware(SECRET)])
    app[POOL] = pool
    app.router.add_post("/bookings", book_handler)
    app.router.add_post("/forgetful", book_forgetful)
    app.router.add_post("/rooms", create_room)
    async with http_client(app) as client:
        yield client


def headers(key: str | None, user: uuid.UUID | None = None) -> dict[str, str]:
    found = {IDENTITY_HEADER: sign_identity(Identity(user_id=user or USER), SECRET)}
    if key is not None:
        found["Idempotency-Key"] = key
    return found


USER = uuid.uuid4()


async def counts(pool) -> tuple[int, int, int]:
    return (
        await pool.fetchval("SELECT count(*) FROM bookings"),
        await pool.fetchval("SELECT count(*) FROM outbox"),
        await pool.fetchval("SELECT count(*) FROM idempotent_requests"),
    )


async def test_same_key_replays_the_first_answer(client, pool):
    first = await client.post("/bookings", json={"seats": 2}, headers=headers("k-1"))
    again = await client.post("/bookings", json={"seats": 2}, headers=headers("k-1"))
    assert first.status == again.status == 201
    assert await first.json() == await again.json()
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await counts(pool) == (1, 1, 1)


async def test_without_a_key_every_request_counts(client, pool):
    for _ in range(2):
        assert (await client.post("/bookings", json={"seats": 1}, headers=headers(None))).status == 201
    assert await counts(pool) == (2, 2, 0)


async def test_keys_are_per_caller(client, pool):
    await client.post("/bookings", json={"seats": 1}, headers=headers("shared"))
    other = await client.post("/bookings", json={"seats": 1}, headers=headers("shared", uuid.uuid4()))
    assert "Idempotent-Replayed" not in other.headers
    assert await counts(pool) == (2, 2, 2)


async def test_same_key_with_another_body_is_refused_in_french(client, pool):
    await client.post("/bookings", json={"seats": 1}, headers=headers("k-2"))
    resp = await client.post("/bookings", json={"seats": 3}, headers=headers("k-2"))
    assert resp.status == 422
    body = await resp.json()
    assert body["title"] == "Cette clé d'idempotence a déjà servi pour une autre demande."
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert await counts(pool) == (1, 1, 1)


@pytest.mark.parametrize("key", ["", "é", "a b", "x" * 256])
async def test_malformed_key_is_400(client, pool, key):
    resp = await client.post("/bookings", json={"seats": 1}, headers=headers(key))
    assert resp.status == 400
    assert (await resp.json())["type"].endswith("/invalid_idempotency_key")
    assert await counts(pool) == (0, 0, 0)


async def test_concurrent_requests_with_one_key_have_one_effect(client, pool):
    responses = await asyncio.gather(
        *(client.post("/bookings?slow", json={"seats": 4}, headers=headers("race")) for _ in range(5))
    )
    bodies = [await r.json() for r in responses]
    assert {r.status for r in responses} == {201}
    assert all(b == bodies[0] for b in bodies)
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 4
    assert await counts(pool) == (1, 1, 1)


async def test_a_twin_refused_by_a_rule_the_first_one_broke_gets_the_first_answer(client, pool):
    first, twin = await asyncio.gather(
        client.post("/rooms", json={"number": "404"}, headers=headers("room-key")),
        client.post("/rooms", json={"number": "404"}, headers=headers("room-key")),
    )
    assert (first.status, twin.status) == (201, 201)
    assert await first.json() == await twin.json() == {"number": "404"}
    other_key = await client.post("/rooms", json={"number": "404"}, headers=headers("another-key"))
    assert other_key.status == 409 and (await other_key.json())["type"].endswith("room_taken")
    assert await pool.fetchval("SELECT count(*) FROM rooms") == 1


async def test_a_crash_before_commit_leaves_neither_effect_nor_answer(client, pool):
    crashed = await client.post("/bookings?crash", json={"seats": 1}, headers=headers("k-3"))
    assert crashed.status == 500
    assert await counts(pool) == (0, 0, 0)
    retried = await client.post("/bookings", json={"seats": 1}, headers=headers("k-3"))
    assert retried.status == 201 and "Idempotent-Replayed" not in retried.headers
    assert await counts(pool) == (1, 1, 1)


async def test_a_use_case_that_does_not_remember_still_gets_replays(client, pool):
    first = await client.post("/forgetful", json={"seats": 1}, headers=headers("k-4"))
    again = await client.post("/forgetful", json={"seats": 1}, headers=headers("k-4"))
    assert await first.json() == await again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await counts(pool) == (1, 1, 1)


async def test_expired_answers_are_not_replayed_and_are_purged(client, pool):
    await client.post("/bookings", json={"seats": 1}, headers=headers("k-5"))
    await pool.execute("UPDATE idempotent_requests SET expires_at = now() - interval '1 second'")
    again = await client.post("/bookings", json={"seats": 1}, headers=headers("k-5"))
    assert "Idempotent-Replayed" not in again.headers
    assert await counts(pool) == (2, 2, 1)  # the expired row was taken over by the new answer
    async with pool.acquire() as conn:
        records = IdempotencyRecords(conn)
        assert await records.purge_expired(datetime.now(UTC) + timedelta(days=2)) == 1
    assert await counts(pool) == (2, 2, 0)


async def test_unit_of_work_rolls_back_unless_committed_and_joins_a_transaction(pool):
    async with DemoUnitOfWork(pool) as uow:
        await uow.bookings.add(uuid.uuid4(), 1)
        await uow.publish(SeatsBooked(booking_id=uuid.uuid4(), seats=1))
    assert await counts(pool) == (0, 0, 0)

    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        async with DemoUnitOfWork.joined(conn) as uow:
            await uow.bookings.add(uuid.uuid4(), 1)
            await uow.commit()  # the owner decides
        await tx.rollback()
    assert await counts(pool) == (0, 0, 0)

    async with DemoUnitOfWork(pool) as uow:
        await uow.bookings.add(uuid.uuid4(), 1)
        await uow.publish("demo.seats.booked", {"seats": 1})  # transitional form
        await uow.commit()
    row = await pool.fetchrow("SELECT event_type, envelope FROM outbox")
    assert row["event_type"] == "demo.seats.booked"
    assert row["envelope"]["source"] == "demo"
