"""Migrations apply once, even when several replicas start at the same moment."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import asyncpg
from servicekit.db import apply_migrations


async def test_concurrent_start_applies_each_migration_once(make_database):
    dsn = await make_database("migrations")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "0001_counter.sql").write_text(
            "-- depends: 0000_servicekit_outbox_inbox\nCREATE TABLE counter (n int);\nINSERT INTO counter VALUES (1);\n"
        )
        results = await asyncio.gather(*(asyncio.to_thread(apply_migrations, dsn, tmp) for _ in range(4)))
        applied = sorted(mid for r in results for mid in r)
        assert applied == [
            "0000_servicekit_outbox_inbox",
            "0001_counter",
            "0001_servicekit_idempotency",
            "0002_servicekit_outbox_retention",
        ]
        # Running again is a no-op.
        assert apply_migrations(dsn, tmp) == []
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM counter") == 1
    finally:
        await conn.close()
