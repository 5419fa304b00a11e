"""The one line a service prints when it cannot start says what is actually wrong."""

from __future__ import annotations

import errno

import asyncpg
from servicekit.service import unreachable_hint
from servicekit.settings import ServiceSettings


def test_a_busy_port_is_named_as_such_not_as_a_database_problem():
    settings = ServiceSettings(http_port=8181)
    hint = unreachable_hint(OSError(errno.EADDRINUSE, "address already in use"), "accounts", settings)
    assert "8181" in hint and "ACCOUNTS_HTTP_PORT" in hint
    assert "PostgreSQL" not in hint


def test_a_refused_connection_still_points_at_postgresql():
    hint = unreachable_hint(OSError(errno.ECONNREFUSED, "connection refused"), "billing")
    assert "PostgreSQL is unreachable" in hint and "BILLING_DATABASE_URL" in hint


def test_a_missing_database_says_how_to_create_it():
    hint = unreachable_hint(asyncpg.InvalidCatalogNameError("no such database"), "planning")
    assert "portail-planning migrate" in hint
