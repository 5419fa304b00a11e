"""No session token in any log line, whatever a client sends (issue 11, point 4).

Oversized and malformed requests, each carrying a live session token (cookie, bearer,
header, path, body), go to the gateway and to a service's port; then no process's log
output holds the token. aiohttp logs a request it cannot parse at ERROR with the raw
header bytes: the gateway filters that (``gateway.server``). The services' shell is
servicekit's (``servicekit.web.run``); its share is checked separately, below.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from portal_stack.portal import DEMO_PARENT, Stack

pytestmark = pytest.mark.timeout(300)


async def log_in(stack: Stack) -> str:
    username, password = DEMO_PARENT
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{stack.gateway_url}/api/accounts/sessions", json={"username": username, "password": password}
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return (await resp.json())["token"]


def raw_requests(token: str) -> list[bytes]:
    t = token.encode()
    cookie = b"Cookie: pf_session=" + t
    return [
        # Header fields and request lines past aiohttp's limits.
        b"GET / HTTP/1.1\r\nHost: x\r\n" + cookie + b"a" * 9000 + b"\r\n\r\n",
        b"GET /" + b"p" * 9000 + t + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, t) for i in range(200)) + b"\r\n",
        # Malformed lines and values.
        b"GET / HTTP/1.1\r\nHost: x\r\n" + cookie + b"\r\nBad Header\r\n\r\n",
        b"GET /\x00" + t + b" HTTP/1.1\r\n" + cookie + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t + b"\x01\r\n\r\n",
        b"POST /api/accounts/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n"
        + cookie
        + b"\r\n\r\nhello",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + cookie + b"\r\n\r\nzz" + t + b"\r\n",
        b"GET / HTTP/9.9\r\nHost: x\r\n" + cookie + b"\r\n\r\n",
        b"\x16\x03\x01" + t + b"\r\n\r\n",
    ]


async def send_raw(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.read(200), timeout=5)
    except (ConnectionError, TimeoutError):
        return b""
    finally:
        writer.close()


async def http_requests(base: str, token: str) -> None:
    """Requests that parse but are wrong, the token in every place a client can put it."""
    async with aiohttp.ClientSession() as session:
        calls = [
            ("GET", "/api/accounts/me", {"Authorization": f"Bearer {token} extra"}, None),
            ("GET", "/api/accounts/me", {"Authorization": f"Bearer {token}{'x' * 300}"}, None),
            ("GET", "/", {"Cookie": f'pf_session="{token} broken"'}, None),
            ("GET", f"/api/accounts/{token}", {"Authorization": f"Bearer {token}"}, None),
            ("POST", "/api/accounts/sessions", {"Content-Type": "application/json"}, f'{{"username": "{token}'),
            ("POST", "/connexion", {"Content-Type": "multipart/form-data"}, f"csrf_token={token}"),
            (
                "POST",
                "/api/messaging/threads",
                {"Authorization": f"Bearer {token}", "Content-Type": "multipart/form-data; boundary=x"},
                f"--x\r\n{token}",
            ),
            ("POST", "/internal/sessions/resolve", {"Content-Type": "application/json"}, f'{{"token": "{token} "}}'),
        ]
        for method, path, headers, body in calls:
            async with session.request(method, base + path, headers=headers, data=body, allow_redirects=False) as resp:
                await resp.read()


def leaks(stack: Stack, token: str, only: str | None = None) -> list[str]:
    return [
        f"{name}: {line[:200]}"
        for name, text in stack.log_text().items()
        if only is None or name.startswith(only)
        for line in text.splitlines()
        if token in line
    ]


async def test_the_gateway_logs_no_token_whatever_it_is_sent(stack):
    token = await log_in(stack)
    for payload in raw_requests(token):
        answer = await send_raw(stack.ports["gateway"], payload)
        assert not answer or answer.startswith(b"HTTP/1.") and b" 5" not in answer.split(b"\r\n")[0], answer
    await http_requests(stack.gateway_url, token)
    await asyncio.sleep(1)  # let the processes flush their logs
    gateway_log = stack.log_text()["gateway.log"]
    assert "bad_http_request_refused" in gateway_log, "the refusals are logged, without their bytes"
    assert leaks(stack, token, only="gateway") == []


async def test_no_process_logs_a_token(stack):
    """Every process's log, after the requests above and the same ones straight to a service:
    servicekit's web shell filters aiohttp's records of unparsable requests like the gateway
    does, and its multipart reader answers a part it cannot parse with a 400."""
    token = await log_in(stack)
    for payload in raw_requests(token):
        await send_raw(stack.ports["gateway"], payload)
        await send_raw(stack.ports["accounts"], payload)
    await http_requests(stack.gateway_url, token)
    await http_requests(stack.url("accounts"), token)
    await asyncio.sleep(1)
    assert leaks(stack, token, only="gateway") == []
    assert leaks(stack, token) == []
