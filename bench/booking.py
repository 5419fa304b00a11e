"""Scenarios 7 to 11: booking and paying, with the real accounts, planning, billing and gateway.

  7   GET the grid (/api/planning/children/{child}/months/{YYYY-MM}) through the gateway,
      each request as another family (bearer token)            vs (2) the synthetic chain
  8   PUT the same (« Valider »: billing quotes over RPC), each family in turn, alternating
      between two sets of wanted days                           vs the raw RPC round trip
  9   billing's ``quote`` called straight over request/reply    vs the raw RPC round trip
  rpc the raw request/reply round trip: servicekit RpcClient → RpcServer whose handler
      answers its params back, with the same params as 9
  10  the Sunday-evening rush (bench/rush.py), then the overbooking check
  11  the « Planning » page through the gateway (skipped while the gateway has no such page)

One set of processes serves them all: accounts (test hash profile), planning, billing (the
simulated Treasury), a gateway in front of the three, an echo RPC server. The families are
made by bench/families.py; each logs in once through the gateway before the load.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from families import PASSWORD, Family, prepare
from run import Figure, Run, Target, failed, free_port, http, wait_listening, write_requests

LOGIN_CLIENTS = 8
RUSH_CANTINE_DAYS = 6  # each family wants 2 of them: about a third of the families per day
RUSH_PERI_DAYS = 2  # each family wants 1 of them: far more families than places (40)
RUSH_ALSH_EVERY = 3  # every third family wants one of the first 2 Wednesdays (48 places)


async def _log_in_all(base_url: str, fams: list[Family]) -> dict[int, str]:
    import aiohttp

    tokens: dict[int, str] = {}
    queue = list(fams)
    async with aiohttp.ClientSession() as session:

        async def client() -> None:
            while queue:
                family = queue.pop()
                body = {"username": family.username, "password": PASSWORD}
                async with session.post(f"{base_url}/api/accounts/sessions", json=body) as response:
                    doc = await response.json(content_type=None)
                    if response.status != 200:
                        raise RuntimeError(f"login of {family.username} answered {response.status}: {doc}")
                tokens[family.n] = doc["token"]

        await asyncio.gather(*(client() for _ in range(LOGIN_CLIENTS)))
    return tokens


def _bookable(grid: dict) -> dict[str, list[str]]:
    return {a["id"]: [d["date"] for d in a["days"] if d["state"] == "bookable"] for a in grid["activities"]}


def _pick_month(gateway: str, family: Family, token: str, cantine: str) -> tuple[str, dict[str, list[str]]]:
    """This month or the next (both open in the demo): the one with more bookable canteen days."""
    bearer = {"Authorization": f"Bearer {token}"}
    base = f"{gateway}/api/planning/children/{family.child_id}/months/"
    month = datetime.now(ZoneInfo("Europe/Paris")).strftime("%Y-%m")
    best = None
    for _ in range(2):
        status, body = http(base + month, headers=bearer)
        if status != 200:
            raise RuntimeError(f"grid of {month} answered {status}: {body[:300]!r}")
        grid = json.loads(body)
        days = _bookable(grid)
        if best is None or len(days.get(cantine, [])) > len(best[1].get(cantine, [])):
            best = (month, days)
        month = grid["next_month"]
    if len(best[1].get(cantine, [])) < RUSH_CANTINE_DAYS:
        raise RuntimeError(f"only {len(best[1].get(cantine, []))} bookable canteen days in {best[0]}")
    return best


def _check_first(base: str, what: str, reqs: list[dict]) -> None:
    """The first of a target's requests answers 200 before the load (as check_ok does)."""
    r = reqs[0]
    body = json.loads(r["body"]) if r.get("body") else None
    status, answer = http(base + r["path"], method=r["method"], json_body=body, headers=r["headers"], timeout=30)
    if status != 200:
        raise RuntimeError(f"{what}: {r['method']} {r['path']} answered {status}: {answer[:300]!r}")


def _label(family: Family) -> str:
    return f"{family.first_name} - bench"


def _quote_params(fams: list[Family], ids: list[str], days: dict[str, list[str]]) -> list[dict]:
    """What planning asks billing at « Valider » for each family: its four wanted days."""
    cantine, peri, alsh = ids
    out = []
    for f in fams:
        wanted = [(cantine, days[cantine][0]), (cantine, days[cantine][1]), (peri, days[peri][0])]
        if days.get(alsh):
            wanted.append((alsh, days[alsh][0]))
        lines = [
            {"child_id": str(f.child_id), "activity_id": a, "date": d, "change": "add", "label": _label(f)}
            for a, d in wanted
        ]
        out.append({"dossier_id": str(f.dossier_id), "lines": lines})
    return out


