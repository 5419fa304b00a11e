"""The real commands: processes start, trace a request id end to end, stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import uuid

import aiohttp
import pytest
from portal_stack.processes import BIN, answers, free_port, json_lines, start
from servicekit.testing import eventually


@pytest.fixture
async def suite(make_database, amqp_url, tmp_path):
    accounts_port, gateway_port = free_port(), free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        # Outside development the development secrets are refused.
        "IDENTITY_SECRET": secrets.token_urlsafe(32),
        "GATEWAY_SESSION_SECRET": secrets.token_urlsafe(32),
        "LOG_FORMAT": "json",
        "AMQP_URL": amqp_url,
        "ACCOUNTS_DATABASE_URL": await make_database("proc_accounts"),
        "ACCOUNTS_HTTP_PORT": str(accounts_port),
        "ACCOUNTS_PASSWORD_HASH_PROFILE": "test",
        "GATEWAY_HTTP_PORT": str(gateway_port),
        "GATEWAY_ACCOUNTS_URL": f"http://127.0.0.1:{accounts_port}",
    }
    procs = {
        "accounts": await start([str(BIN / "portail-accounts"), "serve"], env, tmp_path / "accounts.log"),
        "gateway": await start([str(BIN / "portail-gateway"), "serve"], env, tmp_path / "gateway.log"),
    }
    try:
        await eventually(lambda: answers(f"http://127.0.0.1:{accounts_port}/ready"), timeout=30)
        await eventually(lambda: answers(f"http://127.0.0.1:{gateway_port}/health"), timeout=30)
        yield procs, gateway_port, tmp_path
    finally:
        for proc in procs.values():
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def test_request_id_is_in_gateway_and_service_logs_and_sigterm_is_graceful(suite):
    procs, gateway_port, logs = suite
    request_id = f"e2e-{uuid.uuid4().hex[:12]}"
    async with aiohttp.ClientSession() as s, s.get(
        f"http://127.0.0.1:{gateway_port}/api/accounts/terms", headers={"X-Request-ID": request_id}
    ) as r:
        assert r.headers["X-Request-ID"] == request_id
        # No terms are loaded in this empty database: the service's French problem passes through.
        assert r.status == 404
        assert (await r.json(content_type=None))["request_id"] == request_id

    for proc in procs.values():
        proc.send_signal(signal.SIGTERM)
    codes = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in procs.values())), timeout=20)
    assert codes == [0, 0], "both processes stop cleanly on SIGTERM"

    for service in ("accounts", "gateway"):
        lines = json_lines(logs / f"{service}.log")
        traced = [line for line in lines if line.get("request_id") == request_id]
        assert traced, f"{service} logged nothing with the request id"
        assert all(line["service"] == service for line in traced)
        assert any(line["event"] == "request_completed" for line in traced)


@pytest.mark.parametrize(
    "env,expected",
    [
        ({"PLANNING_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/planning"}, "PostgreSQL is unreachable"),
        ({"AMQP_URL": "amqp://guest:guest@127.0.0.1:9/"}, "RabbitMQ is unreachable"),
    ],
)
async def test_unreachable_server_stops_the_process_with_one_clear_line(env, expected, make_database):
    full_env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "PLANNING_HTTP_PORT": str(free_port()),
        "PLANNING_DATABASE_URL": await make_database("proc_planning"),
        **env,
    }
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "portail-planning"), "serve", env=full_env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 1
    last = err.decode().strip().splitlines()[-1]
    assert last.startswith("portail-planning: ") and expected in last
    assert "Traceback" not in err.decode()
    assert "guest:guest" not in err.decode()

