"""Faults with the real processes: nothing is lost, and each e-mail is sent once, when a
service, the broker or a database connection goes away.

``portail-accounts serve`` and ``portail-messaging serve`` run as subprocesses (JSON logs in
the test's tmp_path), each on a throwaway database, both on a RabbitMQ vhost of their own
made for the test (messaging's queue is always ``messaging.events``: in the session vhost it
would meet the other tests' messaging processes) with a unique ``EVENTS_EXCHANGE``. E-mails
go to an aiosmtpd sink started by the test. Each fault is the real one: SIGKILL, ``rabbitmqctl
stop_app``, ``pg_terminate_backend``, the SMTP port closed.

"Exactly once" is checked when it can be decided: the e-mail reached the sink, messaging's
row is ``sent`` (so the sender will never take it again), and after a few more polling
periods each recipient still holds one message, with the row's Message-ID, and the link's
token is the one in accounts' ``accounts.user.registered`` event. The documented
at-least-once window (a process dying between the SMTP server's 250 and the commit,
docs/emails.md) is never opened on purpose: faults strike while nothing is being accepted.
"""

from __future__ import annotations

import asyncio
import email
import hashlib
import json
import os
import re
import secrets
import uuid
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from urllib.parse import quote

import aio_pika
import aiohttp
import asyncpg
import pytest
from accounts.demo import TERMS_TEXT, TERMS_VERSION
from aiosmtpd.controller import Controller
from portal_stack.processes import ServiceProcess, free_port
from servicekit.identity import IDENTITY_HEADER, Identity, sign_identity
from servicekit.testing import ADMIN_DSN, AMQP_BASE, eventually, rabbitmqctl

pytestmark = pytest.mark.timeout(60)

PASSWORD = "une phrase de passe bien longue"
POLL_SECONDS = 0.5
TEST_APP = "faults-test"  # application_name of the test's own connections (never terminated)
ACTIVATION_LINK = re.compile(r"/activation\?token=([A-Za-z0-9_-]+)")
LINK_TOKEN = re.compile(r"\?token=([A-Za-z0-9_-]+)")


# --- the SMTP sink ----------------------------------------------------------------------


