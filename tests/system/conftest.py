"""The whole portal as real processes, started once for the system tests that need it."""

from __future__ import annotations

import pytest
from portal_stack.portal import stack_fixture


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
