"""Scenario 10, the Sunday-evening rush: every family books and pays, a few at a time.

Each family (logged in beforehand; its token, child, month and wanted days come in the
families file) does what the « Planning » pages do, through the gateway:

  put       PUT /api/planning/children/{child}/months/{month}   « Valider » (billing quotes over RPC)
  basket    GET /api/planning/basket                            « Terminer les modifications »
  checkout  POST /api/planning/basket/checkout                  « Payer » (places held, billing's payment)
  pay       the simulated Treasury, as the gateway's page does (docs/saga.md): the decision
            POST billing /internal/simulated-treasury/operations/{idop}/decision {"decision": "pay"},
            then the notification POST billing /api/billing/payments/notifications/simulated (idop)
  confirm   until planning has confirmed: the basket's status in planning's database, every 50 ms
            (billing.payment.succeeded → planning's consumer → basket confirmed)

A day that filled up meanwhile is a correct answer, not an error: a 422 ``rules_violated``
at « Valider » whose days are all ``day_full`` → the family drops them and validates again;
a 409 ``days_full`` at « Payer » (the full days are dropped from the basket) → it pays for
the rest; nothing left → it goes home with nothing (``basket_empty``). Anything else is an
error. ``--concurrency`` families are in the rush at once; one JSON line at the end.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from pathlib import Path

import aiohttp
from servers import percentile

FULL_AT_VALIDER = "day_full"
# After this many confirmations that never came the saga is stuck (the broker went away,
# a consumer died): the families not yet started are counted as errors and the rush ends,
# rather than waiting --timeout for each of them.
STUCK_AFTER = 5


def _problem_code(doc: dict) -> str:
    return str(doc.get("type", "")).rsplit("/", 1)[-1]


class Rush:
    def __init__(self, args, session: aiohttp.ClientSession, pool):
        self.args = args
        self.session = session
        self.pool = pool
        self.latencies: dict[str, list[float]] = {s: [] for s in ("put", "basket", "checkout", "pay", "confirm")}
        self.end_to_end: list[float] = []
        self.statuses: dict[str, Counter] = {s: Counter() for s in self.latencies}
        self.errors: list[str] = []
        self.outcomes: Counter[str] = Counter()
        self.days_dropped = Counter()
        self.timeouts = 0

    async def _call(self, step: str, method: str, url: str, **kwargs) -> tuple[int, dict]:
        sent = time.perf_counter()
        async with self.session.request(method, url, **kwargs) as response:
            raw = await response.read()
            status = response.status
        self.latencies[step].append(time.perf_counter() - sent)
        self.statuses[step][str(status)] += 1
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            doc = {"raw": raw[:200].decode(errors="replace")}
        return status, doc

    def _error(self, family: dict, step: str, status: int, doc: dict) -> None:
        self.outcomes["error"] += 1
        if len(self.errors) < 20:
            self.errors.append(f"family {family['n']} {step}: {status} {_problem_code(doc) or doc}")

    async def family(self, family: dict) -> None:
        base = self.args.gateway.rstrip("/")
        bearer = {"Authorization": f"Bearer {family['token']}"}
        wanted = [{"activity_id": a["activity_id"], "booked_dates": list(a["booked_dates"])} for a in family["wanted"]]
        month_url = f"{base}/api/planning/children/{family['child_id']}/months/{family['month']}"
        while True:  # « Valider », without the days that filled up meanwhile
            status, doc = await self._call("put", "PUT", month_url, json={"activities": wanted}, headers=bearer)
            if status == 200:
                break
            full = [d for d in doc.get("days", [])] if status == 422 else []
            if not full or any(d.get("code") != FULL_AT_VALIDER for d in full):
                return self._error(family, "put", status, doc)
            gone = {(d["activity_id"], d["date"]) for d in full}
            self.days_dropped["at_valider"] += len(gone)
            for a in wanted:
                a["booked_dates"] = [d for d in a["booked_dates"] if (a["activity_id"], d) not in gone]
            if not any(a["booked_dates"] for a in wanted):
                self.outcomes["nothing_left_at_valider"] += 1
                return None
        status, doc = await self._call("basket", "GET", f"{base}/api/planning/basket", headers=bearer)
        if status != 200:
            return self._error(family, "basket", status, doc)
        started = time.perf_counter()
        for _attempt in range(2):  # « Payer »; once more without the days that were full
            headers = {**bearer, "Idempotency-Key": str(uuid.uuid4())}
            status, doc = await self._call("checkout", "POST", f"{base}/api/planning/basket/checkout", headers=headers)
            if status == 409 and _problem_code(doc) == "days_full":
                self.days_dropped["at_checkout"] += len(doc.get("days", [])) or 1
                continue
            break
        if status == 409 and _problem_code(doc) in ("days_full", "basket_empty"):
            self.outcomes["nothing_left_at_checkout"] += 1
            return None
        if status != 200:
            return self._error(family, "checkout", status, doc)
        if doc.get("status") == "confirmed":  # credits covered it: nothing to pay
            self.outcomes["confirmed_without_payment"] += 1
            self.end_to_end.append(time.perf_counter() - started)
            return None
        idop = doc["payment_url"].rsplit("idop=", 1)[-1]
        billing = self.args.billing.rstrip("/")
        sent = time.perf_counter()
        operation = f"{billing}/internal/simulated-treasury/operations/{idop}/decision"
        async with self.session.post(operation, json={"decision": "pay"}) as response:
            await response.read()
            decided = response.status
        notification = f"{billing}/api/billing/payments/notifications/simulated"
        async with self.session.post(notification, data={"idop": idop}) as response:
            await response.read()
            notified = response.status
        self.latencies["pay"].append(time.perf_counter() - sent)
        self.statuses["pay"][f"{decided}+{notified}"] += 1
        if decided != 200 or notified != 200:
            return self._error(family, "pay", decided if decided != 200 else notified, {})
        await self._confirmed(family, doc["basket_id"], started)

    async def _confirmed(self, family: dict, basket_id: str, started: float) -> None:
        sent = time.perf_counter()
        deadline = sent + self.args.timeout
        while time.perf_counter() < deadline:
            status = await self.pool.fetchval("SELECT status FROM baskets WHERE id = $1", uuid.UUID(basket_id))
            if status in ("confirmed", "released"):
                now = time.perf_counter()
                self.latencies["confirm"].append(now - sent)
                self.statuses["confirm"][status] += 1
                if status == "released":
                    return self._error(family, "confirm", 0, {"type": "released"})
                self.end_to_end.append(now - started)
                self.outcomes["booked_and_paid"] += 1
                return None
            await asyncio.sleep(0.05)
        self.statuses["confirm"]["timeout"] += 1
        self.timeouts += 1
        return self._error(family, "confirm", 0, {"type": f"not confirmed within {self.args.timeout:g} s"})

    def report(self, families: int, seconds: float) -> dict:
        def ms(values: list[float]) -> dict:
            ordered = sorted(values)
            return {
                "count": len(ordered),
                "p50_ms": (percentile(ordered, 50) or 0) * 1000,
                "p99_ms": (percentile(ordered, 99) or 0) * 1000,
            }

        return {
            "families": families,
            "concurrency": self.args.concurrency,
            "seconds": seconds,
            "families_per_second": families / seconds,
            "errors": self.outcomes.get("error", 0),
            "error_samples": self.errors,
            "outcomes": dict(self.outcomes),
            "days_dropped_full": dict(self.days_dropped),
            "steps": {step: {**ms(v), "statuses": dict(self.statuses[step])} for step, v in self.latencies.items()},
            "checkout_to_confirmed": ms(self.end_to_end),
        }


async def _rush(args, families: list[dict]) -> dict:
    import asyncpg

    queue: asyncio.Queue = asyncio.Queue()
    for family in families:
        queue.put_nowait(family)
    timeout = aiohttp.ClientTimeout(total=60)
    pool = await asyncpg.create_pool(args.planning_dsn, min_size=1, max_size=4)
    connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        rush = Rush(args, session, pool)

        async def worker() -> None:
            while not queue.empty():
                family = queue.get_nowait()
                if rush.timeouts >= STUCK_AFTER:
                    rush._error(family, "not started", 0, {"type": f"{STUCK_AFTER} confirmations never came"})
                    continue
                try:
                    await rush.family(family)
                except (TimeoutError, aiohttp.ClientError, OSError, KeyError) as exc:
                    rush._error(family, "exception", 0, {"type": type(exc).__name__})

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        seconds = time.perf_counter() - started
    await pool.close()
    return rush.report(len(families), seconds)


def run_rush(args) -> None:
    from servicekit.logging import configure_logging

    configure_logging("json", "WARNING", "rush")
    families = json.loads(Path(args.families_file).read_text())
    print(json.dumps(asyncio.run(_rush(args, families))), flush=True)