class Sink:
    """An aiosmtpd server keeping every message; it can be stopped and started on its port,
    and told to answer 451 (try again later) to DATA."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self.refused = 0
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.messages.append(
            email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        )
        return "250 OK"

    async def start(self) -> None:
        assert self.controller is None
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        await asyncio.to_thread(self.controller.start)

    async def stop(self) -> None:
        if self.controller is not None:
            controller, self.controller = self.controller, None
            await asyncio.to_thread(controller.stop)

    def to(self, address: str) -> list[EmailMessage]:
        address = address.lower()
        return [m for m in self.messages if address in (a.lower() for _, a in getaddresses([str(m.get("To", ""))]))]


def text_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# --- the suite of two processes ----------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    user_id: str
    username: str
    email: str


async def ctl(*args: str) -> str:
    return await asyncio.to_thread(rabbitmqctl, *args)


async def start_broker() -> None:
    await ctl("start_app")
    await ctl("await_startup")


async def fetch(dsn: str, query: str, *args) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn, server_settings={"application_name": TEST_APP})
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def execute(dsn: str, query: str, *args) -> None:
    conn = await asyncpg.connect(dsn, server_settings={"application_name": TEST_APP})
    try:
        await conn.execute(query, *args)
    finally:
        await conn.close()


class Suite:
    def __init__(self, *, env, vhost, accounts, messaging, sink, secret):
        self.env = env
        self.vhost = vhost
        self.accounts: ServiceProcess = accounts
        self.messaging: ServiceProcess = messaging
        self.sink: Sink = sink
        self.secret = secret
        self.accounts_db = env["ACCOUNTS_DATABASE_URL"]
        self.messaging_db = env["MESSAGING_DATABASE_URL"]
        self._terms_loaded = False
        self.broker_stopped = False

    @property
    def processes(self) -> list[ServiceProcess]:
        return [self.accounts, self.messaging]

    async def stop_broker(self) -> None:
        self.broker_stopped = True
        await ctl("stop_app")

    async def start_broker(self) -> None:
        await start_broker()
        self.broker_stopped = False

    async def start(self, *processes: ServiceProcess) -> None:
        processes = processes or tuple(self.processes)
        for p in processes:
            await p.start()
        await asyncio.gather(*(p.wait_ready() for p in processes))

    # accounts' API and database

    async def register(self, count: int = 1) -> list[Registered]:
        if not self._terms_loaded:  # what `portail-accounts demo-data` would load, alone
            await execute(
                self.accounts_db,
                "INSERT INTO terms (version, text) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                TERMS_VERSION,
                TERMS_TEXT,
            )
            self._terms_loaded = True
        made = []
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
            for _ in range(count):
                username = f"f{uuid.uuid4().hex[:10]}"
                body = {
                    "last_name": "Le Derf",
                    "first_name": "Arnaud",
                    "email": f"{username}@example.org",
                    "username": username,
                    "password": PASSWORD,
                    "without_dossier": True,
                    "terms_version": TERMS_VERSION,
                }
                async with http.post(f"{self.accounts.url}/api/accounts/registrations", json=body) as r:
                    answer = await r.json(content_type=None)
                    assert r.status == 201, (r.status, answer)
                made.append(Registered(answer["user_id"], username, body["email"]))
        return made

    async def registered_events(self) -> dict[str, dict]:
        """accounts.user.registered rows of accounts' outbox, by user id."""
        rows = await fetch(
            self.accounts_db,
            "SELECT envelope::text AS envelope, published_at, attempts, last_error FROM outbox "
            "WHERE event_type = 'accounts.user.registered' ORDER BY id",
        )
        out = {}
        for row in rows:
            envelope = json.loads(row["envelope"])
            out[envelope["data"]["user_id"]] = {**dict(row), "envelope": envelope}
        return out

    async def live_link_tokens(self, user_id: str) -> set[str]:
        """Tokens sent in e-mails so far (read from the sink) whose hash accounts holds."""
        hashes = {
            row["token_hash"]
            for row in await fetch(
                self.accounts_db, "SELECT token_hash FROM user_tokens WHERE user_id = $1::uuid", user_id
            )
        }
        sent = {m.group(1) for message in self.sink.messages for m in LINK_TOKEN.finditer(text_part(message))}
        return {t for t in sent if hashlib.sha256(t.encode()).hexdigest() in hashes}

    async def all_published(self, regs: list[Registered]) -> bool:
        events = await self.registered_events()
        return all(r.user_id in events and events[r.user_id]["published_at"] is not None for r in regs)

    # messaging's API and database

    async def email_rows(self, regs: list[Registered]) -> list[asyncpg.Record]:
        return await fetch(
            self.messaging_db,
            "SELECT user_id::text AS user_id, state, attempts, message_id, last_error FROM emails "
            "WHERE kind = 'activation' AND user_id = ANY($1::uuid[]) ORDER BY created_at",
            [r.user_id for r in regs],
        )

    async def email_log(self, **query: str) -> list[dict]:
        staff = Identity(user_id=uuid.uuid4(), roles=frozenset({"messaging_staff"}))
        headers = {IDENTITY_HEADER: sign_identity(staff, self.secret)}
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
            http.get(f"{self.messaging.url}/api/messaging/admin/emails", params=query, headers=headers) as r,
        ):
            answer = await r.json(content_type=None)
            assert r.status == 200, (r.status, answer)
        return answer["emails"]

    async def queue_depth(self, name: str) -> int:
        """Messages ready in a queue, as the queue itself says (the management statistics lag)."""
        connection = await aio_pika.connect(self.env["AMQP_URL"])
        try:
            channel = await connection.channel()
            queue = await channel.declare_queue(name, passive=True)
            return queue.declaration_result.message_count
        finally:
            await connection.close()

    # the verdict

    async def assert_each_sent_once(self, regs: list[Registered], *, timeout: float = 30) -> None:
        """Every registration's activation e-mail reached the sink exactly once, with the
        token of accounts' event; messaging has one row per registration, sent; nothing
        was dead-lettered."""

        async def arrived() -> bool:
            return all(self.sink.to(r.email) for r in regs)

        try:
            await eventually(arrived, timeout=timeout, interval=0.1)
        except AssertionError:
            missing = [r.email for r in regs if not self.sink.to(r.email)]
            raise AssertionError(
                f"e-mails missing for {missing}; rows: {await self.email_rows(regs)}\n"
                f"--- messaging log ---\n{self.messaging.tail()}\n--- accounts log ---\n{self.accounts.tail()}"
            ) from None

        async def all_sent() -> bool:
            rows = await self.email_rows(regs)
            return len(rows) >= len(regs) and all(row["state"] == "sent" for row in rows)

        await eventually(all_sent, timeout=10, interval=0.1)
        # A second copy would come from a row still pending or a second row: wait a few
        # polling periods of the relay and the sender, then count.
        await asyncio.sleep(3 * POLL_SECONDS)

        rows = await self.email_rows(regs)
        assert sorted(row["user_id"] for row in rows) == sorted(r.user_id for r in regs), "one e-mail row per event"
        assert all(row["state"] == "sent" for row in rows), rows
        message_ids = {row["user_id"]: row["message_id"] for row in rows}
        events = await self.registered_events()
        for r in regs:
            received = self.sink.to(r.email)
            assert len(received) == 1, f"{r.email} received {len(received)} e-mails"
            [message] = received
            assert message["Message-ID"] == message_ids[r.user_id]
            link = ACTIVATION_LINK.search(text_part(message))
            assert link, text_part(message)
            # The outbox's copy of the token is wiped once published (no secret at rest):
            # the link's token is accounts' own, whose hash accounts keeps.
            assert events[r.user_id]["envelope"]["data"]["activation_token"] == "[wiped]"
            assert link.group(1) in await self.live_link_tokens(r.user_id)
        all_ids = [m["Message-ID"] for m in self.sink.messages]
        assert len(all_ids) == len(set(all_ids)), "a Message-ID arrived twice"
        assert await self.queue_depth("messaging.events.dlq") == 0, "an event was dead-lettered"


