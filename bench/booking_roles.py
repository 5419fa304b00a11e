"""The processes of the booking scenarios (7 to 11), started through ``bench/servers.py``.

  billing     the real billing service app (simulated Treasury)
  rpc-echo    a servicekit ``RpcServer`` whose one method answers its params back
  rpc-load    N concurrent ``RpcClient.call`` for a fixed time, one JSON line
  rush        the Sunday-evening rush: families booking and paying, one JSON line

The RPC load cycles through a file of params (a JSON list), so that the echo and billing's
``quote`` get the very same requests. ``rush`` is in ``bench/rush.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path

from servers import add_service_role, percentile, serve_service


def serve_billing(args) -> None:
    from billing.app import BillingSettings, create_app

    serve_service("billing", BillingSettings, create_app, args, payment_provider="simulated")


async def _rpc_echo(args) -> None:
    from servicekit.bus import Bus
    from servicekit.rpc import RpcServer

    # The channel a service's RpcServer runs on (servicekit.service: the Bus's channel, with
    # publisher confirms, prefetch 20 as Bus.consume sets), so that only the handler differs.
    bus = Bus(args.amqp, "bench.echo", args.service)
    await bus.connect()
    await bus.channel.set_qos(prefetch_count=args.prefetch)

    async def echo(params: dict) -> dict:
        return params

    await RpcServer(bus.channel, args.service, {args.method: echo}).start()
    print("READY", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await bus.close()


def run_rpc_echo(args) -> None:
    from servicekit.logging import configure_logging

    configure_logging("json", "WARNING", "rpc-echo")
    asyncio.run(_rpc_echo(args))


async def _rpc_load(args, listed: list[dict]) -> dict:
    import aio_pika
    from servicekit.rpc import RpcClient, RpcError

    params = itertools.cycle(listed)
    connection = await aio_pika.connect_robust(args.amqp)
    client = RpcClient(connection, timeout=10)
    await client.start()
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors: dict[str, int] = {}
    ok = 0
    start = loop.time()
    measure_from = start + args.warmup
    end = measure_from + args.seconds

    async def caller() -> None:
        nonlocal ok
        while True:
            sent = loop.time()
            if sent >= end:
                return
            try:
                await client.call(args.service, args.method, next(params))
                outcome = None
            except RpcError as exc:
                outcome = exc.error_type
            done = loop.time()
            if measure_from <= done <= end:
                if outcome is None:
                    ok += 1
                    latencies.append(done - sent)
                else:
                    errors[outcome] = errors.get(outcome, 0) + 1

    try:
        await asyncio.gather(*(caller() for _ in range(args.concurrency)))
    finally:
        await connection.close()
    latencies.sort()
    return {
        "requests": ok + sum(errors.values()),
        "errors": sum(errors.values()),
        "error_types": errors,
        "seconds": args.seconds,
        "requests_per_second": ok / args.seconds,
        "p50_ms": (percentile(latencies, 50) or 0) * 1000,
        "p99_ms": (percentile(latencies, 99) or 0) * 1000,
    }


def run_rpc_load(args) -> None:
    from servicekit.logging import configure_logging

    configure_logging("json", "WARNING", "rpc-load")
    listed = json.loads(Path(args.params_file).read_text())
    print(json.dumps(asyncio.run(_rpc_load(args, listed))), flush=True)


def add_roles(sub) -> None:
    """Register these roles on ``servers.py``'s command line."""
    from rush import run_rush

    add_service_role(sub, "billing", serve_billing)

    p = sub.add_parser("rpc-echo")
    p.add_argument("--amqp", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--method", required=True)
    p.add_argument("--prefetch", type=int, default=20)
    p.set_defaults(func=run_rpc_echo)

    p = sub.add_parser("rpc-load")
    p.add_argument("--amqp", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--method", required=True)
    p.add_argument("--params-file", required=True, help="a JSON list of params objects, used in turn")
    p.add_argument("--concurrency", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--warmup", type=float, required=True)
    p.set_defaults(func=run_rpc_load)

    p = sub.add_parser("rush")
    p.add_argument("--gateway", required=True, help="the gateway's base URL")
    p.add_argument("--billing", required=True, help="billing's base URL (the simulated Treasury's side)")
    p.add_argument("--planning-dsn", required=True, help="planning's database, to see the confirmations")
    p.add_argument("--families-file", required=True)
    p.add_argument("--concurrency", type=int, required=True)
    p.add_argument("--timeout", type=float, default=60, help="seconds a family waits for its confirmation")
    p.set_defaults(func=run_rush)
