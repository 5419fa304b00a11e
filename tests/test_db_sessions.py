"""Pooled connections carry no session state from one request to the next.

servicekit's pools give a connection back without asyncpg's reset query (servicekit.db
``_no_session_state``: one round trip fewer per request); asyncpg still rolls back a
transaction left open. That is only right while no code leaves session state on a pooled
connection. This test reads every service's, the gateway's and servicekit's sources and
fails on what would: session-level advisory locks, ``SET`` without ``LOCAL``,
``set_config(…, false)``, ``LISTEN`` or listeners outside servicekit.worker (which has its own
connection), cursors ``WITH HOLD``, server-side ``PREPARE``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from servicekit.db import create_pool

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*ROOT.glob("services/*/src/**/*.py"), *ROOT.glob("gateway/src/**/*.py"), *ROOT.glob("libs/*/src/**/*.py")]
# servicekit.worker listens on a connection of its own, never a pooled one.
OWN_CONNECTION = {ROOT / "libs/servicekit/src/servicekit/worker.py"}

SESSION_STATE = {
    "session-level advisory lock": re.compile(r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.I),
    "SET without LOCAL": re.compile(r"""["']\s*SET\s+(?!LOCAL\b)(SESSION\s+)?[a-z_.]+\s*(=|TO\b)""", re.I),
    "set_config for the session": re.compile(r"set_config\s*\([^)]*,\s*false\s*\)", re.I),
    "LISTEN": re.compile(r"""["']\s*LISTEN\s""", re.I),
    "listener": re.compile(r"\.add_listener\s*\("),
    "cursor WITH HOLD": re.compile(r"WITH\s+HOLD", re.I),
    "server-side PREPARE": re.compile(r"""["']\s*PREPARE\s""", re.I),
}


def test_the_sources_are_read():
    assert len(SOURCES) > 100 and all(p.exists() for p in OWN_CONNECTION)


@pytest.mark.parametrize("kind", sorted(SESSION_STATE))
def test_no_code_leaves_session_state_on_a_pooled_connection(kind):
    pattern = SESSION_STATE[kind]
    found = [f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}"
             for path in SOURCES if path not in OWN_CONNECTION
             for text in [path.read_text(encoding="utf-8")] for m in pattern.finditer(text)]  # fmt: skip
    assert not found, f"{kind} on a pooled connection (servicekit.db does not reset sessions): {found}"


@pytest.mark.parametrize(
    "sql",
    ["SELECT pg_advisory_lock(1)", "SET statement_timeout = 5", "set search_path to x", "LISTEN outbox",
     "SELECT set_config('a.b', 'c', false)", "DECLARE c CURSOR WITH HOLD FOR SELECT 1", "PREPARE p AS SELECT 1"],
)  # fmt: skip
def test_each_pattern_catches_what_it_names(sql):
    assert any(p.search(f'"{sql}"') for p in SESSION_STATE.values())


@pytest.mark.parametrize("sql", ["UPDATE t SET a = 1", "SET LOCAL lock_timeout = '1s'", "pg_advisory_xact_lock(1)"])
def test_what_leaves_nothing_behind_is_not_caught(sql):
    assert not any(p.search(f'"{sql}"') for p in SESSION_STATE.values())


async def test_a_transaction_left_open_is_rolled_back_when_the_connection_goes_back(make_database):
    pool = await create_pool(await make_database("sessions"), min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("BEGIN")  # not managed: asyncpg rolls it back at release
            await conn.execute("CREATE TEMP TABLE left_open (x int)")
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
            assert await conn.fetchval("SELECT '{\"a\": 1}'::jsonb") == {"a": 1}  # the pool's init still holds
    finally:
        await pool.close()