def _rush_wanted(f: Family, ids: list[str], days: dict[str, list[str]]) -> list[dict]:
    cantine, peri, alsh = ids
    c = days[cantine][:RUSH_CANTINE_DAYS]
    wanted = {cantine: sorted({c[f.n % len(c)], c[(f.n + len(c) // 2) % len(c)]})}
    if days.get(peri):
        wanted[peri] = [days[peri][:RUSH_PERI_DAYS][f.n % min(RUSH_PERI_DAYS, len(days[peri]))]]
    if days.get(alsh) and f.n % RUSH_ALSH_EVERY == 0:
        first = days[alsh][:2]
        wanted[alsh] = [first[(f.n // RUSH_ALSH_EVERY) % len(first)]]
    return [{"activity_id": a, "booked_dates": d} for a, d in wanted.items()]


def _rpc_target(run: Run, key: str, baseline: str | None, amqp: str, service: str, method: str, params: str,
                concurrency: int) -> Target:  # fmt: skip
    def measure(seconds: int) -> dict:
        process = run.start(
            f"{key}-load",
            "rpc-load",
            "--amqp", amqp, "--service", service, "--method", method, "--params-file", params,
            "--concurrency", str(concurrency), "--seconds", str(seconds), "--warmup", "0.5",
            pipe_stdout=True,
        )  # fmt: skip
        try:
            return run.json_line(process, seconds + 60)
        finally:
            process.stop()
            run.processes.remove(process)

    return Target(key, f"amqp rpc {service}.{method}", baseline, measure=measure)


def _signed_identities(dsn: str, fams: list[Family], secret: str) -> dict[int, str]:
    """Each family parent's identity as the gateway signs it (valid a day): 7a calls planning directly."""
    from servicekit.identity import Identity, sign_identity

    async def fetch():
        import asyncpg

        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT username, id, roles, dossier_id FROM users WHERE username = ANY($1)", [f.username for f in fams]
            )
        finally:
            await conn.close()
        return {r["username"]: r for r in rows}

    users = asyncio.run(fetch())
    signed = {}
    for f in fams:
        u = users[f.username]
        identity = Identity(user_id=u["id"], roles=frozenset(u["roles"]), dossier_id=u["dossier_id"])
        signed[f.n] = sign_identity(identity, secret, ttl_seconds=86400)
    return signed


def start_booking(
    run: Run, only: set[str], count: int, concurrency: int, rush_concurrency: int, detail: bool
) -> tuple[list[Target], list[Figure], object]:
    """Start everything, log the families in; the targets of 7, 8, 9, 11 and the rush (10)."""
    from servers import gateway_api

    gateway_api()  # ImportError → the caller reports the whole group skipped
    amqp = run.amqp_url("booking")
    dsns = {label: run.database(f"booking_{label}") for label in ("accounts", "planning", "billing")}
    print(f"    making {count} families in accounts, planning and billing (their use cases)", flush=True)
    fams, activity_ids = prepare(dsns, amqp, count)
    ids = [str(i) for i in activity_ids]
    env = {"IDENTITY_SECRET": secrets.token_urlsafe(32)}
    ports = {name: free_port() for name in ("accounts", "planning", "billing", "gateway")}
    procs = {
        "accounts": run.start("7-accounts", "accounts", "--port", str(ports["accounts"]), "--dsn", dsns["accounts"],
                              "--amqp", amqp, "--hash-profile", "test", env=env),
        "planning": run.start("7-planning", "planning", "--port", str(ports["planning"]), "--dsn", dsns["planning"],
                              "--amqp", amqp, env=env),
        "billing": run.start("7-billing", "billing", "--port", str(ports["billing"]), "--dsn", dsns["billing"],
                             "--amqp", amqp, env=env),
    }  # fmt: skip
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    procs["gateway"] = run.start(
        "7-gateway", "gateway", "--port", str(ports["gateway"]), "--amqp", amqp,
        "--accounts-url", urls["accounts"], "--planning-url", urls["planning"], "--billing-url", urls["billing"],
        "--nowhere-url", f"http://127.0.0.1:{free_port()}", env=env,
    )  # fmt: skip
    for name, process in procs.items():
        wait_listening(process, ports[name])
    echo = run.start("rpc-echo", "rpc-echo", "--amqp", amqp, "--service", "benchecho", "--method", "echo",
                     pipe_stdout=True)  # fmt: skip
    if echo.next_line(60) != "READY":
        raise RuntimeError(f"rpc echo did not get ready{echo.tail()}")
    gateway = urls["gateway"]
    print(f"    {count} logins through the gateway", flush=True)
    tokens = asyncio.run(_log_in_all(gateway, fams))
    month, days = _pick_month(gateway, fams[0], tokens[fams[0].n], ids[0])
    counts = ", ".join(f"{len(days.get(i, []))}" for i in ids)
    print(f"    month {month}: bookable days of cantine, peri_matin, alsh_mercredi: {counts}", flush=True)

    def grid_path(f: Family) -> str:
        return f"/api/planning/children/{f.child_id}/months/{month}"

    def bearer(f: Family) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[f.n]}"}

    targets: list[Target] = []
    skipped: list[Figure] = []
    if "7" in only:
        reqs = [{"method": "GET", "path": grid_path(f), "headers": bearer(f)} for f in fams]
        _check_first(gateway, "grid read", reqs)
        targets.append(Target("grid_read", gateway, "synthetic_chain", files=write_requests(run, "grid", reqs)))
        if detail:
            from servicekit.identity import IDENTITY_HEADER

            signed = _signed_identities(dsns["accounts"], fams, env["IDENTITY_SECRET"])
            reqs = [{"method": "GET", "path": grid_path(f), "headers": {IDENTITY_HEADER: signed[f.n]}} for f in fams]
            _check_first(urls["planning"], "planning grid alone", reqs)
            direct = write_requests(run, "grid-direct", reqs)
            targets.append(Target("grid_direct", urls["planning"], "synthetic_backend", files=direct))
    params = run.scratch / "quote-params.json"
    params.write_text(json.dumps(_quote_params(fams, ids, days)))
    if only & {"8", "9"}:
        targets.append(_rpc_target(run, "rpc_echo", None, amqp, "benchecho", "echo", str(params), concurrency))
    if "8" in only:
        cantine = ids[0]
        sets = (days[cantine][0:2], days[cantine][2:4])
        reqs = [
            {"method": "PUT", "path": grid_path(f), "headers": {**bearer(f), "Content-Type": "application/json"},
             "body": json.dumps({"activities": [{"activity_id": cantine, "booked_dates": wanted}]})}
            for wanted in sets
            for f in fams
        ]  # fmt: skip
        _check_first(gateway, "« Valider »", reqs)
        targets.append(Target("valider", gateway, "rpc_echo", files=write_requests(run, "valider", reqs)))
    if "9" in only:
        targets.append(_rpc_target(run, "quote_rpc", "rpc_echo", amqp, "billing", "quote", str(params), concurrency))
    if "11" in only:
        page = _page_target(gateway, fams, tokens, month, run)
        (targets if isinstance(page, Target) else skipped).append(page)

    def rush() -> list[Figure]:
        families_file = run.scratch / "rush-families.json"
        families_file.write_text(
            json.dumps(
                [
                    {
                        "n": f.n,
                        "token": tokens[f.n],
                        "child_id": str(f.child_id),
                        "month": month,
                        "wanted": _rush_wanted(f, ids, days),
                    }
                    for f in fams
                ]  # fmt: skip
            )
        )
        return rush_figures(run, gateway, urls["billing"], dsns["planning"], families_file, rush_concurrency)

    return targets, skipped, (rush if "10" in only else None)


def _page_target(gateway: str, fams: list[Family], tokens: dict[int, str], month: str, run: Run) -> Target | Figure:
    try:
        from gateway.auth import SESSION_COOKIE
    except ImportError:
        SESSION_COOKIE = "pf_session"  # noqa: N806 - the gateway's name for it
    first = fams[0]
    cookie = {"Cookie": f"{SESSION_COOKIE}={tokens[first.n]}"}
    status, body = http(f"{gateway}/planning/{first.child_id}/{month}", headers=cookie)
    if status == 404:
        return failed("planning_page", "skipped", "page not built (GET /planning/{child_id}/{YYYY-MM} answers 404)")
    if status != 200:
        return failed("planning_page", "error", f"GET /planning/… answered {status}: {body[:200]!r}")
    reqs = [
        {"method": "GET", "path": f"/planning/{f.child_id}/{month}",
         "headers": {"Cookie": f"{SESSION_COOKIE}={tokens[f.n]}"}}
        for f in fams
    ]  # fmt: skip
    return Target("planning_page", gateway, "synthetic_chain", files=write_requests(run, "page", reqs))


# --------------------------------------------------------------------------- the rush


OVERBOOKED_SQL = """
SELECT p.activity_id, p.day, p.capacity, p.confirmed, p.held,
       (SELECT count(*) FROM reservations r
         WHERE r.activity_id = p.activity_id AND r.day = p.day AND r.status = 'confirmed') AS reservations
FROM day_places p
"""


STUCK_SQL = """
SELECT datname, count(*) AS connections, max(now() - xact_start) AS longest, min(left(query, 80)) AS last_query
FROM pg_stat_activity
WHERE datname LIKE $1 AND state = 'idle in transaction' AND now() - xact_start > interval '10 seconds'
GROUP BY datname
"""


def _stuck_transactions(run: Run) -> str:
    """Which service holds transactions open while it waits for something else (a pool
    exhausted by nested acquisitions looks like this): said beside a rush that stalled."""

    async def fetch():
        import asyncpg
        from servicekit.testing import ADMIN_DSN

        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            return await conn.fetch(STUCK_SQL, f"bench_{run.run_id}_booking_%")
        finally:
            await conn.close()

    rows = asyncio.run(fetch())
    return "; ".join(
        f"{r['datname'].rsplit('_', 1)[-1]}: {r['connections']} connections idle in transaction for up to "
        f"{r['longest'].total_seconds():.0f} s (last query {r['last_query']!r})"
        for r in rows
    )


def _places(dsn: str) -> list[dict]:
    async def fetch() -> list[dict]:
        import asyncpg

        conn = await asyncpg.connect(dsn)
        try:
            return [dict(r) for r in await conn.fetch(OVERBOOKED_SQL)]
        finally:
            await conn.close()

    return asyncio.run(fetch())


def rush_figures(
    run: Run, gateway: str, billing: str, planning_dsn: str, families_file, concurrency: int
) -> list[Figure]:
    count = len(json.loads(families_file.read_text()))
    print(f"  scenario 10: Sunday-evening rush, {count} families, {concurrency} at a time", flush=True)
    process = run.start(
        "10-rush", "rush", "--gateway", gateway, "--billing", billing, "--planning-dsn", planning_dsn,
        "--families-file", str(families_file), "--concurrency", str(concurrency), pipe_stdout=True,
    )  # fmt: skip
    result = run.json_line(process, 900)
    process.stop()
    run.processes.remove(process)
    stuck = _stuck_transactions(run) if result["errors"] else ""
    places = _places(planning_dsn)
    over = [p for p in places if p["confirmed"] > p["capacity"] or p["confirmed"] + p["held"] > p["capacity"]]
    over_reservations = [p for p in places if p["reservations"] > p["capacity"]]
    mismatched = [p for p in places if p["reservations"] != p["confirmed"]]
    full_days = sum(1 for p in places if p["confirmed"] + p["held"] >= p["capacity"] > 0)
    e2e = result["checkout_to_confirmed"]
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(result["outcomes"].items()))
    figures = [
        Figure(
            "rush",
            "families/s",
            value=result["families_per_second"],
            p50_ms=e2e["p50_ms"],
            p99_ms=e2e["p99_ms"],
            note=(
                f"{count} families in {result['seconds']:.0f} s, {result['concurrency']} at a time: {outcomes}; "
                f"{result['errors']} errors; days dropped as full: {result['days_dropped_full'] or 0}; "
                f"p50/p99 = checkout → confirmed"
            ),
            details=result,
        )
    ]
    for step, stats in result["steps"].items():
        figures.append(
            Figure(
                f"rush_{step}",
                "requests" if step != "confirm" else "waits",
                value=stats["count"],
                p50_ms=stats["p50_ms"],
                p99_ms=stats["p99_ms"],
                note=f"statuses {stats['statuses']}",
            )
        )
    figures.append(
        Figure(
            "rush_overbooked",
            "days",
            value=len(over) + len(over_reservations),
            note=(
                f"must be 0: {len(places)} (activity, day) rows checked, {full_days} full; "
                f"confirmed + held > capacity: {len(over)}; reservations > capacity: {len(over_reservations)}; "
                f"reservations ≠ confirmed count: {len(mismatched)}"
            ),
            details={"overbooked": [str(p) for p in over + over_reservations][:20], "full_days": full_days},
        )
    )
    if result["errors"]:
        figures[0].note += f"; first errors: {result['error_samples'][:5]}"
    if stuck:
        figures[0].note += f"; stuck: {stuck}"
        figures[0].details["stuck_transactions"] = stuck
    return figures
