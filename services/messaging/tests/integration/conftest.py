"""The messaging service on real PostgreSQL, RabbitMQ and SMTP (an aiosmtpd sink).

One service per test module (its own database and events exchange) and one SMTP sink for
the run: tests use fresh user ids so they do not see each other's threads, and look
e-mails up by recipient or Message-ID. Events are published on the broker as their
producers publish them: built from the producer's event class (``accounts.events``...), or
given as data that is checked against the producer's committed JSON Schema (docs/events/),
so that a test cannot feed messaging an event its producer would never send. Identities are
signed as the gateway signs them.

The service's queue is named ``messaging.events`` whatever the exchange, in the session's
vhost that other test folders share: it is removed when a module is done, so that a
messaging service started elsewhere (tests/system) declares it afresh.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import logging
import re
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

import asyncpg
import jsonschema
import pytest
from accounts import events as accounts_events
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller
from messaging import demo
from messaging.app import SPEC, MessagingSettings
from servicekit.bus import Bus
from servicekit.catalogue import CATALOGUE_DIR, find_root, producer_schema, producers
from servicekit.db import create_pool
from servicekit.events import Envelope, IntegrationEvent, make_envelope
from servicekit.identity import IDENTITY_HEADER, Identity, sign_identity
from servicekit.service import create_service_app
from servicekit.testing import IDENTITY_SECRET, eventually

PUBLIC_URL = "http://portail.test"
ROOT = find_root()


def checked_envelope(event: IntegrationEvent | str, data: dict | None = None) -> Envelope:
    """An envelope as the producer makes it: from its event class, or from data its schema accepts.

    A producer not registered yet (planning and billing while their events.py is being
    written) has no schema: its data follows docs/saga.md's field lists, and is checked
    here as soon as the producer's schema is committed.
    """
    if isinstance(event, IntegrationEvent):
        return make_envelope(event, source=event.type.split(".")[0])
    producer = event.split(".")[0]
    if (ROOT / CATALOGUE_DIR / f"{event}.v1.json").is_file():
        schema = producer_schema(event, 1, ROOT)
        jsonschema.validate(data, schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    else:
        assert producer not in producers(ROOT), f"{producer} publishes no {event}: see docs/events.md"
    return raw_envelope(event, data)


def raw_envelope(event_type: str, data: dict) -> Envelope:
    """The envelope of data as given (checked or deliberately off contract by the caller)."""
    return Envelope(
        id=uuid.uuid4(),
        type=event_type,
        version=1,
        occurred_at=datetime.now(UTC),
        source=event_type.split(".")[0],
        data=data,
    )


@dataclass
class Received:
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content().replace("\r\n", "\n")

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content().replace("\r\n", "\n")

    def link(self, path: str) -> tuple[str, dict[str, list[str]]]:
        """The first link to ``path`` in the text part, parsed: (url, query)."""
        for url in re.findall(r"https?://\S+", self.text):
            parts = urlsplit(url)
            if parts.path == path:
                return url, parse_qs(parts.query)
        raise AssertionError(f"no link to {path} in the e-mail")


class SinkHandler:
    """Accepts everything, except addresses told to bounce (550) or to wait (451)."""

    def __init__(self):
        self.received: list[Received] = []
        self.bounce: set[str] = set()
        self.greylist: dict[str, int] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        if key in self.bounce:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        with self.lock:
            if self.greylist.get(key, 0) > 0:
                self.greylist[key] -= 1
                return "451 4.7.1 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.rcpt_tos]

    def with_id(self, message_id: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.message_id == message_id]


class SmtpSink:
    def __init__(self, port: int):
        self.port = port
        self.handler = SinkHandler()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Harness:
    client: TestClient
    db: asyncpg.Pool
    bus: Bus
    sink: SmtpSink
    settings: MessagingSettings
    themes: dict[str, uuid.UUID] = field(default_factory=dict)

    @property
    def mail(self) -> SinkHandler:
        return self.sink.handler

    async def publish(
        self, event: IntegrationEvent | str, data: dict | None = None, *, envelope: Envelope | None = None
    ) -> Envelope:
        """Publish an event object, or (type, data) checked against the producer's schema;
        ``envelope=`` redelivers one already published (same id)."""
        envelope = envelope or checked_envelope(event, data)
        await self.bus.publish(envelope)
        return envelope

    async def publish_off_contract(self, event_type: str, data: dict) -> Envelope:
        """An event its producer's schema refuses: what a buggy producer could send."""
        schema = producer_schema(event_type, 1, ROOT)
        assert not jsonschema.Draft202012Validator(schema).is_valid(data), "this one is on contract: use publish()"
        envelope = raw_envelope(event_type, data)
        await self.bus.publish(envelope)
        return envelope

    async def count(self, table: str, where: str = "true", *args) -> int:
        return await self.db.fetchval(f"SELECT count(*) FROM {table} WHERE {where}", *args)

    async def wait_for_mail(self, address: str, n: int = 1, timeout: float = 10) -> list[Received]:
        async def arrived():
            return len(self.mail.to(address)) >= n

        await eventually(arrived, timeout=timeout)
        return self.mail.to(address)

    # identities, as the gateway signs them
    headers = staticmethod(lambda user_id, *roles, dossier_id=None: headers(user_id, *roles, dossier_id=dossier_id))
    staff = staticmethod(lambda *roles: staff(*roles))
    unique_address = staticmethod(lambda label="parent": unique_address(label))
    registered_event = staticmethod(lambda address, **overrides: registered_event(address, **overrides))

    async def make_parent(self, *, with_dossier: bool = True) -> Parent:
        return await make_parent(self, with_dossier=with_dossier)

    async def start_thread(self, parent: Parent, theme: str = "scolaire", **fields) -> dict:
        body = {
            "theme_id": str(self.themes[theme]),
            "subject": "Allergie",
            "body": "Mon fils est allergique.",
            "email_copy": False,
        }
        body.update(fields)
        response = await self.client.post("/api/messaging/threads", json=body, headers=parent.headers)
        assert response.status == 201, await response.text()
        return await response.json()


