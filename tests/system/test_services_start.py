"""Each service starts on its own database and the bus, migrates, and answers its probes."""

from __future__ import annotations

import importlib

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from portal_stack.processes import free_port
from servicekit.db import create_pool
from servicekit.service import DB, create_service_app

SERVICES = {
    "accounts": "/api/accounts/terms",
    "planning": "/api/planning/activities",
    "billing": None,
    "messaging": "/api/messaging/themes",
}


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_service_migrates_loads_demo_data_and_is_ready(name, make_database, amqp_url):
    module = importlib.import_module(f"{name}.app")
    spec = module.SPEC
    dsn = await make_database(name)
    # Unknown keyword arguments are ignored by the other services' settings.
    metrics_port = free_port()
    settings = spec.settings_class(
        database_url=dsn,
        amqp_url=amqp_url,
        environment="test",
        password_hash_profile="test",
        metrics_port=metrics_port,
    )
    client = TestClient(TestServer(create_service_app(spec, settings)))
    await client.start_server()
    try:
        assert (await client.get("/health")).status == 200
        ready = await client.get("/ready")
        assert ready.status == 200, await ready.text()
        tables = await client.server.app[DB].fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        assert {"outbox", "inbox"} <= {r["table_name"] for r in tables}
        path = SERVICES[name]
        if spec.demo_data is not None:
            pool = await create_pool(dsn)
            try:
                await spec.demo_data(pool, settings)
                await spec.demo_data(pool, settings)  # loading twice is harmless
            finally:
                await pool.close()
        if path:
            resp = await client.get(path)
            assert resp.status == 200, await resp.text()
            assert await resp.json()
        # /metrics is on its own port, never on the public one
        assert (await client.get("/metrics")).status == 404
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{metrics_port}/metrics") as scrape:
            assert scrape.status == 200
            assert "http_requests_total" in await scrape.text()
    finally:
        await client.close()


async def test_demo_data_matches_the_brief(make_database):
    """The Le Derf family (dossier 404, child Arthur), a staff user, this year's activities."""
    from accounts.app import SPEC as ACCOUNTS
    from accounts.app import AccountsSettings
    from accounts.demo import load as load_accounts
    from planning.app import SPEC as PLANNING
    from planning.demo import load as load_planning
    from servicekit.db import migrate

    acc_dsn = await make_database("demo_accounts")
    plan_dsn = await make_database("demo_planning")
    await migrate(acc_dsn, ACCOUNTS.migrations)
    await migrate(plan_dsn, PLANNING.migrations)
    acc, plan = await create_pool(acc_dsn), await create_pool(plan_dsn)
    try:
        await load_accounts(acc, AccountsSettings(password_hash_profile="test"))
        await load_planning(plan, None)
        dossier = await acc.fetchrow("SELECT id, family_name FROM dossiers WHERE number = '404'")
        assert dossier["family_name"] == "LE DERF"
        assert await acc.fetchval("SELECT first_name FROM children WHERE dossier_id = $1", dossier["id"]) == "Arthur"
        assert await acc.fetchval("SELECT count(*) FROM users WHERE roles <> '{}'") == 1
        names = {r["name"] for r in await plan.fetch("SELECT name FROM activities")}
        assert names == {"Cantine (11h30 à 13h30)", "Périscolaire matin (7h à 8h30)", "ALSH Mercredi (7h à 19h)"}
    finally:
        await acc.close()
        await plan.close()
