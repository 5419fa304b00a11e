"""The whole portal as real processes: accounts, messaging, planning, billing and the gateway.

Each is its console script (``.venv/bin/portail-<name> serve``) on a free port and a
throwaway database; all share a RabbitMQ vhost made for this stack alone (queue names are
fixed per service: in the session's vhost they would meet another module's processes and
their leftover messages). E-mails go to the SMTP port given (an aiosmtpd sink of the test).

Before anything serves, each service runs ``demo-data`` (when asked) or ``migrate``: both
declare its queue and bindings, so no event published at start-up (accounts' demo family)
falls into an exchange nobody listens to yet.

Used by the browser tests (tests/e2e/conftest.py) and the system tests of the book-and-pay
saga (tests/system/test_book_and_pay.py).
"""

from __future__ import annotations

import asyncio
import email
import os
import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from datetime import date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
from messaging.mail.compose import format_day_fr
from servicekit.identity import IDENTITY_HEADER, Identity, sign_identity
from servicekit.testing import AMQP_BASE, eventually, rabbitmqctl

from .processes import BIN, ServiceProcess, answers, start, tail

SERVICES = ("accounts", "messaging", "planning", "billing")
TOWN = "Puiseux-en-France"
PARIS = ZoneInfo("Europe/Paris")
TREASURY_NOTIFY = "/api/billing/payments/notifications/simulated"


class Stack:
    """The running processes, their addresses, databases and logs."""

    def __init__(self, *, env: dict[str, str], logs: Path, vhost: str, services: Iterable[str], gateway_port: int):
        self.env = env
        self.logs = logs
        self.vhost = vhost
        self.identity_secret = env["IDENTITY_SECRET"]
        self.processes: dict[str, ServiceProcess] = {
            name: ServiceProcess(name, env, int(env[f"{name.upper()}_HTTP_PORT"]), logs) for name in services
        }
        self.gateway = ServiceProcess("gateway", env, gateway_port, logs)
        self._connections: dict[str, asyncpg.Connection] = {}

    @property
    def gateway_url(self) -> str:
        return self.gateway.url

    def url(self, service: str) -> str:
        return self.processes[service].url

    def database(self, service: str) -> str:
        return self.env[f"{service.upper()}_DATABASE_URL"]

    def staff_headers(self, *roles: str) -> dict[str, str]:
        """A staff member's signed identity, as the gateway would send it to a service."""
        staff = Identity(user_id=uuid.uuid4(), roles=frozenset(roles or {"accounts_staff"}))
        return {IDENTITY_HEADER: sign_identity(staff, self.identity_secret)}

    async def treasury_decide(self, http: aiohttp.ClientSession, idop: str, decision: str) -> dict:
        """The parent at the simulated Treasury: « pay », « refuse » or « abandon » (billing's
        internal decision endpoint, as the gateway's page calls it)."""
        url = f"{self.url('billing')}/internal/simulated-treasury/operations/{idop}/decision"
        async with http.post(url, json={"decision": decision}) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def treasury_notify(self, http: aiohttp.ClientSession, idop: str) -> int:
        """What the Treasury's server does next: post idop to the public notification path."""
        async with http.post(self.gateway_url + TREASURY_NOTIFY, data={"idop": idop}) as resp:
            return resp.status

    def log_tail(self, name: str, lines: int = 40) -> str:
        return tail(self.logs / f"{name}.log", lines)

    async def connection(self, service: str) -> asyncpg.Connection:
        """One connection per service's database, kept for the stack's life (what a test
        counts: outbox rows, reservations). Kept, not reopened at each poll: the server's
        connection slots are shared with the services' pools and other tests. One query
        at a time on it."""
        conn = self._connections.get(service)
        if conn is None or conn.is_closed():
            conn = self._connections[service] = await asyncpg.connect(self.database(service))
        return conn

    async def fetch(self, service: str, query: str, *args) -> list[asyncpg.Record]:
        return await (await self.connection(service)).fetch(query, *args)

    async def fetchval(self, service: str, query: str, *args):
        rows = await self.fetch(service, query, *args)
        return rows[0][0] if rows else None

    async def stop(self) -> None:
        for conn in self._connections.values():
            await conn.close()
        self._connections.clear()
        everyone = [*self.processes.values(), self.gateway]
        await asyncio.gather(*(p.terminate(timeout=10) for p in everyone))