@pytest.fixture
async def suite(make_database, tmp_path):
    tag = uuid.uuid4().hex[:8]
    vhost = f"faults_{tag}"

    async def make_vhost() -> None:
        await ctl("add_vhost", vhost)
        await ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")

    accounts_db, messaging_db, _ = await asyncio.gather(
        make_database("faults_accounts"), make_database("faults_messaging"), make_vhost()
    )
    sink = Sink()
    await sink.start()
    secret = secrets.token_urlsafe(32)
    ports = {"accounts": free_port(), "messaging": free_port()}
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "AMQP_URL": AMQP_BASE.rstrip("/") + "/" + quote(vhost, safe=""),
        "EVENTS_EXCHANGE": f"faults.{tag}",
        "IDENTITY_SECRET": secret,
        "OUTBOX_POLL_SECONDS": str(POLL_SECONDS),
        "ACCOUNTS_DATABASE_URL": accounts_db,
        "ACCOUNTS_HTTP_PORT": str(ports["accounts"]),
        "ACCOUNTS_PASSWORD_HASH_PROFILE": "test",
        "MESSAGING_DATABASE_URL": messaging_db,
        "MESSAGING_HTTP_PORT": str(ports["messaging"]),
        "MESSAGING_SMTP_HOST": "127.0.0.1",
        "MESSAGING_SMTP_PORT": str(sink.port),
        "MESSAGING_SMTP_STARTTLS": "off",
        "MESSAGING_SMTP_TIMEOUT_SECONDS": "5",
        "MESSAGING_PUBLIC_URL": "http://portail.test",
        "MESSAGING_MAIL_RETRY_BASE_SECONDS": "0.2",
        "MESSAGING_MAIL_RETRY_MAX_SECONDS": "1",
        "MESSAGING_MAIL_MAX_ATTEMPTS": "100",  # outages here last seconds, retried each second
    }
    s = Suite(
        env=env,
        vhost=vhost,
        accounts=ServiceProcess("accounts", env, ports["accounts"], tmp_path),
        messaging=ServiceProcess("messaging", env, ports["messaging"], tmp_path),
        sink=sink,
        secret=secret,
    )
    try:
        yield s
    finally:
        await asyncio.gather(*(p.kill() for p in s.processes))
        await sink.stop()
        if s.broker_stopped:  # a test failed before starting it again
            await start_broker()
        await ctl("delete_vhost", vhost)


# --- the faults -------------------------------------------------------------------------


async def test_consumer_killed_events_wait_in_the_queue_and_each_email_is_sent_once(suite):
    await suite.start()  # messaging declares its queue, then vanishes
    await suite.messaging.kill()

    regs = await suite.register(3)
    await eventually(lambda: suite.all_published(regs), timeout=10, interval=0.1)
    assert await suite.queue_depth("messaging.events") == 3, "the events wait in messaging's queue"
    assert suite.sink.messages == []

    await suite.start(suite.messaging)
    await suite.assert_each_sent_once(regs)


async def test_producer_killed_after_commit_its_successor_publishes_the_event(suite):
    await suite.start()
    # Fault injection: new outbox rows are due in a minute, so the relay cannot publish the
    # event before the process is killed; once it is dead, the row is made due again.
    await execute(
        suite.accounts_db, "ALTER TABLE outbox ALTER COLUMN next_attempt_at SET DEFAULT now() + interval '1 minute'"
    )
    [reg] = await suite.register(1)
    await suite.accounts.kill()
    events = await suite.registered_events()
    assert events[reg.user_id]["published_at"] is None, "the event was committed and not yet published"
    await execute(suite.accounts_db, "ALTER TABLE outbox ALTER COLUMN next_attempt_at SET DEFAULT now()")
    await execute(suite.accounts_db, "UPDATE outbox SET next_attempt_at = now()")

    await suite.start(suite.accounts)
    await suite.assert_each_sent_once([reg])
    events = await suite.registered_events()
    assert len(events) == 1 and events[reg.user_id]["published_at"] is not None


