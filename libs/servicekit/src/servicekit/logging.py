"""structlog set-up: JSON lines in production, readable lines on a terminal.

Context (request id, correlation id, user id) lives in contextvars, bound per request by
the web middleware and per message by the bus, so every line a handler logs carries it.
Log events are snake_case facts with key-values; never personal data.
"""

from __future__ import annotations

import logging
import sys
import uuid

import structlog
from aiohttp.http_exceptions import HttpProcessingError

REQUEST_ID_HEADER = "X-Request-ID"

# aiohttp's own loggers. When a request cannot be parsed (headers over the limit, a broken
# request line), aiohttp logs the exception, whose message quotes the raw bytes — a session
# cookie or an Authorization header included. ``RawRequestFilter`` keeps the fact, drops the
# bytes; every process installs it (servicekit's ``run``, the gateway's ``serve``).


def configure_logging(fmt: str = "console", level: str = "INFO", service: str | None = None) -> None:
    """Configure structlog and the standard library once, in ``main()``."""
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        timestamper,
    ]
    if service:
        shared.insert(0, _add_service(service))
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            # Below the level, an event is dropped before any work (every request logs one
            # ``request_completed`` at INFO; production and the bench run at WARNING).
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info if fmt == "json" else _identity,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log repeats what our request middleware logs with more context.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # aio-pika/aiormq log every reconnect attempt at INFO with connection URLs.
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
    # yoyo narrates every migration step at INFO; our own line sums it up.
    logging.getLogger("yoyo").setLevel(logging.WARNING)


def _identity(_, __, event_dict):
    return event_dict


def _add_service(service: str):
    def processor(_, __, event_dict):
        event_dict.setdefault("service", service)
        return event_dict

    return processor


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(value: str | None) -> str:
    """Accept a caller's request id only if it is short and plain, else make a new one."""
    if value and len(value) <= 64 and all(c.isalnum() or c in "-_." for c in value):
        return value
    return new_request_id()


def get_logger(name: str | None = None):
    return structlog.get_logger(name)


AIOHTTP_LOGGERS = ("aiohttp.server", "aiohttp.web", "aiohttp.access", "aiohttp.internal")


class RawRequestFilter(logging.Filter):
    """aiohttp's records about unparsable requests, without the request's bytes."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg = "bad_http_request_refused error=%s status=%s"
            record.args = (type(exc).__name__, exc.code)
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


_FILTER = RawRequestFilter()


def install_log_filters() -> None:
    """Idempotent: every aiohttp server logger gets the filter once."""
    for name in AIOHTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
