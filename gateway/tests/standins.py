"""Small aiohttp apps standing in for the services: real HTTP servers, in process.

Each echoes what it received (method, path, headers, a digest of the body, the verified
identity) and has a few misbehaving routes: slow, redirecting, compressed, cookie-setting,
with hop-by-hop headers, cut off mid-body.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestServer
from gateway.settings import SERVICES
from servicekit.identity import IDENTITY_HEADER, InvalidIdentity, verify_identity

IDENTITY_SECRET = "test-identity-secret-" + "x" * 20
# Outside development the gateway refuses the development secrets; tests set real-looking ones.
SESSION_SECRET = "test-session-secret-" + "y" * 20
GZIPPED = gzip.compress(b'{"compressed": true}')
SERVICE_NAME = web.AppKey("stand_in_service_name", str)
# The paths each stand-in received, to prove that some requests never reach it.
SEEN = web.AppKey("stand_in_seen", list)


@web.middleware
async def remember(request: web.Request, handler):
    request.app[SEEN].append(request.path)
    return await handler(request)


async def echo(request: web.Request) -> web.Response:
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.content.iter_any():
        digest.update(chunk)
        size += len(chunk)
    token = request.headers.get(IDENTITY_HEADER)
    identity = None
    if token is not None:
        try:
            verified = verify_identity(token, IDENTITY_SECRET)
            identity = {
                "user_id": str(verified.user_id),
                "roles": sorted(verified.roles),
                "dossier_id": str(verified.dossier_id) if verified.dossier_id else None,
            }
        except InvalidIdentity:
            identity = "invalid"
    return web.json_response(
        {
            "service": request.app[SERVICE_NAME],
            "method": request.method,
            "path_qs": request.raw_path,
            "headers": [[k, v] for k, v in request.headers.items()],
            "body_sha256": digest.hexdigest(),
            "body_size": size,
            "identity": identity,
        }
    )


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.query.get("seconds", "1")))
    return web.json_response({"late": True})


async def redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/api/accounts/elsewhere")


async def compressed(request: web.Request) -> web.Response:
    return web.Response(body=GZIPPED, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})


async def set_cookie(request: web.Request) -> web.Response:
    response = web.json_response({"ok": True})
    response.set_cookie("upstream_session", "secret-of-one-parent")
    return response


async def hop_by_hop(request: web.Request) -> web.Response:
    return web.json_response(
        {"ok": True},
        headers={
            "Connection": "X-Upstream-Hop",
            "X-Upstream-Hop": "1",
            "Keep-Alive": "timeout=5",
            "Proxy-Authenticate": "Basic",
            "X-End-To-End": "kept",
        },
    )


async def truncated(request: web.Request) -> web.StreamResponse:
    """Promises ``?length=`` bytes (1000 by default), sends 10 and hangs up."""
    response = web.StreamResponse()
    response.content_length = int(request.query.get("length", "1000"))
    await response.prepare(request)
    await response.write(b"x" * 10)
    await asyncio.sleep(0.05)
    request.transport.close()
    return response


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def misbehaving_routes(app: web.Application, name: str) -> None:
    app.router.add_get(f"/api/{name}/slow", slow)
    app.router.add_get(f"/api/{name}/redirect", redirect)
    app.router.add_get(f"/api/{name}/compressed", compressed)
    app.router.add_get(f"/api/{name}/cookie", set_cookie)
    app.router.add_get(f"/api/{name}/hop-by-hop", hop_by_hop)
    app.router.add_get(f"/api/{name}/truncated", truncated)


# Handlers that are test plumbing, not a service's contract: the contract checks skip them.
PLUMBING_HANDLERS = frozenset({echo, slow, redirect, compressed, set_cookie, hop_by_hop, truncated, health})


def stand_in_service(name: str) -> web.Application:
    app = web.Application(middlewares=[remember])
    app[SERVICE_NAME] = name
    app[SEEN] = []
    app.router.add_get("/health", health)
    misbehaving_routes(app, name)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


def stand_ins(**fakes: web.Application) -> dict[str, web.Application]:
    """An app per service: the fakes given by name, the echoing stand-in for the others."""
    return {name: fakes.get(name) or stand_in_service(name) for name in SERVICES}


@asynccontextmanager
async def serving(apps: dict[str, web.Application]) -> AsyncIterator[dict[str, TestServer]]:
    """Each app on a real HTTP server of its own, for a test's duration."""
    servers = {name: TestServer(app) for name, app in apps.items()}
    for server in servers.values():
        await server.start_server()
    try:
        yield servers
    finally:
        for server in servers.values():
            await server.close()


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