async def test_broker_restart_the_outbox_keeps_the_events_and_both_services_recover(suite):
    await suite.start()
    try:
        await suite.stop_broker()
        regs = await suite.register(2)  # 201 without a broker: the outbox holds the events
        await asyncio.sleep(2 * POLL_SECONDS)
        events = await suite.registered_events()
        assert all(events[r.user_id]["published_at"] is None for r in regs)
    finally:
        await suite.start_broker()

    await suite.assert_each_sent_once(regs, timeout=45)
    for p in suite.processes:
        await eventually(p.is_ready, timeout=20, interval=0.2)


async def test_ready_says_unavailable_while_the_broker_is_down(suite):
    """README: /ready is 200 when the database and the broker are reachable."""
    await suite.start()

    async def none_ready() -> bool:
        return not any([await p.is_ready() for p in suite.processes])

    try:
        await suite.stop_broker()
        await eventually(none_ready, timeout=3, interval=0.2)
    finally:
        await suite.start_broker()
    for p in suite.processes:
        await eventually(p.is_ready, timeout=20, interval=0.2)


async def test_messaging_database_connections_terminated_it_recovers_and_sends_each_once(suite):
    suite.sink.refuse = True  # the SMTP server answers 451: e-mails stay pending, retried
    await suite.start()
    messaging_database = suite.messaging_db.rsplit("/", 1)[1]

    terminated: set[int] = set()

    async def terminate_messaging_backends() -> None:
        conn = await asyncpg.connect(ADMIN_DSN, server_settings={"application_name": TEST_APP})
        try:
            rows = await conn.fetch(
                "SELECT pid, pg_terminate_backend(pid) AS done FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> $2",
                messaging_database,
                TEST_APP,
            )
        finally:
            await conn.close()
        terminated.update(r["pid"] for r in rows if r["done"])

    # The pool's idle connections and the LISTEN connections die first: the events then
    # reach a consumer whose pool holds dead connections.
    await terminate_messaging_backends()
    regs = await suite.register(3)
    for _ in range(6):  # and again while the events are consumed and the e-mails attempted
        await terminate_messaging_backends()
        await asyncio.sleep(0.3)

    async def all_pending_and_tried() -> bool:
        rows = await suite.email_rows(regs)
        return len(rows) == len(regs) and all(r["state"] == "pending" and r["attempts"] >= 1 for r in rows)

    await eventually(all_pending_and_tried, timeout=20, interval=0.2)
    assert suite.sink.refused >= len(regs)
    for _ in range(3):  # and again while they wait for their next try
        await terminate_messaging_backends()
        await asyncio.sleep(0.3)
    assert terminated, "no connection of messaging was terminated"

    await eventually(suite.messaging.is_ready, timeout=15, interval=0.2)

    async def reconnected() -> bool:  # the pool and the listeners are back, on new backends
        rows = await fetch(
            ADMIN_DSN,
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name <> $2",
            messaging_database,
            TEST_APP,
        )
        return bool(rows) and not {r["pid"] for r in rows} & terminated

    await eventually(reconnected, timeout=10, interval=0.2)
    suite.sink.refuse = False
    await suite.assert_each_sent_once(regs)
    await eventually(suite.messaging.is_ready, timeout=5, interval=0.2)


async def test_smtp_down_the_email_waits_pending_then_is_sent_once(suite):
    await suite.start()
    await suite.sink.stop()
    [reg] = await suite.register(1)

    async def pending_and_tried() -> bool:
        log = await suite.email_log(kind="activation", user_id=reg.user_id)
        return len(log) == 1 and log[0]["state"] == "pending" and log[0]["attempts"] >= 1

    await eventually(pending_and_tried, timeout=20, interval=0.2)
    [entry] = await suite.email_log(kind="activation", user_id=reg.user_id)
    assert entry["last_error"], entry
    assert reg.email not in json.dumps(entry), "the log masks the address"

    await suite.sink.start()  # the same port
    await suite.assert_each_sent_once([reg])
    [entry] = await suite.email_log(kind="activation", user_id=reg.user_id)
    assert entry["state"] == "sent" and entry["sent_at"]
