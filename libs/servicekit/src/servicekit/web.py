"""The aiohttp shell shared by every process: request context, metrics, problems, probes.

Middleware order (outermost first): request context (request id bound for every log line
and echoed in ``X-Request-ID``), metrics, problem+json (no stack trace ever reaches a
client). ``/health`` says the process is alive; ``/ready`` runs the readiness checks
(database and broker); ``/metrics`` is Prometheus text from a registry owned by the app.

Services serve ``/metrics`` on a port of their own (``metrics_server``, ``<NAME>_METRICS_PORT``),
never on the public one, and ``/ready`` says only "ready" or "not ready" (which check
failed goes to the log): both are options of ``create_base_app`` that ``create_service_app``
turns on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import ValidationError

from .errors import DomainError
from .logging import REQUEST_ID_HEADER, clean_request_id, install_log_filters
from .problems import Problem, problem_response, validation_problem
from .requests import read_json

log = structlog.get_logger(__name__)

ReadyCheck = Callable[[web.Application], Awaitable[None]]

REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)
READY_CHECKS = web.AppKey("ready_checks", list)
SERVICE_NAME = web.AppKey("service_name", str)
REQUEST_ID = web.RequestKey("request_id", str)

QUIET_PATHS = frozenset({"/health", "/ready", "/metrics"})


@web.middleware
async def request_context_middleware(request: web.Request, handler):
    request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
    request[REQUEST_ID] = request_id
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
    except web.HTTPException as exc:
        status = exc.status
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        if request.path not in QUIET_PATHS:
            log.info(
                "request_completed",
                method=request.method,
                route=_route_name(request),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )


def _route_name(request: web.Request) -> str:
    """The route's template (``/api/x/{id}``), never the raw path with its ids."""
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"


def metrics_middleware(registry: CollectorRegistry):
    requests = Counter("http_requests_total", "HTTP requests handled", ["method", "route", "status"], registry=registry)
    latency = Histogram("http_request_duration_seconds", "HTTP request latency", ["method", "route"], registry=registry)

    @web.middleware
    async def middleware(request: web.Request, handler):
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            route = _route_name(request)
            requests.labels(request.method, route, str(status)).inc()
            latency.labels(request.method, route).observe(time.perf_counter() - started)

    return middleware


@web.middleware
async def problem_middleware(request: web.Request, handler):
    request_id = request.get(REQUEST_ID)
    try:
        return await handler(request)
    except Problem as problem:
        return problem_response(problem, instance=request.path, request_id=request_id)
    except DomainError as error:
        return problem_response(error.to_problem(), instance=request.path, request_id=request_id)
    except ValidationError as exc:
        return problem_response(validation_problem(exc), instance=request.path, request_id=request_id)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem_response(
            Problem(exc.status, headers=_kept_headers(exc)), instance=request.path, request_id=request_id
        )
    except json.JSONDecodeError:
        return problem_response(
            Problem(400, "invalid_json", "Le contenu envoyé n'est pas du JSON valide."),
            instance=request.path,
            request_id=request_id,
        )
    except Exception:
        log.exception("unhandled_error")
        return problem_response(Problem(500), instance=request.path, request_id=request_id)


def _kept_headers(exc: web.HTTPException) -> dict[str, str]:
    return {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _failed_checks(app: web.Application) -> dict[str, str]:
    failures = {}
    for check in app[READY_CHECKS]:
        try:
            await check(app)
        except Exception as exc:
            failures[getattr(check, "__name__", "check")] = type(exc).__name__
    return failures


async def ready(request: web.Request) -> web.Response:
    """Ready or not, with the failing checks named (the gateway's probe, for now)."""
    failures = await _failed_checks(request.app)
    if failures:
        log.warning("not_ready", failures=failures)
        return web.json_response({"status": "not ready", "failures": failures}, status=503)
    return web.json_response({"status": "ready"})


async def ready_quiet(request: web.Request) -> web.Response:
    """Ready or not, nothing more: which dependency is down is for the logs, not the public."""
    failures = await _failed_checks(request.app)
    if failures:
        log.warning("not_ready", failures=failures)
        return web.json_response({"status": "not ready"}, status=503)
    return web.json_response({"status": "ready"})


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_base_app(
    name: str,
    *,
    middlewares: list | None = None,
    client_max_size: int = 1024**2,
    metrics_route: bool = True,
    ready_details: bool = True,
) -> web.Application:
    """An aiohttp app with the shared middlewares and the probes.

    ``metrics_route=False`` leaves ``/metrics`` off this app (serve it with
    ``metrics_server`` on another port); ``ready_details=False`` makes ``/ready`` say only
    "ready" / "not ready"."""
    registry = CollectorRegistry()
    app = web.Application(
        middlewares=[
            request_context_middleware,
            metrics_middleware(registry),
            problem_middleware,
            *(middlewares or []),
        ],
        client_max_size=client_max_size,
    )
    app[REGISTRY] = registry
    app[READY_CHECKS] = []
    app[SERVICE_NAME] = name
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready if ready_details else ready_quiet)
    if metrics_route:
        app.router.add_get("/metrics", metrics)
    return app


def metrics_server(host: str, port: int):
    """A ``cleanup_ctx`` serving the app's ``/metrics`` alone on ``host:port`` (0: nowhere).

    The port is for the scraper, inside the cluster: never published. A port already in
    use is logged and the service runs on without metrics rather than not at all."""

    async def ctx(app: web.Application):
        if not port:
            yield
            return
        registry = app[REGISTRY]

        async def scrape(_request: web.Request) -> web.Response:
            return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

        metrics_app = web.Application()
        metrics_app.router.add_get("/metrics", scrape)
        runner = web.AppRunner(metrics_app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            log.info("metrics_serving", host=host, port=port)
        except OSError as exc:
            log.error("metrics_port_unavailable", port=port, error=type(exc).__name__)
        try:
            yield
        finally:
            await runner.cleanup()

    return ctx


def run(app: web.Application, host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT, then finish in-flight requests and run the cleanups."""
    install_log_filters()
    log.info("starting", host=host, port=port)
    web.run_app(app, host=host, port=port, access_log=None, print=None, shutdown_timeout=15, handle_signals=True)


# transitional: the one reader is servicekit.requests.read_json (strict); this name is
# removed when accounts/messaging adopt it (issue 7 phase B).
read_model = read_json


def model_response(model, *, status: int = 200) -> web.Response:
    return web.Response(body=model.model_dump_json().encode(), status=status, content_type="application/json")