def distinct_ports(count: int) -> list[int]:
    """``count`` free ports, all different (each socket stays bound until all are chosen:
    calling ``free_port`` in a row may hand the same port out twice)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


async def _ctl(*args: str) -> str:
    return await asyncio.to_thread(rabbitmqctl, *args)


async def _run_once(name: str, command: str, env: dict[str, str], logs: Path) -> None:
    log_path = logs / f"{name}-{command}.log"
    proc = await start([str(BIN / f"portail-{name}"), command], env, log_path)
    code = await asyncio.wait_for(proc.wait(), timeout=120)
    assert code == 0, f"portail-{name} {command} failed ({code}):\n{tail(log_path)}"


async def start_stack(
    make_database: Callable[[str], Awaitable[str]],
    *,
    smtp_port: int,
    logs: Path,
    label: str,
    services: Iterable[str] = SERVICES,
    demo: Iterable[str] = ("accounts",),
    env: Mapping[str, str] | None = None,
) -> Stack:
    """Start ``services`` and the gateway; the others' URLs in the gateway lead nowhere.

    ``demo``: the services whose ``demo-data`` is loaded first (the others are migrated).
    ``env``: extra variables, e.g. ``PLANNING_BASKET_HOLD_MINUTES``. Call :meth:`Stack.stop`
    then :func:`drop_vhost` when done (:func:`running_stack` does both).
    """
    services = tuple(services)
    missing = [s for s in (*services, "gateway") if not (BIN / f"portail-{s}").exists()]
    if missing:
        raise FileNotFoundError(f"missing console scripts (run `uv sync`): {', '.join(missing)}")
    vhost = f"{label}_{secrets.token_hex(4)}"
    await _ctl("add_vhost", vhost)
    await _ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    *numbers, unused = distinct_ports(len(SERVICES) + 2)
    ports = dict(zip((*SERVICES, "gateway"), numbers, strict=True))
    gateway_url = f"http://127.0.0.1:{ports['gateway']}"
    nowhere = f"http://127.0.0.1:{unused}"
    databases = await asyncio.gather(*(make_database(f"{label}_{name}") for name in services))
    full_env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "AMQP_URL": AMQP_BASE.rstrip("/") + "/" + quote(vhost, safe=""),
        "IDENTITY_SECRET": secrets.token_urlsafe(32),
        "OUTBOX_POLL_SECONDS": "0.2",
        "ACCOUNTS_PASSWORD_HASH_PROFILE": "test",
        "MESSAGING_SMTP_HOST": "127.0.0.1",
        "MESSAGING_SMTP_PORT": str(smtp_port),
        "MESSAGING_PUBLIC_URL": gateway_url,
        "BILLING_PAYMENT_PROVIDER": "simulated",
        "GATEWAY_HTTP_PORT": str(ports["gateway"]),
        "GATEWAY_SESSION_SECRET": secrets.token_urlsafe(32),
        "GATEWAY_TOWN_NAME": TOWN,
        "GATEWAY_PAYMENT_PROVIDER": "simulated",
    }
    for name in SERVICES:
        full_env[f"{name.upper()}_HTTP_PORT"] = str(ports[name])
        # No separate metrics listener (where servicekit has one, it is http_port + 1000:
        # with free ports picked at random, that one could be taken).
        full_env[f"{name.upper()}_METRICS_PORT"] = "0"
        full_env[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}" if name in services else nowhere
    for name, dsn in zip(services, databases, strict=True):
        full_env[f"{name.upper()}_DATABASE_URL"] = dsn
    full_env.update(env or {})
    stack = Stack(env=full_env, logs=logs, vhost=vhost, services=services, gateway_port=ports["gateway"])
    demo = set(demo)
    try:
        await asyncio.gather(
            *(_run_once(name, "demo-data" if name in demo else "migrate", full_env, logs) for name in services)
        )
        for process in (*stack.processes.values(), stack.gateway):
            await process.start()
        await asyncio.gather(*(p.wait_ready() for p in stack.processes.values()))
        try:
            await eventually(lambda: answers(f"{gateway_url}/health"), timeout=45, interval=0.1)
        except AssertionError:
            raise AssertionError(f"the gateway did not start:\n{stack.log_tail('gateway')}") from None
    except BaseException:
        await stack.stop()
        await drop_vhost(stack)
        raise
    return stack


async def drop_vhost(stack: Stack) -> None:
    try:
        await _ctl("delete_vhost", stack.vhost)
    except RuntimeError:  # already gone: nothing to clean
        pass


@asynccontextmanager
async def running_stack(make_database, **kwargs) -> AsyncIterator[Stack]:
    """:func:`start_stack` for the duration of a ``with`` block, stopped and cleaned after."""
    stack = await start_stack(make_database, **kwargs)
    try:
        yield stack
    finally:
        await stack.stop()
        await drop_vhost(stack)


# --- the e-mails -----------------------------------------------------------------------------


class MailSink:
    """An aiosmtpd handler keeping every message received (``port`` once started)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        )
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m.get("To", "")).lower()]


@contextmanager
def smtp_sink() -> Iterator[MailSink]:
    from aiosmtpd.controller import Controller  # a dev dependency

    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=distinct_ports(1)[0])
    controller.start()
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()


def text_of(message: EmailMessage) -> str:
    """Every text part of a message, decoded and joined."""
    return "\n".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")


