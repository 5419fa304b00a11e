"""The processes of the benchmark, one per role, started by ``bench/run.py``.

Every server, the Python load generator and each side of the event scenarios runs in its
own process (``python bench/servers.py ROLE ...``) so that no two of them share an event
loop. Roles:

  bare      a bare aiohttp handler answering a small JSON           (baseline of HTTP)
  pkdb      an aiohttp handler doing one SELECT by primary key      (synthetic chain, back)
  proxy     a bare aiohttp proxy with one ClientSession             (synthetic chain, front)
  planning  the real planning service app                           (our chain, back)
  accounts  the real accounts service app                           (authenticated chain, logins)
  gateway   the real gateway app                                    (our chains, front)
  loadgen   N concurrent aiohttp client workers for a fixed time    (when wrk is missing)
  login-load   N concurrent clients logging in (POST /api/accounts/sessions), one JSON line
  argon2-raw   argon2 verify in a loop in a pool of worker processes, one JSON line
  outbox-producer / inbox-consumer   servicekit's outbox → RabbitMQ → inbox
  raw-publisher / raw-consumer       the same messages with plain aio-pika
  billing, rpc-echo, rpc-load, rush  the booking scenarios' roles (bench/booking_roles.py)

Event roles print one JSON line on stdout (the consumers print ``READY`` first, once their
queue is declared and consuming). Timestamps are ``time.time()``: every process runs on the
same machine, so the producer's start and the consumer's end can be subtracted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import secrets
import statistics
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import aiohttp
from aiohttp import web

EVENT_TYPE = "bench.item.created"

# Headers a proxy must not forward (RFC 9110 §7.6.1), plus the ones aiohttp recomputes.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


def _serve(app: web.Application, port: int) -> None:
    # access_log=None as servicekit.web.run does: the access log is not what we measure.
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, handle_signals=True)


# --------------------------------------------------------------------------- HTTP servers


def serve_bare(args) -> None:
    async def hello(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": "bare"})

    app = web.Application()
    app.router.add_get("/hello", hello)
    _serve(app, args.port)


def serve_pkdb(args) -> None:
    import asyncpg

    pool_key = web.AppKey("pool", asyncpg.Pool)
    rows = args.rows

    async def pool_ctx(app: web.Application):
        # The sizes servicekit.db.create_pool uses, so both chains have the same pool.
        app[pool_key] = await asyncpg.create_pool(args.dsn, min_size=1, max_size=10, command_timeout=30)
        yield
        await app[pool_key].close()

    async def item(request: web.Request) -> web.Response:
        row = await request.app[pool_key].fetchrow(
            "SELECT id, code, name, capacity FROM items WHERE id = $1", random.randint(1, rows)
        )
        return web.json_response(dict(row))

    app = web.Application()
    app.cleanup_ctx.append(pool_ctx)
    app.router.add_get("/item", item)
    _serve(app, args.port)


def serve_proxy(args) -> None:
    session_key = web.AppKey("session", aiohttp.ClientSession)
    upstream = args.upstream.rstrip("/")

    async def session_ctx(app: web.Application):
        app[session_key] = aiohttp.ClientSession(auto_decompress=False)
        yield
        await app[session_key].close()

    async def forward(request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        body = await request.read() if request.can_read_body else None
        async with request.app[session_key].request(
            request.method, upstream + request.rel_url.path_qs, headers=headers, data=body, allow_redirects=False
        ) as upstream_response:
            payload = await upstream_response.read()
            out = {k: v for k, v in upstream_response.headers.items() if k.lower() not in HOP_BY_HOP}
            return web.Response(body=payload, status=upstream_response.status, headers=out)

    app = web.Application()
    app.cleanup_ctx.append(session_ctx)
    app.router.add_route("*", "/{tail:.*}", forward)
    _serve(app, args.port)


def serve_service(name: str, settings_class, create_app, args, **extra) -> None:
    """One of our services on 127.0.0.1:``args.port``, on the run's database and vhost.

    Its identity secret comes from IDENTITY_SECRET when run.py sets one for the run.
    """
    from servicekit.logging import configure_logging
    from servicekit.web import run

    settings = settings_class(
        environment="test",
        log_level="WARNING",
        log_format="json",
        database_url=args.dsn,
        amqp_url=args.amqp,
        http_host="127.0.0.1",
        http_port=args.port,
        **extra,
    )
    # As servicekit.service.main does before serving.
    configure_logging(settings.log_format, settings.log_level, name)
    run(create_app(settings), settings.http_host, settings.http_port)


def serve_planning(args) -> None:
    from planning.app import PlanningSettings, create_app

    serve_service("planning", PlanningSettings, create_app, args)


def serve_accounts(args) -> None:
    from accounts.app import AccountsSettings, create_app

    serve_service("accounts", AccountsSettings, create_app, args, password_hash_profile=args.hash_profile)


def gateway_api():
    """``(create_app, GatewaySettings)`` of the real gateway; raises ImportError if absent."""
    import gateway.app as gateway_app

    create_app = getattr(gateway_app, "create_app", None)
    settings_class = getattr(gateway_app, "GatewaySettings", None)
    if settings_class is None:
        try:
            from gateway.settings import GatewaySettings as settings_class  # type: ignore[no-redef]
        except ImportError:
            settings_class = None
    if create_app is None or settings_class is None:
        raise ImportError("gateway.app has no create_app and GatewaySettings yet")
    return create_app, settings_class


UPSTREAMS = ("accounts", "planning", "billing", "messaging")


def gateway_settings(
    settings_class,
    *,
    port: int,
    amqp: str,
    upstreams: dict[str, str],
    nowhere_url: str,
    session_cache_seconds: float | None = None,
):
    """Settings for the real gateway, giving only the fields its class declares.

    ``upstreams`` are the services the scenario calls (``{"planning": url}``); every other
    ``<service>_url`` points at a closed local port, so an accidental call fails fast
    instead of leaving the machine. ``session_cache_seconds`` is given only when asked for,
    and then the class must declare it.
    """
    fields = settings_class.model_fields
    values = {
        "environment": "test",
        "log_level": "WARNING",
        "log_format": "json",
        "amqp_url": amqp,
        "http_host": "127.0.0.1",
        "http_port": port,
        # Test mode refuses the development secret: one made for this process.
        "session_secret": secrets.token_urlsafe(32),
        # Every family of 7 to 11 logs in from 127.0.0.1: the gateway's brake on login
        # attempts per address (20 a minute) would refuse the 21st. Not what is measured.
        "login_attempts_per_minute": 0,
    }
    for name in fields:
        if name.endswith("_url") and name[: -len("_url")] in UPSTREAMS:
            values[name] = upstreams.get(name[: -len("_url")], nowhere_url)
    if session_cache_seconds is not None:
        if "session_cache_seconds" not in fields:
            raise SystemExit("this gateway has no session_cache_seconds setting")
        values["session_cache_seconds"] = session_cache_seconds
    return settings_class(**{k: v for k, v in values.items() if k in fields})


def serve_gateway(args) -> None:
    from servicekit.logging import configure_logging
    from servicekit.web import run

    create_app, settings_class = gateway_api()
    upstreams = {
        service: url
        for service, url in (
            ("planning", args.planning_url),
            ("accounts", args.accounts_url),
            ("billing", args.billing_url),
        )
        if url is not None
    }
    settings = gateway_settings(
        settings_class,
        port=args.port,
        amqp=args.amqp,
        upstreams=upstreams,
        nowhere_url=args.nowhere_url,
        session_cache_seconds=args.session_cache_seconds,
    )
    configure_logging(getattr(settings, "log_format", "json"), getattr(settings, "log_level", "WARNING"), "gateway")
    run(create_app(settings), "127.0.0.1", args.port)


# --------------------------------------------------------------------------- load generator


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def parse_headers(values: list[str]) -> dict[str, str]:
    """``["Name: value", ...]`` (as curl's and wrk's ``-H``) → ``{"Name": "value"}``."""
    headers = {}
    for value in values:
        name, sep, text = value.partition(":")
        if not sep or not name.strip():
            raise SystemExit(f"--header {value!r}: expected 'Name: value'")
        headers[name.strip()] = text.strip()
    return headers


def load_requests(path: str | None, url: str, headers: dict[str, str]) -> list[tuple[str, str, dict, bytes | None]]:
    """The requests to send in turn: ``url`` alone, or each of a file's (a JSON list of
    ``{method, path, headers, body}``, paths relative to ``url``) as wrk's script sends them."""
    if path is None:
        return [("GET", url, headers, None)]
    with open(path) as f:
        listed = json.load(f)
    base = url.rstrip("/")
    return [
        (r["method"], base + r["path"], {**headers, **r.get("headers", {})}, (r.get("body") or "").encode() or None)
        for r in listed
    ]


