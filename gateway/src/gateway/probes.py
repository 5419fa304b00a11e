"""What the public may learn from the probes, and the metrics on their own port.

servicekit's shell serves ``/ready`` with the name and error of each failing check, and
``/metrics`` with request counts per route, on the port it is given. The gateway's port
is the public one, so here ``/ready`` says only "ready" or "not ready" (the failing checks
go to the log) and ``/metrics`` is a page that does not exist. Prometheus scrapes
``/metrics`` on ``GATEWAY_METRICS_PORT`` instead (0: not served), bound to
``GATEWAY_METRICS_HOST``, from the same registry.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import structlog
from aiohttp import web
from servicekit.web import REGISTRY
from servicekit.web import metrics as metrics_handler
from servicekit.web import ready as detailed_ready

from .settings import SETTINGS

log = structlog.get_logger(__name__)

METRICS_RUNNER = web.AppKey("gateway_metrics_runner", web.AppRunner)


async def public_ready(request: web.Request) -> web.Response:
    detailed = await detailed_ready(request)
    if detailed.status == 200:
        return web.json_response({"status": "ready"})
    failures = json.loads(detailed.body).get("failures", {})
    log.warning("not_ready", failures=failures)
    return web.json_response({"status": "not ready"}, status=503)


@web.middleware
async def public_probes_middleware(request: web.Request, handler):
    if request.path == "/metrics":
        raise web.HTTPNotFound()
    if request.path == "/ready" and request.method in ("GET", "HEAD"):
        return await public_ready(request)
    return await handler(request)


async def metrics_server_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if not settings.metrics_port:
        yield
        return
    metrics_app = web.Application()
    metrics_app[REGISTRY] = app[REGISTRY]
    metrics_app.router.add_get("/metrics", metrics_handler)
    runner = web.AppRunner(metrics_app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, settings.metrics_host, settings.metrics_port).start()
    log.info("metrics_listening", host=settings.metrics_host, port=settings.metrics_port)
    app[METRICS_RUNNER] = runner
    try:
        yield
    finally:
        await runner.cleanup()


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(metrics_server_ctx)
