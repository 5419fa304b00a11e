"""Operations endpoints of a service (issue 11, point 8): /metrics on a port of its own,
never on the public one, and a /ready that tells the public only "ready" or "not ready"."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from servicekit.settings import ServiceSettings
from servicekit.testing import http_client
from servicekit.web import READY_CHECKS, create_base_app, metrics_server


async def failing_database(app):
    raise ConnectionError("postgresql://user:password@db/accounts refused")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service_app(metrics_port: int):
    """What create_service_app makes of the shell (without a database or a broker)."""
    app = create_base_app("demo", metrics_route=False, ready_details=False)
    app.cleanup_ctx.append(metrics_server("127.0.0.1", metrics_port))
    return app


async def test_metrics_are_served_on_their_own_port_only():
    port = free_port()
    async with http_client(service_app(port)) as client:
        assert (await client.get("/health")).status == 200
        public = await client.get("/metrics")
        assert public.status == 404
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as scrape:
            assert scrape.status == 200
            text = await scrape.text()
        assert 'http_requests_total{method="GET",route="/health",status="200"}' in text
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/health") as other:
            assert other.status == 404  # the metrics port serves nothing else
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics"):
            pass


async def test_a_metrics_port_in_use_leaves_the_service_running():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with http_client(service_app(port)) as client:
            assert (await client.get("/health")).status == 200


async def test_ready_tells_the_public_ready_or_not_ready_and_nothing_else():
    async with http_client(service_app(0)) as client:
        ok = await client.get("/ready")
        assert ok.status == 200 and await ok.json() == {"status": "ready"}
        client.server.app[READY_CHECKS].append(failing_database)
        down = await client.get("/ready")
        assert down.status == 503
        body = await down.text()
        assert await down.json() == {"status": "not ready"}
        assert "failing_database" not in body and "ConnectionError" not in body and "password" not in body


def test_metrics_port_defaults_to_the_http_port_plus_1000_and_0_is_off(monkeypatch):
    assert ServiceSettings(http_port=8081).metrics_port_in_use == 9081
    assert ServiceSettings(http_port=8081, metrics_port=0).metrics_port_in_use == 0
    assert ServiceSettings(http_port=8081, metrics_port=19999).metrics_port_in_use == 19999
    assert ServiceSettings(http_port=65000).metrics_port_in_use == 0  # past the last port: off
    monkeypatch.setenv("METRICS_PORT", "")  # the unprefixed name is not read ...
    monkeypatch.setenv("DEMO_METRICS_PORT", "")  # ... and an empty value means the default

    class Demo(ServiceSettings):
        model_config = {**ServiceSettings.model_config, "env_prefix": "DEMO_"}

    assert Demo(http_port=8085).metrics_port_in_use == 9085
