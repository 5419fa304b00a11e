"""Serving the gateway: the HTTP server's bounds, and what its libraries may log.

- Bounds aiohttp lets us set: idle keep-alive connections close after
  ``GATEWAY_KEEPALIVE_SECONDS``; request line and header fields are capped (8 KiB each,
  at most 100 fields: aiohttp answers 400 beyond); bodies are capped by ``client_max_size``
  and timed by ``bodies``/``upstream``. aiohttp has no header read timeout nor connection
  cap: those belong to the reverse proxy in front (deploy/nginx), which the gateway is
  only reachable through.
- aiohttp logs a request it cannot parse at ERROR, with the parser's message, and that
  message quotes the raw header bytes (a ``pf_session`` cookie included). ``RawRequestFilter``
  turns such a record into one line naming the error class, without bytes or traceback.
- When the process runs out of file descriptors, asyncio logs a traceback for every
  failed ``accept()`` retry. ``AcceptErrorReporter`` logs one line per interval with the
  number of failures instead.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog
from aiohttp import web
from servicekit.logging import install_log_filters

from .settings import GatewaySettings

log = structlog.get_logger(__name__)

MAX_LINE_BYTES = 8190
MAX_FIELD_BYTES = 8190
MAX_HEADERS = 100
ACCEPT_REPORT_INTERVAL_SECONDS = 60.0
class AcceptErrorReporter:
    """A loop exception handler: failed ``accept()`` calls reported once per interval."""

    MESSAGE = "socket.accept() out of system resource"

    def __init__(self, interval: float = ACCEPT_REPORT_INTERVAL_SECONDS, clock=time.monotonic):
        self.interval = interval
        self.clock = clock
        self.suppressed = 0
        self.last: float | None = None

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != self.MESSAGE:
            loop.default_exception_handler(context)
            return
        now = self.clock()
        if self.last is not None and now - self.last < self.interval:
            self.suppressed += 1
            return
        exc = context.get("exception")
        log.error(
            "accept_failed",
            error=type(exc).__name__ if exc else None,
            errno=getattr(exc, "errno", None),
            failures_since_last_report=self.suppressed,
        )
        self.last, self.suppressed = now, 0


async def _on_startup(app: web.Application) -> None:
    install_log_filters()
    asyncio.get_running_loop().set_exception_handler(AcceptErrorReporter())


def setup(app: web.Application) -> None:
    app.on_startup.append(_on_startup)


def serve(app: web.Application, settings: GatewaySettings) -> None:
    """servicekit's ``run`` plus the server bounds above (its signature takes none)."""
    install_log_filters()
    log.info("starting", host=settings.http_host, port=settings.http_port)
    web.run_app(
        app,
        host=settings.http_host,
        port=settings.http_port,
        access_log=None,
        print=None,
        shutdown_timeout=15,
        handle_signals=True,
        keepalive_timeout=settings.keepalive_seconds,
        max_line_size=MAX_LINE_BYTES,
        max_field_size=MAX_FIELD_BYTES,
        max_headers=MAX_HEADERS,
    )