async def _loadgen(
    url: str, concurrency: int, seconds: float, warmup: float, headers: dict[str, str], requests_file: str | None = None
) -> dict:
    loop = asyncio.get_running_loop()
    requests = itertools.cycle(load_requests(requests_file, url, headers))
    connector = aiohttp.TCPConnector(limit=concurrency)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    async with aiohttp.ClientSession(connector=connector) as session:
        start = loop.time()
        measure_from = start + warmup
        end = measure_from + seconds

        async def worker() -> None:
            while True:
                sent = loop.time()
                if sent >= end:
                    return
                method, target, request_headers, body = next(requests)
                try:
                    async with session.request(method, target, headers=request_headers, data=body) as response:
                        await response.read()
                        status = str(response.status)
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    status = type(exc).__name__
                done = loop.time()
                if measure_from <= done <= end:
                    statuses[status] += 1
                    latencies.append(done - sent)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    latencies.sort()
    total = sum(statuses.values())
    ok = sum(n for s, n in statuses.items() if s.isdigit() and 200 <= int(s) < 400)
    return {
        "requests": total,
        "errors": total - ok,
        "statuses": dict(statuses),
        "seconds": seconds,
        "requests_per_second": ok / seconds,
        "p50_ms": (percentile(latencies, 50) or 0) * 1000,
        "p99_ms": (percentile(latencies, 99) or 0) * 1000,
    }


