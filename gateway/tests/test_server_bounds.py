"""What the gateway's server logs about requests it cannot parse, and about accept failures."""

from __future__ import annotations

import asyncio
import errno
import logging
import secrets

import pytest
import structlog.testing
from gateway.server import AcceptErrorReporter


# Requests aiohttp refuses before any handler runs, each carrying a session token.
def raw_requests(token: str) -> list[bytes]:
    cookie = f"Cookie: pf_session={token}".encode()
    return [
        b"GET / HTTP/1.1\r\nHost: x\r\n" + cookie + b"a" * 9000 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n" + cookie + b"\r\nBad Header\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-H%d: %s\r\n" % (i, token.encode()) for i in range(200))
        + b"\r\n",
        b"GET /\x00" + token.encode() + b" HTTP/1.1\r\n" + cookie + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() + b"\x01\r\n\r\n",
    ]


async def send_raw(host: str, port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(payload)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(200), timeout=5)
    finally:
        writer.close()


async def test_raw_header_bytes_never_reach_the_log(gateway, caplog):
    caplog.set_level(logging.DEBUG)
    token = secrets.token_urlsafe(32)
    for payload in raw_requests(token):
        answer = await send_raw(gateway.host, gateway.port, payload)
        assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0]
    logged = "\n".join(r.getMessage() + (caplog.text or "") for r in caplog.records)
    assert caplog.records, "the refusals are still logged"
    assert token not in logged
    assert any("bad_http_request_refused" in r.getMessage() for r in caplog.records)


class FakeLoop:
    def __init__(self):
        self.passed_on: list[dict] = []

    def default_exception_handler(self, context):
        self.passed_on.append(context)


def test_accept_failures_are_reported_once_per_interval():
    now = [0.0]
    reporter = AcceptErrorReporter(interval=60, clock=lambda: now[0])
    loop = FakeLoop()
    context = {"message": AcceptErrorReporter.MESSAGE, "exception": OSError(errno.EMFILE, "Too many open files")}
    # Captured from structlog itself, whatever output an earlier test configured.
    with structlog.testing.capture_logs() as logs:
        for _ in range(500):
            reporter(loop, context)
            now[0] += 0.01
        now[0] += 60
        reporter(loop, context)
    reports = [entry for entry in logs if entry["event"] == "accept_failed"]
    assert len(reports) == 2, reports
    assert reports[1]["failures_since_last_report"] == 499
    assert loop.passed_on == []


def test_other_loop_errors_go_to_the_default_handler():
    loop = FakeLoop()
    AcceptErrorReporter()(loop, {"message": "Task exception was never retrieved"})
    assert loop.passed_on == [{"message": "Task exception was never retrieved"}]


@pytest.mark.parametrize("name", ["keepalive_seconds", "client_body_idle_seconds", "form_read_seconds"])
def test_the_bounds_are_settings(name, monkeypatch):
    from gateway.settings import GatewaySettings

    monkeypatch.setenv(f"GATEWAY_{name.upper()}", "7")
    assert getattr(GatewaySettings(environment="development"), name) == 7
