"""Browser tests of the real processes: accounts, messaging (and, for the modules that ask,
planning and billing) and the gateway, with Chromium.

The processes are the console scripts of ``.venv/bin`` on free ports, each service on a
throwaway database, all on a RabbitMQ vhost of their own, e-mails caught by an aiosmtpd
sink: tests/system/stack.py starts them, once per module. A module chooses what runs with
two optional names: ``E2E_SERVICES`` (default accounts and messaging; the gateway always
runs, the services left out are addresses where nothing answers) and ``E2E_DEMO`` (whose
``portail-<name> demo-data`` is loaded first; default accounts: the published terms of use,
the town, the demo family ``lederf``). Chromium is Debian's (``/usr/bin/chromium``), driven
by Playwright; Playwright's own browser downloads are never used.

What these tests need may not exist yet (Chromium on a bare machine, endpoints still being
built): they then skip, saying why. With ``E2E_REQUIRED=1`` (CI, once everything has
landed) the same conditions fail instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from portal_stack.stack import MailSink, Stack, drop_vhost, smtp_sink, start_stack

from .support import unavailable

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
DEFAULT_SERVICES = ("accounts", "messaging")
DEFAULT_DEMO = ("accounts",)


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: browser test of the real processes (skips when its needs are missing)")


# --- e-mail sink ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mail_sink() -> AsyncIterator[MailSink]:
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:  # pragma: no cover - a dev dependency
        unavailable("aiosmtpd is not installed")
    with smtp_sink() as sink:
        yield sink


# --- the processes ----------------------------------------------------------------------


class Suite:
    """What the browser tests use of the running stack."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.gateway_url = stack.gateway_url
        self.identity_secret = stack.identity_secret
        self.logs = stack.logs

    @property
    def accounts_url(self) -> str:
        return self.stack.url("accounts")

    @property
    def messaging_url(self) -> str:
        return self.stack.url("messaging")

    def url(self, service: str) -> str:
        return self.stack.url(service)

    def staff_headers(self, *roles: str) -> dict[str, str]:
        return self.stack.staff_headers(*(roles or ("accounts_staff",)))

    def log_tail(self, name: str, lines: int = 40) -> str:
        return self.stack.log_tail(name, lines)


@pytest.fixture(scope="module")
async def suite(request, make_database, mail_sink, tmp_path_factory) -> AsyncIterator[Suite]:
    services = getattr(request.module, "E2E_SERVICES", DEFAULT_SERVICES)
    demo = getattr(request.module, "E2E_DEMO", DEFAULT_DEMO)
    logs = tmp_path_factory.mktemp("e2e-logs")
    try:
        stack = await start_stack(
            make_database, smtp_port=mail_sink.port, logs=logs, label="e2e", services=services, demo=demo
        )
    except FileNotFoundError as exc:
        unavailable(str(exc))
    try:
        yield Suite(stack)
    finally:
        await stack.stop()
        await drop_vhost(stack)


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
