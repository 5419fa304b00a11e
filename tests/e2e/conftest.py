"""Browser tests of the real processes: accounts, messaging and the gateway, with Chromium.

The processes are the console scripts of ``.venv/bin`` on free ports, each service on a
throwaway database, all on a throwaway RabbitMQ vhost (``servicekit.testing``), e-mails
caught by an aiosmtpd sink. Chromium is Debian's (``/usr/bin/chromium``), driven by
Playwright; Playwright's own browser downloads are never used.

What these tests need may not exist yet (Chromium on a bare machine, accounts or
messaging endpoints still being built): they then skip, saying why. With
``E2E_REQUIRED=1`` (CI, once everything has landed) the same conditions fail instead.
"""

from __future__ import annotations

import asyncio
import email
import os
import secrets
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import pytest
from servicekit.identity import IDENTITY_HEADER, Identity, sign_identity
from servicekit.testing import eventually

from .support import unavailable

BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOWN = "Puiseux-en-France"


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: browser test of the real processes (skips when its needs are missing)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- e-mail sink ------------------------------------------------------------------------


class MailSink:
    """aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        )
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m.get("To", "")).lower()]


@pytest.fixture(scope="module")
def mail_sink() -> AsyncIterator[MailSink]:
    try:
        from aiosmtpd.controller import Controller
    except ImportError:  # pragma: no cover - a dev dependency
        unavailable("aiosmtpd is not installed")
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


# --- the processes ----------------------------------------------------------------------


@dataclass
class Suite:
    gateway_url: str
    accounts_url: str
    messaging_url: str
    identity_secret: str
    logs: Path
    procs: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)

    def staff_headers(self) -> dict[str, str]:
        staff = Identity(user_id=uuid.uuid4(), roles=frozenset({"accounts_staff"}))
        return {IDENTITY_HEADER: sign_identity(staff, self.identity_secret)}

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


async def answers(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as s, s.get(url, timeout=aiohttp.ClientTimeout(total=1)) as r:
            return r.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def run_once(command: list[str], env: dict[str, str], log_path: Path) -> int:
    with log_path.open("ab") as log:
        proc = await asyncio.create_subprocess_exec(*command, env=env, stdout=log, stderr=log)
        return await asyncio.wait_for(proc.wait(), timeout=120)


@pytest.fixture(scope="module")
async def suite(make_database, amqp_url, mail_sink, tmp_path_factory) -> AsyncIterator[Suite]:
    for script in ("portail-accounts", "portail-messaging", "portail-gateway"):
        if not (BIN / script).exists():
            unavailable(f"{BIN / script} is missing (run `uv sync`)")
    logs = tmp_path_factory.mktemp("e2e-logs")
    ports = {name: free_port() for name in ("accounts", "messaging", "gateway")}
    identity_secret = secrets.token_urlsafe(32)
    gateway_url = f"http://127.0.0.1:{ports['gateway']}"
    nowhere = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "AMQP_URL": amqp_url,
        "IDENTITY_SECRET": identity_secret,
        "OUTBOX_POLL_SECONDS": "0.5",
        "ACCOUNTS_DATABASE_URL": await make_database("e2e_accounts"),
        "ACCOUNTS_HTTP_PORT": str(ports["accounts"]),
        "ACCOUNTS_PASSWORD_HASH_PROFILE": "test",
        "MESSAGING_DATABASE_URL": await make_database("e2e_messaging"),
        "MESSAGING_HTTP_PORT": str(ports["messaging"]),
        "MESSAGING_SMTP_HOST": "127.0.0.1",
        "MESSAGING_SMTP_PORT": str(mail_sink.port),
        "MESSAGING_PUBLIC_URL": gateway_url,
        "GATEWAY_HTTP_PORT": str(ports["gateway"]),
        "GATEWAY_ACCOUNTS_URL": f"http://127.0.0.1:{ports['accounts']}",
        "GATEWAY_MESSAGING_URL": f"http://127.0.0.1:{ports['messaging']}",
        # Not started here: nothing in these journeys calls them.
        "GATEWAY_PLANNING_URL": nowhere,
        "GATEWAY_BILLING_URL": nowhere,
        "GATEWAY_SESSION_SECRET": secrets.token_urlsafe(32),
        "GATEWAY_TOWN_NAME": TOWN,
    }
    suite = Suite(
        gateway_url=gateway_url,
        accounts_url=env["GATEWAY_ACCOUNTS_URL"],
        messaging_url=env["GATEWAY_MESSAGING_URL"],
        identity_secret=identity_secret,
        logs=logs,
    )
    # The demonstration data brings the published terms of use (and the town).
    code = await run_once([str(BIN / "portail-accounts"), "demo-data"], env, logs / "accounts-demo.log")
    assert code == 0, "portail-accounts demo-data failed:\n" + suite.log_tail("accounts-demo")
    for name in ("accounts", "messaging", "gateway"):
        log = (logs / f"{name}.log").open("wb")
        suite.procs[name] = await asyncio.create_subprocess_exec(
            str(BIN / f"portail-{name}"), "serve", env=env, stdout=log, stderr=log
        )
    try:
        for name, probe in (
            ("accounts", f"{suite.accounts_url}/ready"),
            ("messaging", f"{suite.messaging_url}/ready"),
            ("gateway", f"{gateway_url}/health"),
        ):
            try:
                await eventually(lambda probe=probe: answers(probe), timeout=45)
            except AssertionError:
                raise AssertionError(f"{name} did not start:\n{suite.log_tail(name)}") from None
        yield suite
    finally:
        for proc in suite.procs.values():
            if proc.returncode is None:
                proc.terminate()
        for proc in suite.procs.values():
            try:
                await asyncio.wait_for(proc.wait(), timeout=15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


# --- Chromium ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def chromium():
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is absent (apt-get install -y chromium)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        unavailable("the playwright package is not installed (uv sync)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def page(chromium):
    context = await chromium.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = await context.new_page()
    yield page
    await context.close()
