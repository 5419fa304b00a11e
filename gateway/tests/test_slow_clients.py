"""Slow clients: an upload's time is the client's, not the upstream's; silence is bounded."""

from __future__ import annotations

import asyncio
import hashlib

PROBLEM = "application/problem+json"
CHUNK = b"x" * 64 * 1024


async def slow_body(chunks: int, pause: float, digest):
    for _ in range(chunks):
        await asyncio.sleep(pause)
        digest.update(CHUNK)
        yield CHUNK


async def test_a_slow_upload_is_not_an_upstream_timeout(make_gateway):
    # 3 MiB sent over about 1.2 s, with an upstream timeout of 0.3 s: the upstream answers
    # at once once it has the body, so the gateway must not cut the call.
    gateway = await make_gateway(upstream_timeout_seconds=0.3, client_body_idle_seconds=5)
    digest = hashlib.sha256()
    resp = await gateway.post(
        "/api/messaging/threads",
        data=slow_body(48, 0.025, digest),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert resp.status == 200, await resp.text()
    doc = await resp.json()
    assert doc["body_size"] == 48 * len(CHUNK) and doc["body_sha256"] == digest.hexdigest()


async def test_a_client_silent_in_the_middle_of_its_body_gets_408(make_gateway, services):
    gateway = await make_gateway(client_body_idle_seconds=0.3)

    async def stalls():
        yield CHUNK
        await asyncio.sleep(1.5)
        yield CHUNK

    resp = await gateway.post(
        "/api/messaging/threads", data=stalls(), headers={"Content-Type": "application/octet-stream"}
    )
    assert resp.status == 408
    assert resp.content_type == PROBLEM
    doc = await resp.json(content_type=None)
    assert doc["title"].startswith("La demande a mis trop de temps")


async def test_a_form_that_takes_too_long_to_arrive_gets_a_408_page(make_gateway):
    gateway = await make_gateway(form_read_seconds=0.3)

    async def stalls():
        yield b"username=a"
        await asyncio.sleep(1.5)
        yield b"&password=b"

    resp = await gateway.post(
        "/connexion", data=stalls(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert resp.status == 408 and resp.content_type == "text/html"
    assert "trop de temps" in await resp.text()
