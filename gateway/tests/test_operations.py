"""Operations: metrics on their own port only, a terse public /ready."""

from __future__ import annotations

import aiohttp
import pytest

from .standins import unused_port


async def test_metrics_are_not_on_the_public_port(gateway):
    resp = await gateway.get("/metrics")
    assert resp.status == 404
    assert "http_requests_total" not in await resp.text()


async def test_metrics_are_served_on_their_own_port(make_gateway):
    port = unused_port()
    gateway = await make_gateway(metrics_port=port)
    await gateway.get("/connexion")
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert 'http_requests_total{method="GET",route="/connexion",status="200"}' in text
    assert (await gateway.get("/metrics")).status == 404


async def test_the_public_ready_says_ready_and_nothing_else(gateway):
    resp = await gateway.get("/ready")
    assert resp.status == 200 and await resp.json() == {"status": "ready"}


def test_the_metrics_port_cannot_be_the_public_one():
    from gateway.settings import GatewaySettings
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="GATEWAY_METRICS_PORT"):
        GatewaySettings(environment="development", http_port=8080, metrics_port=8080)
