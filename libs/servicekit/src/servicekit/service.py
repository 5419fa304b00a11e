"""The composition of a service process: one ``create_service_app(spec, settings)``.

Resources live in ``cleanup_ctx`` generators, in dependency order: database (migrated at
start-up), broker (publisher, consumer, request/reply), outbox relay. On SIGTERM aiohttp
stops accepting requests, finishes the in-flight ones and unwinds these in reverse.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from aiohttp import web
from aiormq.exceptions import AMQPConnectionError

from .bus import Bus
from .consumer import Handler, IdempotentConsumer
from .db import create_pool, ensure_database, migrate
from .identity import identity_middleware
from .logging import configure_logging
from .outbox import OutboxRelay, retention_loop
from .pagination import CursorCodec
from .rpc import RpcClient, RpcHandler, RpcServer
from .settings import ServiceSettings, load_settings
from .web import READY_CHECKS, create_base_app, metrics_server, run
from .worker import background

log = structlog.get_logger(__name__)

DB = web.AppKey("db", asyncpg.Pool)
BUS = web.AppKey("bus", Bus)
RPC = web.AppKey("rpc", RpcClient)
SETTINGS = web.AppKey("settings", ServiceSettings)
RELAY = web.AppKey("relay", OutboxRelay)
CURSORS = web.AppKey("cursors", CursorCodec)

AppFactory = Callable[[web.Application], Any]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    migrations: Path
    settings_class: type[ServiceSettings]
    setup_routes: Callable[[web.Application], None]
    event_handlers: Callable[[web.Application], Mapping[str, Handler]] = lambda app: {}
    rpc_handlers: Callable[[web.Application], Mapping[str, RpcHandler]] = lambda app: {}
    extra_contexts: tuple[Callable[[web.Application], Any], ...] = ()
    demo_data: Callable[[asyncpg.Pool, ServiceSettings], Awaitable[None]] | None = None
    client_max_size: int = 1024**2
    extra: dict[str, Any] = field(default_factory=dict)


def create_service_app(spec: ServiceSpec, settings: ServiceSettings) -> web.Application:
    app = create_base_app(
        spec.name,
        middlewares=[identity_middleware(settings.identity_secret)],
        client_max_size=spec.client_max_size,
        metrics_route=False,
        ready_details=False,
    )
    app[SETTINGS] = settings
    app[CURSORS] = CursorCodec(settings.identity_secret)

    async def database_ctx(app: web.Application):
        await migrate(settings.database_url, spec.migrations)
        app[DB] = await create_pool(settings.database_url)
        yield
        await app[DB].close()

    async def bus_ctx(app: web.Application):
        bus = Bus(settings.amqp_url, settings.events_exchange, spec.name, delivery_limit=settings.delivery_limit)
        await bus.connect()
        app[BUS] = bus
        rpc = RpcClient(bus.connection, timeout=settings.rpc_timeout_seconds)
        await rpc.start()
        app[RPC] = rpc
        handlers = spec.event_handlers(app)
        if handlers:
            consumer = IdempotentConsumer(app[DB], handlers)
            await bus.consume(consumer.routing_keys, consumer)
        rpc_handlers = spec.rpc_handlers(app)
        if rpc_handlers:
            await RpcServer(bus.channel, spec.name, rpc_handlers).start()
        yield
        await bus.close()

    async def relay_ctx(app: web.Application):
        relay = OutboxRelay(
            app[DB], app[BUS].publish, dsn=settings.database_url, poll_seconds=settings.outbox_poll_seconds
        )
        app[RELAY] = relay
        retention = retention_loop(
            app[DB],
            outbox_retention=timedelta(hours=settings.outbox_retention_hours),
            inbox_retention=timedelta(days=settings.inbox_retention_days),
            interval_seconds=settings.retention_purge_interval_seconds,
        )
        async with (
            background(relay.run(), name=f"{spec.name}-outbox-relay"),
            background(retention, name=f"{spec.name}-retention"),
        ):
            yield

    app.cleanup_ctx.extend(
        [
            metrics_server(settings.http_host, settings.metrics_port_in_use),
            database_ctx,
            bus_ctx,
            relay_ctx,
            *spec.extra_contexts,
        ]
    )

    async def database(app: web.Application) -> None:
        async with app[DB].acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")

    async def broker(app: web.Application) -> None:
        if not app[BUS].is_connected:
            raise ConnectionError("broker connection closed")

    app[READY_CHECKS].extend([database, broker])
    spec.setup_routes(app)
    return app


def main(spec: ServiceSpec, argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"portail-{spec.name}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the HTTP server, the consumers and the outbox relay")
    sub.add_parser("migrate", help="apply pending database migrations and exit")
    sub.add_parser("demo-data", help="migrate, then load the demonstration data (development only)")
    args = parser.parse_args(argv)

    settings = load_settings(spec.settings_class)
    configure_logging(settings.log_format, settings.log_level, spec.name)
    try:
        if args.command == "serve":
            run(create_service_app(spec, settings), settings.http_host, settings.http_port)
        elif args.command == "migrate":
            asyncio.run(_migrate(spec, settings))
        elif args.command == "demo-data":
            if settings.environment == "production":
                sys.exit("demo-data refuses to run with ENVIRONMENT=production")
            asyncio.run(_demo_data(spec, settings))
    except UNREACHABLE as exc:
        log.error("cannot_start", reason=type(exc).__name__)
        sys.exit(f"portail-{spec.name}: {unreachable_hint(exc, spec.name, settings)}")


# What a missing PostgreSQL or RabbitMQ raises at start-up.
UNREACHABLE = (OSError, asyncpg.PostgresConnectionError, asyncpg.InvalidCatalogNameError, AMQPConnectionError)


def unreachable_hint(exc: BaseException, service: str, settings: ServiceSettings | None = None) -> str:
    """One line saying what is unreachable and how to fix it (no URL: it may hold a password)."""
    prefix = service.upper()
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        port = f" {settings.http_port}" if settings is not None else ""
        return f"its HTTP port{port} is already in use — stop the other process or set {prefix}_HTTP_PORT."
    if isinstance(exc, AMQPConnectionError) or "amqp" in type(exc).__module__:
        return "RabbitMQ is unreachable — start it (rabbitmq-server -detached) or check AMQP_URL."
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"its database does not exist — run 'portail-{service} migrate' or check {prefix}_DATABASE_URL."
    return (
        "PostgreSQL is unreachable or the database is missing — start PostgreSQL (pg_ctlcluster "
        f"--skip-systemctl-redirect <version> main start), check {prefix}_DATABASE_URL, or run "
        f"'portail-{service} migrate' (it creates the database in development)."
    )


async def _migrate(spec: ServiceSpec, settings: ServiceSettings) -> None:
    if settings.environment != "production" and await ensure_database(settings.database_url):
        log.info("database_created", service=spec.name)
    await migrate(settings.database_url, spec.migrations)
    await declare_topology(spec, settings)


async def declare_topology(spec: ServiceSpec, settings: ServiceSettings) -> None:
    """Declare the service's queue and bindings, as part of the migration step.

    A topic exchange drops what no queue is bound to: the consumer's queue must exist
    before any producer publishes an event it needs (on a first deployment, or with demo
    data published as soon as accounts starts). Migrations run before every service
    starts, so that is where queues are made. Handler factories only close over the app:
    a bare one is enough to learn which event types the service consumes.
    """
    routing_keys = sorted(spec.event_handlers(web.Application()))
    if not routing_keys:
        return
    bus = Bus(settings.amqp_url, settings.events_exchange, spec.name, delivery_limit=settings.delivery_limit)
    await bus.connect()
    try:
        await bus.declare_consumer_queue(routing_keys)
    finally:
        await bus.close()
    log.info("queue_declared", queue=bus.queue_name, bindings=len(routing_keys))


async def _demo_data(spec: ServiceSpec, settings: ServiceSettings) -> None:
    await _migrate(spec, settings)
    if spec.demo_data is None:
        return
    pool = await create_pool(settings.database_url)
    try:
        await spec.demo_data(pool, settings)
    finally:
        await pool.close()
