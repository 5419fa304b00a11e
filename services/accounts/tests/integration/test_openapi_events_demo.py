"""The OpenAPI document, the events on the real broker, the demonstration data."""

from __future__ import annotations

import json
import re
import uuid

import aio_pika
import pytest
from accounts.demo import DEMO_ARTHUR_ID, DEMO_DOSSIER_ID, DEMO_PARENT, DEMO_STAFF, load
from accounts.events import EVENT_TYPES
from servicekit.db import create_pool
from servicekit.testing import eventually


async def test_every_api_route_is_in_the_openapi_document(h):
    _, doc = await h.call("GET", "/api/accounts/openapi.json", expect=200)
    assert doc["openapi"].startswith("3.1")
    registered = set()
    for resource in h.app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter")
        for route in resource:
            if path.startswith("/api/") and route.method not in ("HEAD", "OPTIONS"):
                registered.add((route.method.lower(), path))
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert registered and registered <= documented, registered - documented
    assert not any(p.startswith("/internal") for p in doc["paths"])
    admin = doc["paths"]["/api/accounts/admin/dossiers"]["post"]
    assert admin["x-roles"] == ["accounts_staff"] and "403" in admin["responses"]
    # every reference resolves inside the document
    text = json.dumps(doc)
    for ref in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text)):
        assert ref in doc["components"]["schemas"], ref
    body = doc["paths"]["/api/accounts/registrations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema = doc["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert {"last_name", "first_name", "email", "username", "password", "terms_version", "without_dossier"} <= set(
        schema["properties"]
    )


async def test_events_reach_the_broker_with_the_documented_fields(h):
    connection = await aio_pika.connect_robust(h.settings.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(h.settings.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(f"test-accounts-{uuid.uuid4().hex[:8]}", exclusive=True)
        await queue.bind(exchange, "accounts.#")
        parent = await h.active_parent()
        seen: dict[str, dict] = {}

        async def got_activation() -> bool:
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                envelope = json.loads(message.body)
                seen[envelope["type"]] = envelope
            return seen.get("accounts.user.activated", {}).get("data", {}).get("user_id") == parent.user_id

        await eventually(got_activation, timeout=15)
        for event_type, envelope in seen.items():
            model = EVENT_TYPES[event_type]
            model.model_validate(envelope["data"])  # extra="forbid": exactly the documented fields
            assert envelope["source"] == "accounts" and envelope["type"] == event_type
    finally:
        await connection.close()


async def test_demo_data_go_through_the_use_cases_load_twice_and_publish_once(h, make_database):
    from accounts.app import SPEC
    from accounts.passwords import make_hasher
    from accounts.service import Accounts, sessions
    from servicekit.db import migrate

    dsn = await make_database("accounts_demo")
    await migrate(dsn, SPEC.migrations)
    pool = await create_pool(dsn)
    try:
        await load(pool, h.settings)
        first = await pool.fetch("SELECT event_type FROM outbox ORDER BY id")
        await load(pool, h.settings)
        second = await pool.fetch("SELECT event_type FROM outbox ORDER BY id")
        assert [r["event_type"] for r in first] == [r["event_type"] for r in second]
        # What a dossier typed in by staff, a registration and a staff account emit.
        assert [r["event_type"] for r in first] == [
            "accounts.dossier.updated",
            "accounts.child.added",
            "accounts.user.registered",
            "accounts.user.activated",
            "accounts.user.registered",
            "accounts.user.activated",
        ]
        for row in await pool.fetch("SELECT event_type, envelope FROM outbox"):
            EVENT_TYPES[row["event_type"]].model_validate(row["envelope"]["data"])
        # the fixed ids planning and billing seed their copies with
        assert await pool.fetchval("SELECT number FROM dossiers WHERE id = $1", DEMO_DOSSIER_ID) == "404"
        arthur = await pool.fetchrow("SELECT dossier_id, first_name FROM children WHERE id = $1", DEMO_ARTHUR_ID)
        assert arthur["dossier_id"] == DEMO_DOSSIER_ID and arthur["first_name"] == "Arthur"
        users = {r["username"]: r for r in await pool.fetch("SELECT username, status, dossier_id, roles FROM users")}
        assert users[DEMO_PARENT[0]]["dossier_id"] == DEMO_DOSSIER_ID
        assert users[DEMO_PARENT[0]]["status"] == users[DEMO_STAFF[0]]["status"] == "active"
        assert "accounts_staff" in users[DEMO_STAFF[0]]["roles"]
        # audited like any other change: the dossier and its child created, both accounts activated
        actions = sorted(r["action"] for r in await pool.fetch("SELECT action FROM audit_log"))
        assert actions == ["activated", "activated", "created", "created", "staff_created"]
        assert await pool.fetchval("SELECT count(*) FROM terms_acceptances") == 1
        # the logins scripts/run prints work
        acc = Accounts(pool=pool, hasher=make_hasher(h.settings.password_hash_profile))
        for username, password in (DEMO_PARENT, DEMO_STAFF):
            assert (await sessions.login(acc, username, password, client="192.0.2.7")).token
    finally:
        await pool.close()


async def test_demo_data_refuse_production(h):
    with pytest.raises(RuntimeError):
        await load(h.pool, h.settings.model_copy(update={"environment": "production"}))
