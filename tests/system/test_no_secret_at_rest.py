"""No secret at rest (issue 11, point 5): once its e-mail is sent, a reset link's raw token
is in no column of any table of accounts' or messaging's database.

The real processes (``portail-accounts serve``, ``portail-messaging serve``) on throwaway
databases, a vhost of their own and an SMTP sink: the suite of ``test_faults``.
"""

from __future__ import annotations

import re

import aiohttp
import pytest
from servicekit.testing import eventually

from .test_faults import PASSWORD, Suite, fetch, suite, text_part  # noqa: F401  (suite is a fixture)

pytestmark = pytest.mark.timeout(60)

RESET_LINK = re.compile(r"/mot-de-passe/nouveau\?token=([A-Za-z0-9_-]+)")
ACTIVATION_LINK = re.compile(r"/activation\?token=([A-Za-z0-9_-]+)")


async def columns_holding(dsn: str, needle: str) -> list[str]:
    """``table.column`` of every text-like or JSON column of every table whose value holds ``needle``."""
    columns = await fetch(
        dsn,
        """
        SELECT table_schema, table_name, column_name FROM information_schema.columns
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
          AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY', 'USER-DEFINED')
        """,
    )
    found = []
    for c in columns:
        table = f'"{c["table_schema"]}"."{c["table_name"]}"'
        column = f'"{c["column_name"]}"'
        hits = await fetch(dsn, f"SELECT 1 FROM {table} WHERE {column}::text LIKE $1 LIMIT 1", f"%{needle}%")
        if hits:
            found.append(f"{c['table_name']}.{c['column_name']}")
    return found


async def test_a_reset_links_token_is_nowhere_at_rest_once_its_email_is_sent(suite: Suite):  # noqa: F811
    await suite.start()
    [reg] = await suite.register(1)
    await eventually(lambda: _true(bool(suite.sink.to(reg.email))), timeout=20, interval=0.1)
    activation = ACTIVATION_LINK.search(text_part(suite.sink.to(reg.email)[0])).group(1)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        async with http.post(f"{suite.accounts.url}/api/accounts/activations", json={"token": activation}) as r:
            assert r.status == 200, await r.text()
        async with http.post(f"{suite.accounts.url}/api/accounts/password-resets", json={"email": reg.email}) as r:
            assert r.status == 202, await r.text()

    def reset_mails():
        return [m for m in suite.sink.to(reg.email) if RESET_LINK.search(text_part(m))]

    await eventually(lambda: _true(bool(reset_mails())), timeout=20, interval=0.1)
    token = RESET_LINK.search(text_part(reset_mails()[0])).group(1)

    async def settled() -> bool:
        pending = await fetch(
            suite.messaging_db, "SELECT 1 FROM emails WHERE user_id = $1::uuid AND state <> 'sent'", reg.user_id
        )
        unpublished = await fetch(suite.accounts_db, "SELECT 1 FROM outbox WHERE published_at IS NULL")
        return not pending and not unpublished

    await eventually(settled, timeout=20, interval=0.1)
    for dsn in (suite.accounts_db, suite.messaging_db):
        assert await columns_holding(dsn, token) == [], "the reset token is stored somewhere"
        assert await columns_holding(dsn, activation) == [], "the activation token is stored somewhere"
    # the link still works: the token lived only in the e-mail
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        body = {"token": token, "new_password": PASSWORD + " renouvelée"}
        async with http.post(f"{suite.accounts.url}/api/accounts/password-resets/confirm", json=body) as r:
            assert r.status == 200, await r.text()


async def _true(value: bool) -> bool:
    return value
