"""The whole portal as real processes, started once for the system tests that need it."""

from __future__ import annotations

import aiohttp
import pytest
from portal_stack.portal import DEMO_PARENT, stack_fixture
from portal_stack.stack import Parent, smtp_sink


@pytest.fixture(scope="session")
async def stack(make_database, amqp_url, tmp_path_factory):
    """Four services with their demo data and the gateway (``stack.Stack``).

    The gateway's login brake is off: the fuzzing pass logs in far more often than a
    person, and would otherwise mostly meet the gateway's 429 instead of accounts' code.
    """
    async for stack in stack_fixture(
        make_database, amqp_url, tmp_path_factory.mktemp("stack"), GATEWAY_LOGIN_ATTEMPTS_PER_MINUTE="0"
    ):
        yield stack


# --- for the modules that start a stack of their own (``stack`` overridden per module) ----


@pytest.fixture(scope="module")
def sink():
    """An SMTP sink (aiosmtpd) the module's stack delivers to."""
    with smtp_sink() as sink:
        yield sink


@pytest.fixture(scope="module")
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(scope="module")
async def lederf(stack, http) -> Parent:
    """The demo parent, signed in through the module's stack's gateway."""
    return await Parent.login(http, stack.gateway_url, *DEMO_PARENT)