def run_loadgen(args) -> None:
    result = asyncio.run(
        _loadgen(args.url, args.concurrency, args.seconds, args.warmup, parse_headers(args.header), args.requests_file)
    )
    print(json.dumps(result), flush=True)


# --------------------------------------------------------------------------- logins


def share_in_window(sent: float, done: float, start: float, end: float) -> float:
    """The share of one operation (sent → done) that falls in the window [start, end].

    Summed over operations, it is the work done in the window: at ~10 operations/s, counting
    whole completions would move a 2 s figure by 5 % for one operation more or less.
    """
    if done <= sent:
        return 1.0 if start <= done <= end else 0.0
    return max(0.0, min(done, end) - max(sent, start)) / (done - sent)


def client_address(n: int) -> str:
    """The n-th client address, 10.0.0.0/8: each login comes from an address of its own."""
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


async def _login_load(args) -> dict:
    """``--clients`` closed-loop clients logging in, for ``--warmup`` then ``--seconds``.

    The figure is the logins done in the measured window (``share_in_window``: a login
    straddling an edge counts for its share; the last ones are awaited, not cut off), the
    latencies those of the logins that ended in it. Login n comes from ``client_address(first_address + n)``
    (signed as the gateway does, ``X-Portail-Client``: accounts believes no X-Forwarded-For) and uses
    ``users[n % len(users)]``, so no address and no username takes many logins in a row.
    """
    loop = asyncio.get_running_loop()
    from servicekit.identity import CLIENT_HEADER, sign_client

    users = [u for u in args.users.split(",") if u]
    numbers = itertools.count(args.first_address)
    secret = os.environ.get("IDENTITY_SECRET", "")
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    done_in_window = 0.0
    used = 0
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.clients), timeout=timeout) as session:
        start = loop.time()
        measure_from = start + args.warmup
        end = measure_from + args.seconds

        async def client() -> None:
            nonlocal used, done_in_window
            while True:
                sent = loop.time()
                if sent >= end:
                    return
                n = next(numbers)
                used += 1
                body = {"username": users[n % len(users)], "password": args.password}
                try:
                    async with session.post(
                        args.url,
                        json=body,
                        headers={CLIENT_HEADER: sign_client(client_address(n), secret, ttl_seconds=600)},
                    ) as response:
                        doc = await response.read()
                        status = str(response.status)
                        if response.status == 200 and b'"token"' not in doc:
                            status = "200-without-token"
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    status = type(exc).__name__
                done = loop.time()
                if status == "200":
                    done_in_window += share_in_window(sent, done, measure_from, end)
                if measure_from <= done <= end:
                    statuses[status] += 1
                    latencies.append(done - sent)

        await asyncio.gather(*(client() for _ in range(args.clients)))
    latencies.sort()
    ok = statuses.get("200", 0)
    return {
        "requests": sum(statuses.values()),
        "errors": sum(statuses.values()) - ok,
        "statuses": dict(statuses),
        "seconds": args.seconds,
        "requests_per_second": done_in_window / args.seconds,
        "completed_per_second": ok / args.seconds,
        "p50_ms": (percentile(latencies, 50) or 0) * 1000,
        "p99_ms": (percentile(latencies, 99) or 0) * 1000,
        "clients": args.clients,
        "users": len(users),
        "addresses_used": used,
    }


