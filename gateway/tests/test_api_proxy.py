"""/api/<service>/... through the gateway to real (stand-in) services over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import uuid

import aiohttp
import pytest
import structlog.testing
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from gateway.auth import IDENTITY_REQUEST_KEY
from gateway.settings import GatewaySettings
from gateway.upstream import WHOLE_ANSWER_BYTES, headers_for_service
from servicekit.identity import Identity
from servicekit.web import REQUEST_ID

from .standins import GZIPPED, IDENTITY_SECRET, SEEN, SESSION_SECRET, unused_port

PROBLEM = "application/problem+json"


def received_headers(doc: dict) -> dict[str, str]:
    return {k.lower(): v for k, v in doc["headers"]}


@pytest.mark.parametrize("service", ["accounts", "planning", "billing", "messaging"])
async def test_each_service_gets_its_own_paths(gateway, service):
    resp = await gateway.get(f"/api/{service}/things/42")
    assert resp.status == 200
    doc = await resp.json()
    assert doc["service"] == service
    assert doc["path_qs"] == f"/api/{service}/things/42"


async def test_method_query_and_body_pass_through_unchanged(gateway):
    body = b'{"theme_id": "t1", "subject": "Allergie \xc3\xa9"}'
    resp = await gateway.patch(
        "/api/messaging/threads/7?box=inbox&q=caf%C3%A9&q=th%C3%A9",
        data=body,
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert resp.status == 200
    doc = await resp.json()
    assert doc["method"] == "PATCH"
    assert doc["path_qs"] == "/api/messaging/threads/7?box=inbox&q=caf%C3%A9&q=th%C3%A9"
    assert doc["body_sha256"] == hashlib.sha256(body).hexdigest()
    headers = received_headers(doc)
    assert headers["content-type"] == "application/merge-patch+json"
    assert headers["content-length"] == str(len(body))


async def test_large_streamed_body_arrives_intact(gateway):
    body = os.urandom(3 * 1024 * 1024)

    async def chunks():
        for start in range(0, len(body), 256 * 1024):
            yield body[start : start + 256 * 1024]

    resp = await gateway.post("/api/billing/qf-proofs", data=chunks())
    doc = await resp.json()
    assert resp.status == 200
    assert doc["body_size"] == len(body)
    assert doc["body_sha256"] == hashlib.sha256(body).hexdigest()


async def test_request_without_body_sends_none(gateway):
    resp = await gateway.get("/api/planning/children", skip_auto_headers=["Accept-Encoding", "Accept"])
    doc = await resp.json()
    assert doc["body_size"] == 0
    headers = received_headers(doc)
    assert "content-type" not in headers and "transfer-encoding" not in headers
    # Nor does the gateway ask for an encoding (or anything) the caller did not ask for.
    assert "accept-encoding" not in headers and "accept" not in headers


async def test_declared_oversize_body_is_refused_before_reaching_the_service(gateway, services):
    resp = await gateway.post("/api/billing/qf-proofs", data=io.BytesIO(b"x" * (10 * 1024 * 1024 + 1)))
    assert resp.status == 413
    assert services["billing"].app[SEEN] == []
    assert resp.content_type == PROBLEM
    assert (await resp.json(content_type=None))["type"].endswith("/too_large")


async def test_streamed_oversize_body_is_cut_off_with_413(gateway):
    async def chunks():
        for _ in range(11):
            yield b"x" * (1024 * 1024)

    resp = await gateway.post("/api/billing/qf-proofs", data=chunks())
    assert resp.status == 413
    assert resp.content_type == PROBLEM


async def test_compressed_request_body_is_refused(gateway, services):
    resp = await gateway.post(
        "/api/messaging/threads", data=GZIPPED, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    assert resp.status == 415
    assert resp.content_type == PROBLEM
    assert services["messaging"].app[SEEN] == []


async def test_hop_by_hop_credentials_and_forged_headers_are_dropped(gateway):
    resp = await gateway.get(
        "/api/accounts/profile",
        headers={
            "Connection": "keep-alive, X-Client-Hop",
            "X-Client-Hop": "1",
            "Keep-Alive": "timeout=5",
            "TE": "trailers",
            "Trailer": "X-Checksum",
            "Proxy-Authorization": "Basic Zm9vOmJhcg==",
            "X-Portail-Identity": "forged.token.value",
            "X-Forwarded-For": "6.6.6.6",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "https",
            "Forwarded": "for=6.6.6.6",
            "Cookie": "portail_session=abc",
            "Authorization": "Basic YWJjOmRlZg==",
            "X-Custom": "kept",
            "Accept": "application/json",
        },
    )
    doc = await resp.json()
    headers = received_headers(doc)
    for name in (
        "x-client-hop",
        "keep-alive",
        "te",
        "trailer",
        "proxy-authorization",
        "x-portail-identity",
        "x-forwarded-host",
        "forwarded",
        "cookie",
        "authorization",
    ):
        assert name not in headers, name
    assert "x-client-hop" not in headers.get("connection", "").lower()
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-custom"] == "kept"
    assert headers["accept"] == "application/json"
    assert doc["identity"] is None


def test_every_hop_by_hop_header_is_dropped():
    # Checked on the function: a real server would act on Upgrade or Transfer-Encoding
    # before the gateway's handler ever saw them.
    request = make_mocked_request(
        "POST",
        "/api/accounts/x",
        headers={
            "Connection": "Upgrade, X-A",
            "X-A": "1",
            "Upgrade": "h2c",
            "Transfer-Encoding": "chunked",
            "Trailers": "X-B",
            "Proxy-Connection": "keep-alive",
            "Host": "portail.example",
            "Content-Length": "12",
            "Expect": "100-continue",
            "X-Real-IP": "6.6.6.6",
            "X-Kept": "yes",
        },
    )
    request[REQUEST_ID] = "r1"
    settings = GatewaySettings(identity_secret=IDENTITY_SECRET, session_secret=SESSION_SECRET)
    assert dict(headers_for_service(request, settings)) == {
        "X-Kept": "yes",
        "X-Forwarded-Proto": "http",
        "X-Request-ID": "r1",
    }


async def test_hop_by_hop_headers_from_the_service_are_dropped(gateway):
    resp = await gateway.get("/api/accounts/hop-by-hop")
    assert resp.status == 200
    assert "X-Upstream-Hop" not in resp.headers
    assert "Keep-Alive" not in resp.headers
    assert "Proxy-Authenticate" not in resp.headers
    assert resp.headers["X-End-To-End"] == "kept"


async def test_identity_is_signed_for_the_service(make_gateway):
    parent = Identity(user_id=uuid.uuid4(), roles=frozenset({"parent"}), dossier_id=uuid.uuid4())

    @web.middleware
    async def signed_in_as_parent(request, handler):
        # Stands in for the login issue's auth middleware.
        request[IDENTITY_REQUEST_KEY] = parent
        return await handler(request)

    gateway = await make_gateway(setup=lambda app: app.middlewares.append(signed_in_as_parent))
    doc = await (await gateway.get("/api/planning/basket", headers={"X-Portail-Identity": "forged"})).json()
    assert doc["identity"] == {
        "user_id": str(parent.user_id),
        "roles": ["parent"],
        "dossier_id": str(parent.dossier_id),
    }


async def test_request_id_goes_to_the_service_and_back(gateway):
    resp = await gateway.get("/api/accounts/profile", headers={"X-Request-ID": "parent-call-42"})
    assert resp.headers["X-Request-ID"] == "parent-call-42"
    assert received_headers(await resp.json())["x-request-id"] == "parent-call-42"

    resp = await gateway.get("/api/accounts/profile")
    made_up = resp.headers["X-Request-ID"]
    assert made_up and received_headers(await resp.json())["x-request-id"] == made_up


async def test_slow_service_is_a_504_problem(make_gateway):
    gateway = await make_gateway(upstream_timeout_seconds=0.2)
    resp = await gateway.get("/api/accounts/slow?seconds=1")
    assert resp.status == 504
    assert resp.content_type == PROBLEM
    doc = await resp.json(content_type=None)
    assert doc["type"].endswith("/gateway_timeout")
    assert doc["title"] == "Le service met trop de temps à répondre. Merci de réessayer plus tard."
    assert doc["request_id"] == resp.headers["X-Request-ID"]


async def test_unreachable_service_is_a_502_problem(make_gateway):
    gateway = await make_gateway(billing_url=f"http://127.0.0.1:{unused_port()}")
    resp = await gateway.get("/api/billing/account")
    assert resp.status == 502
    assert resp.content_type == PROBLEM
    assert (await resp.json(content_type=None))["type"].endswith("/bad_gateway")


async def test_service_cut_off_in_a_short_answer_is_a_502(gateway):
    """Answers of known length up to WHOLE_ANSWER_BYTES are read whole before anything is
    sent: a service that hangs up half-way is then a plain 502, not a truncated 200."""
    resp = await gateway.get("/api/accounts/truncated")
    assert resp.status == 502
    assert resp.content_type == PROBLEM


async def test_service_cut_off_mid_streamed_body_cuts_the_client_off(gateway):
    resp = await gateway.get(f"/api/accounts/truncated?length={WHOLE_ANSWER_BYTES + 1}")
    assert resp.status == 200
    with pytest.raises(aiohttp.ClientPayloadError):
        await resp.read()


async def test_head_gets_the_headers_without_a_body(gateway):
    head = await gateway.head("/api/accounts/compressed")
    assert head.status == 200
    assert head.headers["Content-Length"] == str(len(GZIPPED))
    assert await head.read() == b""


async def test_redirects_are_passed_through_not_followed(gateway):
    resp = await gateway.get("/api/accounts/redirect", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"] == "/api/accounts/elsewhere"


async def test_compressed_responses_pass_through_untouched(gateway):
    async with aiohttp.ClientSession(auto_decompress=False) as raw:
        async with raw.get(gateway.make_url("/api/accounts/compressed")) as resp:
            assert resp.headers["Content-Encoding"] == "gzip"
            assert int(resp.headers["Content-Length"]) == len(GZIPPED)
            assert await resp.read() == GZIPPED


async def test_cookies_set_by_a_service_are_never_replayed_to_it(gateway):
    first = await gateway.get("/api/accounts/cookie")
    assert "upstream_session" in first.headers["Set-Cookie"]
    gateway.session.cookie_jar.clear()
    doc = await (await gateway.get("/api/accounts/profile")).json()
    assert "cookie" not in received_headers(doc)


async def test_dot_segments_stay_on_the_named_service(gateway):
    # Sent raw: a client library would normalise the path before it leaves.
    reader, writer = await asyncio.open_connection(gateway.host, gateway.port)
    writer.write(b"GET /api/accounts/../billing/account HTTP/1.1\r\nHost: portail\r\nConnection: close\r\n\r\n")
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    doc = json.loads(body)
    assert doc["service"] == "accounts"
    assert doc["path_qs"] == "/api/accounts/../billing/account"


async def test_unknown_api_paths_are_404_problems(gateway):
    for path in ("/api/unknown/things", "/api/accounts", "/api"):
        resp = await gateway.get(path)
        assert resp.status == 404, path
        assert resp.content_type == PROBLEM, path


async def test_security_headers_on_proxied_responses(gateway):
    resp = await gateway.get("/api/accounts/profile")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert "Cache-Control" not in resp.headers


async def test_ready_when_every_service_answers(gateway):
    resp = await gateway.get("/ready")
    assert resp.status == 200


async def test_not_ready_tells_the_public_nothing_more(make_gateway):
    gateway = await make_gateway(messaging_url=f"http://127.0.0.1:{unused_port()}")
    # Captured from structlog itself: whatever an earlier test configured as output.
    with structlog.testing.capture_logs() as logs:
        resp = await gateway.get("/ready")
    assert resp.status == 503
    assert await resp.json() == {"status": "not ready"}
    # The operator learns which service is down from the log, not the public.
    assert any(entry["event"] == "not_ready" for entry in logs), logs