def saga_mails(sink: MailSink, address: str, reference: str, days: Iterable[str]) -> tuple[list, list]:
    """The payment receipts of ``reference`` and the booking confirmations naming every one
    of ``days`` (ISO dates, written as messaging writes them) that reached ``address``."""
    day_words = [format_day_fr(date.fromisoformat(d)) for d in days]
    mails = [(m, text_of(m)) for m in sink.to(address)]
    receipts = [m for m, text in mails if reference in text and "il vaut reçu" in text]
    confirmations = [
        m for m, text in mails if "réservations suivantes sont confirmées" in text and all(w in text for w in day_words)
    ]
    return receipts, confirmations


# --- a parent through the gateway's API ----------------------------------------------------


class Parent:
    """A signed-in parent calling the gateway's API with ``Authorization: Bearer``."""

    def __init__(self, http: aiohttp.ClientSession, gateway_url: str, token: str):
        self.http = http
        self.base = gateway_url
        self.headers = {"Authorization": f"Bearer {token}"}

    @classmethod
    async def login(cls, http: aiohttp.ClientSession, gateway_url: str, username: str, password: str) -> Parent:
        body = {"username": username, "password": password}
        async with http.post(f"{gateway_url}/api/accounts/sessions", json=body) as resp:
            assert resp.status in (200, 201), f"{username} cannot log in: {resp.status} {await resp.text()}"
            return cls(http, gateway_url, (await resp.json())["token"])

    async def call(self, method: str, path: str, *, json=None, headers=None) -> tuple[int, dict | None]:
        async with self.http.request(
            method, self.base + path, json=json, headers={**self.headers, **(headers or {})}
        ) as resp:
            body = await resp.json(content_type=None) if resp.status != 204 else None
            return resp.status, body

    async def get(self, path: str) -> dict:
        status, body = await self.call("GET", path)
        assert status == 200, f"GET {path}: {status} {body}"
        return body

    async def child_and_activity(self, activity: str) -> tuple[str, str]:
        """The first child's id and that of its activity whose name contains ``activity``."""
        child = (await self.get("/api/planning/children"))["children"][0]
        return child["id"], next(a["id"] for a in child["activities"] if activity in a["name"])

    async def month(self, child_id, month: str) -> dict:
        return await self.get(f"/api/planning/children/{child_id}/months/{month}")

    async def book(self, child_id, month: str, activity_id, days: Iterable[str]) -> dict:
        """« Valider » with ``days`` added to what the activity already has (booked or pending)."""
        grid = await self.month(child_id, month)
        activities = []
        for activity in grid["activities"]:
            wanted = [d["date"] for d in activity["days"] if is_wanted(d)]
            if activity["id"] == str(activity_id):
                wanted = sorted({*wanted, *days})
            activities.append({"activity_id": activity["id"], "booked_dates": wanted})
        status, body = await self.call(
            "PUT", f"/api/planning/children/{child_id}/months/{month}", json={"activities": activities}
        )
        assert status == 200, f"« Valider » refused: {status} {body}"
        return body

    async def checkout(self) -> dict:
        status, body = await self.call(
            "POST", "/api/planning/basket/checkout", headers={"Idempotency-Key": secrets.token_hex(16)}
        )
        assert status == 200, f"« Payer » refused: {status} {body}"
        return body


def is_wanted(day: dict) -> bool:
    """As the month page reads a day: planning's pending change if any, else its booked flag."""
    change = day.get("pending_change")
    return change == "add" if change else bool(day.get("booked"))


def days_in_state(grid: dict, activity_id, state: str) -> list[dict]:
    activity = next(a for a in grid["activities"] if a["id"] == str(activity_id))
    return [d for d in activity["days"] if d["state"] == state]


def next_month(today=None) -> str:
    """The month after this one in Paris (the demo opens it; its deadlines are still open)."""
    today = today or datetime.now(PARIS).date()
    return following(today.strftime("%Y-%m"))


def following(month: str) -> str:
    first = (date.fromisoformat(f"{month}-01") + timedelta(days=32)).replace(day=1)
    return first.strftime("%Y-%m")


async def month_with_bookable_days(stack: Stack, parent: Parent, child_id, activity_id, count: int) -> str:
    """The first month from next month on where ``activity_id`` has ``count`` bookable days
    for the child, opening months at planning's staff API as needed: next month may be
    mostly school holidays (August, or the end of June's)."""
    month = next_month()
    for _ in range(4):
        grid = await parent.month(child_id, month)
        if not grid["open"]:
            async with parent.http.put(
                f"{stack.url('planning')}/api/planning/admin/months/{month}",
                json={"open": True},
                headers=stack.staff_headers("planning_staff"),
            ) as resp:
                assert resp.status == 200, await resp.text()
            grid = await parent.month(child_id, month)
        if len(days_in_state(grid, activity_id, "bookable")) >= count:
            return month
        month = following(month)
    raise AssertionError(f"no month from {next_month()} on with {count} bookable days of {activity_id}")