def headers(user_id: uuid.UUID, *roles: str, dossier_id: uuid.UUID | None = None) -> dict[str, str]:
    token = sign_identity(Identity(user_id=user_id, roles=frozenset(roles), dossier_id=dossier_id), IDENTITY_SECRET)
    return {IDENTITY_HEADER: token}


@dataclass(frozen=True)
class Parent:
    user_id: uuid.UUID
    dossier_id: uuid.UUID | None
    email: str

    @property
    def headers(self) -> dict[str, str]:
        return headers(self.user_id, dossier_id=self.dossier_id)


def staff(*roles: str) -> dict[str, str]:
    return headers(uuid.uuid4(), *roles)


def unique_address(label: str = "parent") -> str:
    return f"{label}.{uuid.uuid4().hex[:10]}@example.org"


@pytest.fixture(scope="session")
def smtp_sink():
    # aiosmtpd narrates every SMTP command at INFO, from its own thread, even after
    # pytest has closed the captured streams.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = SmtpSink(free_port())
    sink.start()
    yield sink
    sink.stop()


async def drop_service_queues(bus: Bus) -> None:
    for name in ("messaging.events", "messaging.events.dlq"):
        with contextlib.suppress(Exception):
            channel = await bus.connection.channel()
            await channel.queue_delete(name)
            await channel.close()


@pytest.fixture(scope="module")
async def harness(make_database, amqp_url, smtp_sink):
    exchange = f"test.messaging.{uuid.uuid4().hex[:8]}"
    publisher = Bus(amqp_url, exchange, "accounts-test")
    await publisher.connect()
    await drop_service_queues(publisher)  # left behind by an interrupted run
    dsn = await make_database("messaging")
    settings = MessagingSettings(
        database_url=dsn,
        amqp_url=amqp_url,
        events_exchange=exchange,
        environment="test",
        smtp_host="127.0.0.1",
        smtp_port=smtp_sink.port,
        smtp_timeout_seconds=5,
        outbox_poll_seconds=0.2,
        metrics_port=0,  # the scraper's port is not what these tests are about
        mail_retry_base_seconds=0.3,
        mail_retry_max_seconds=1.0,
        public_url=PUBLIC_URL,
        mail_from="Portail Famille <ne-pas-repondre@ville.test>",
    )
    app = create_service_app(SPEC, settings)
    client = TestClient(TestServer(app))
    await client.start_server()
    db = await create_pool(dsn, min_size=1, max_size=4)
    await demo.load(db, settings)
    themes = {r["code"]: r["id"] for r in await db.fetch("SELECT code, id FROM themes")}
    yield Harness(client=client, db=db, bus=publisher, sink=smtp_sink, settings=settings, themes=themes)
    await client.close()
    await drop_service_queues(publisher)
    with contextlib.suppress(Exception):
        await publisher.channel.exchange_delete(exchange)
    await publisher.close()
    await db.close()


@pytest.fixture
async def parent(harness: Harness) -> Parent:
    """An active parent with a dossier, known to messaging through accounts' events."""
    return await make_parent(harness)


async def make_parent(harness: Harness, *, with_dossier: bool = True) -> Parent:
    user_id, dossier_id = uuid.uuid4(), (uuid.uuid4() if with_dossier else None)
    address = unique_address()
    await harness.publish(
        accounts_events.UserActivated(
            user_id=user_id,
            username="parent" + user_id.hex[:6],
            email=address,
            first_name="Arnaud",
            last_name="Le Derf",
            dossier_id=dossier_id,
        )
    )

    async def known():
        return await harness.count("contacts", "user_id = $1 AND status = 'active'", user_id) == 1

    await eventually(known)
    return Parent(user_id, dossier_id, address)


def registered_event(address: str, **overrides) -> dict:
    now = datetime.now(UTC)
    data = {
        "user_id": str(uuid.uuid4()),
        "username": "lederf",
        "email": address,
        "first_name": "Arnaud",
        "last_name": "Le Derf",
        "dossier_number": "404",
        "activation_token": "act-" + uuid.uuid4().hex,
        "expires_at": (now + timedelta(hours=24)).isoformat(),
    }
    data.update(overrides)
    return data