def _verify_until(stored: str, password: str, profile: dict, start_at: float, warmup: float, seconds: float) -> dict:
    """In a pool worker: verify in a loop; counted as the logins are (``share_in_window``)."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher(**profile)
    measure_from = start_at + warmup
    end = measure_from + seconds
    time.sleep(max(0.0, start_at - time.time()))
    durations: list[float] = []
    work = 0.0
    while True:
        sent = time.time()
        if sent >= end:
            break
        if not hasher.verify(stored, password):
            raise RuntimeError("verify returned False")
        done = time.time()
        work += share_in_window(sent, done, measure_from, end)
        if measure_from <= done <= end:
            durations.append(done - sent)
    return {"count": len(durations), "work": work, "durations": durations}


def run_argon2_raw(args) -> None:
    """``argon2.PasswordHasher(**PROFILES[profile]).verify`` per second over ``--workers`` processes."""
    from accounts.passwords import PROFILES
    from argon2 import PasswordHasher

    profile = PROFILES[args.profile]
    stored = PasswordHasher(**profile).hash(args.password)
    with ProcessPoolExecutor(args.workers) as pool:
        # Every worker gets one long task; they start together once all are forked.
        start_at = time.time() + 0.3
        futures = [
            pool.submit(_verify_until, stored, args.password, profile, start_at, args.warmup, args.seconds)
            for _ in range(args.workers)
        ]
        results = [f.result() for f in futures]
    durations = sorted(d for r in results for d in r["durations"])
    count = len(durations)
    print(
        json.dumps(
            {
                "count": count,
                "per_worker": [r["count"] for r in results],
                "workers": args.workers,
                "seconds": args.seconds,
                "verifies_per_second": sum(r["work"] for r in results) / args.seconds,
                "completed_per_second": count / args.seconds,
                "p50_ms": statistics.median(durations) * 1000 if durations else None,
                "profile": {"name": args.profile, **profile},
            }
        ),
        flush=True,
    )


# --------------------------------------------------------------------------- events


def event_data(n: int) -> dict:
    """The payload of the n-th event: a few fields, like a real integration event."""
    return {
        "n": n,
        "item_id": str(uuid.UUID(int=n)),
        "reference": f"BENCH-{n:08d}",
        "amount_cents": 1000 + n % 5000,
        "label": "Cantine (11h30 à 13h30) - inscription de l'enfant au mois de septembre",
    }


def _quiet_logging(name: str) -> None:
    from servicekit.logging import configure_logging

    configure_logging("json", os.environ.get("LOG_LEVEL", "WARNING"), name)


async def _outbox_producer(args) -> dict:
    from servicekit.bus import Bus
    from servicekit.db import create_pool
    from servicekit.events import add_to_outbox, make_envelope
    from servicekit.outbox import OutboxRelay

    pool = await create_pool(args.dsn)
    bus = Bus(args.amqp, args.exchange, "benchproducer")
    await bus.connect()
    published = 0
    all_published = asyncio.Event()
    last_publish = 0.0

    async def counting_publish(envelope: dict) -> None:
        nonlocal published, last_publish
        await bus.publish(envelope)
        published += 1
        last_publish = time.time()
        if published >= args.count:
            all_published.set()

    relay = OutboxRelay(pool, counting_publish, dsn=args.dsn)
    relay_task = asyncio.create_task(relay.run())
    await asyncio.sleep(0.5)  # the relay's LISTEN connection is up before the first write
    envelopes = [make_envelope(EVENT_TYPE, event_data(n), source="benchproducer") for n in range(args.count)]
    pending = iter(envelopes)

    async def writer() -> None:
        # One transaction per event, as one request handler reporting its change would do.
        for envelope in pending:
            async with pool.acquire() as conn, conn.transaction():
                await add_to_outbox(conn, envelope)

    started = time.time()
    await asyncio.gather(*(writer() for _ in range(args.writers)))
    written = time.time()
    try:
        await asyncio.wait_for(all_published.wait(), timeout=args.timeout)
    finally:
        relay_task.cancel()
        try:
            await relay_task
        except asyncio.CancelledError:
            pass
        await bus.close()
        await pool.close()
    return {
        "started": started,
        "written": written,
        "published": last_publish,
        "count": published,
        "message_bytes": len(envelopes[0].model_dump_json().encode()),
        "writers": args.writers,
    }


async def _inbox_consumer(args) -> dict:
    from servicekit.bus import Bus
    from servicekit.consumer import IdempotentConsumer
    from servicekit.db import create_pool

    pool = await create_pool(args.dsn)
    bus = Bus(args.amqp, args.exchange, "benchconsumer")
    await bus.connect()

    async def handler(conn, envelope) -> None:
        await conn.execute(
            "INSERT INTO bench_effects (event_id, n, data) VALUES ($1, $2, $3)",
            envelope.id,
            envelope.data["n"],
            envelope.data,
        )

    consumer = IdempotentConsumer(pool, {EVENT_TYPE: handler})
    done = asyncio.Event()
    handled = 0
    first = last = 0.0

    async def callback(message) -> None:
        nonlocal handled, first, last
        await consumer(message)  # inbox row + effect committed, then acked
        handled += 1
        last = time.time()
        if handled == 1:
            first = last
        if handled >= args.count:
            done.set()

    await bus.consume(consumer.routing_keys, callback)
    print("READY", flush=True)
    try:
        await asyncio.wait_for(done.wait(), timeout=args.timeout)
        effects = await pool.fetchval("SELECT count(*) FROM bench_effects")
    finally:
        await bus.close()
        await pool.close()
    return {"first": first, "last": last, "count": handled, "effects_in_table": effects}


async def _raw_publisher(args) -> dict:
    import aio_pika
    from servicekit.events import make_envelope

    connection = await aio_pika.connect(args.amqp)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.declare_exchange(args.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    # The very bodies the outbox path sends (same envelope, same size), made before the clock.
    envelopes = [make_envelope(EVENT_TYPE, event_data(n), source="benchproducer") for n in range(args.count)]
    messages = [
        aio_pika.Message(
            body=e.model_dump_json().encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(e.id),
            type=e.type,
            app_id=e.source,
        )
        for e in envelopes
    ]
    started = time.time()
    if args.in_flight <= 1:
        for message in messages:  # each publish waits for its confirm, as Bus.publish does
            await exchange.publish(message, routing_key=EVENT_TYPE, mandatory=False)
    else:
        window = asyncio.Semaphore(args.in_flight)

        async def one(message) -> None:
            async with window:
                await exchange.publish(message, routing_key=EVENT_TYPE, mandatory=False)

        await asyncio.gather(*(one(m) for m in messages))
    published = time.time()
    await connection.close()
    return {
        "started": started,
        "published": published,
        "count": len(messages),
        "message_bytes": len(messages[0].body),
        "in_flight": args.in_flight,
    }


async def _raw_consumer(args) -> dict:
    import aio_pika

    connection = await aio_pika.connect(args.amqp)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=20)  # Bus.consume's default prefetch
    await channel.declare_exchange(args.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    # A durable quorum queue, as Bus.declare_consumer_queue declares.
    queue = await channel.declare_queue(
        args.queue, durable=True, arguments={"x-queue-type": "quorum", "x-delivery-limit": 5}
    )
    await queue.bind(args.exchange, routing_key=EVENT_TYPE)
    done = asyncio.Event()
    handled = 0
    first = last = 0.0

    async def callback(message) -> None:
        nonlocal handled, first, last
        await message.ack()
        handled += 1
        last = time.time()
        if handled == 1:
            first = last
        if handled >= args.count:
            done.set()

    await queue.consume(callback)
    print("READY", flush=True)
    try:
        await asyncio.wait_for(done.wait(), timeout=args.timeout)
    finally:
        await connection.close()
    return {"first": first, "last": last, "count": handled}


def run_event_role(coroutine_function):
    def run(args) -> None:
        _quiet_logging(args.role)
        result = asyncio.run(coroutine_function(args))
        print(json.dumps(result), flush=True)

    return run


# --------------------------------------------------------------------------- command line


def add_service_role(sub, role: str, func) -> argparse.ArgumentParser:
    """The command line of a role that runs one of our services (``serve_service``)."""
    p = sub.add_parser(role)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dsn", required=True)
    p.add_argument("--amqp", required=True)
    p.set_defaults(func=func)
    return p


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench/servers.py")
    sub = parser.add_subparsers(dest="role", required=True)

    p = sub.add_parser("bare")
    p.add_argument("--port", type=int, required=True)
    p.set_defaults(func=serve_bare)

    p = sub.add_parser("pkdb")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dsn", required=True)
    p.add_argument("--rows", type=int, required=True)
    p.set_defaults(func=serve_pkdb)

    p = sub.add_parser("proxy")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--upstream", required=True)
    p.set_defaults(func=serve_proxy)

    add_service_role(sub, "planning", serve_planning)
    p = add_service_role(sub, "accounts", serve_accounts)
    p.add_argument("--hash-profile", choices=("production", "test"), required=True)

    p = sub.add_parser("gateway")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--amqp", required=True)
    p.add_argument("--planning-url")
    p.add_argument("--accounts-url")
    p.add_argument("--billing-url")
    p.add_argument("--nowhere-url", required=True)
    p.add_argument("--session-cache-seconds", type=float, help="GATEWAY_SESSION_CACHE_SECONDS (default: the gateway's)")
    p.set_defaults(func=serve_gateway)

    p = sub.add_parser("loadgen")
    p.add_argument("--url", required=True)
    p.add_argument("--concurrency", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--warmup", type=float, required=True)
    p.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    p.add_argument(
        "--requests-file", help="JSON list of {method, path, headers, body} sent in turn (paths under --url)"
    )
    p.set_defaults(func=run_loadgen)

    p = sub.add_parser("login-load")
    p.add_argument("--url", required=True)
    p.add_argument("--users", required=True, help="comma-separated usernames, used in turn")
    p.add_argument("--password", required=True)
    p.add_argument("--clients", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--warmup", type=float, required=True)
    p.add_argument("--first-address", type=int, default=1, help="number of the first client address")
    p.set_defaults(func=lambda args: print(json.dumps(asyncio.run(_login_load(args))), flush=True))

    p = sub.add_parser("argon2-raw")
    p.add_argument("--profile", default="production")
    p.add_argument("--password", required=True)
    p.add_argument("--workers", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--warmup", type=float, required=True)
    p.set_defaults(func=run_argon2_raw)

    for role, function in (
        ("outbox-producer", _outbox_producer),
        ("inbox-consumer", _inbox_consumer),
        ("raw-publisher", _raw_publisher),
        ("raw-consumer", _raw_consumer),
    ):
        p = sub.add_parser(role)
        p.add_argument("--amqp", required=True)
        p.add_argument("--count", type=int, required=True)
        p.add_argument("--exchange", required=True)
        p.add_argument("--timeout", type=float, default=300)
        if role in ("outbox-producer", "inbox-consumer"):
            p.add_argument("--dsn", required=True)
        if role == "outbox-producer":
            p.add_argument("--writers", type=int, default=8)
        if role == "raw-publisher":
            p.add_argument("--in-flight", type=int, default=1)
        if role == "raw-consumer":
            p.add_argument("--queue", default="benchraw.events")
        p.set_defaults(func=run_event_role(function))

    from booking_roles import add_roles

    add_roles(sub)  # billing, rpc-echo, rpc-load, rush (scenarios 7 to 11)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
