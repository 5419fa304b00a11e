"""PostgreSQL: the asyncpg pool and versioned SQL migrations (yoyo-migrations).

yoyo was chosen because it applies plain, reviewable ``.sql`` files, records what ran in
the database itself, and takes a lock table so that several replicas starting together
apply each migration once. Migrations of the shared plumbing (outbox, inbox) ship with this
package and run before a service's own.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import asyncpg
import structlog

log = structlog.get_logger(__name__)

PLUMBING_MIGRATIONS = resources.files("servicekit") / "migrations"


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(typ, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _no_session_state(conn: asyncpg.Connection) -> None:
    """What the pool runs on a connection given back, after asyncpg's own ``_reset`` (which
    rolls back a transaction left open and drops listeners): nothing more. asyncpg's default
    would send ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` — one
    more round trip per request (a fifth of planning's CPU for a grid) to undo session state
    the services never set on pooled connections: advisory locks are transaction-level
    (``pg_advisory_xact_lock``), settings ``SET LOCAL``, cursors live inside transactions and
    ``LISTEN`` has its own connection (servicekit.worker). ``tests/test_db_sessions.py`` reads
    the sources and fails on anything that would leave such state on a pooled connection."""


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_no_session_state,
        command_timeout=30,
    )


@asynccontextmanager
async def pool_context(dsn: str, **kwargs) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(dsn, **kwargs)
    try:
        yield pool
    finally:
        await pool.close()


def _yoyo_url(dsn: str) -> str:
    scheme, sep, rest = dsn.partition("://")
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return dsn


def apply_migrations(dsn: str, migrations_dir: str | Path) -> list[str]:
    """Apply the plumbing's and the service's pending migrations; return their ids.

    Synchronous (yoyo drives psycopg); call it from a thread in async code.
    """
    import psycopg
    from yoyo import get_backend, read_migrations

    try:
        backend = get_backend(_yoyo_url(dsn))
    except psycopg.OperationalError as exc:
        # Said without the URL, which may hold a password.
        raise ConnectionError("cannot connect to the database to migrate it") from exc
    try:
        migrations = read_migrations(str(PLUMBING_MIGRATIONS), str(migrations_dir))
        with backend.lock(timeout=120):
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        return [m.id for m in pending]
    finally:
        backend.connection.close()


async def migrate(dsn: str, migrations_dir: str | Path) -> list[str]:
    applied = await asyncio.to_thread(apply_migrations, dsn, migrations_dir)
    log.info("migrations_applied", count=len(applied), ids=applied)
    return applied


async def ensure_database(dsn: str) -> bool:
    """Create the database named in ``dsn`` if it does not exist (development and tests).

    Returns True when it was created. In production the databases are made by ops.
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    conn = await asyncpg.connect(admin)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{_ident(name)}"')
        except asyncpg.DuplicateDatabaseError:
            return False
        return True
    finally:
        await conn.close()


async def drop_database(dsn: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    name = parts.path.lstrip("/")
    conn = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_ident(name)}" WITH (FORCE)')
    finally:
        await conn.close()


def _ident(name: str) -> str:
    if not name or not all(c.isalnum() or c == "_" for c in name):
        raise ValueError("database names are letters, digits and underscores only")
    return name
