"""Every service speaking its contract: accounts, planning and billing fakes (the last two
linked into one book-and-pay saga), messaging and the rest echoing (``standins``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestServer

from .fake_accounts import fake_accounts
from .fake_billing import fake_billing, link
from .fake_planning import fake_planning
from .standins import serving, stand_ins


@asynccontextmanager
async def serving_fakes() -> AsyncIterator[dict[str, TestServer]]:
    apps = stand_ins(accounts=fake_accounts(), planning=fake_planning(), billing=fake_billing())
    link(apps["planning"], apps["billing"])
    async with serving(apps) as servers:
        yield servers
