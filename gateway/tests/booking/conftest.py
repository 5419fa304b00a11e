"""Fixtures of the « Planning » and « Facturation » pages: accounts, planning and billing
speaking their contracts (``fake_accounts``, ``fake_planning``, ``fake_billing``, linked
into one book-and-pay saga), and a signed-in parent whose dossier has a child, Arthur.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer
from gateway.settings import SERVICES

from ..browser import Browser
from ..fake_accounts import fake_accounts
from ..fake_billing import STATE as BILLING_STATE
from ..fake_billing import State as BillingState
from ..fake_billing import fake_billing, link
from ..fake_planning import STATE as PLANNING_STATE
from ..fake_planning import State as PlanningState
from ..fake_planning import fake_planning
from ..standins import stand_in_service


@pytest.fixture
async def services() -> AsyncIterator[dict[str, TestServer]]:
    """As conftest's, with planning and billing speaking docs/saga.md instead of echoing."""
    factories = {"accounts": fake_accounts, "planning": fake_planning, "billing": fake_billing}
    apps = {name: factories.get(name, lambda n=name: stand_in_service(n))() for name in SERVICES}
    link(apps["planning"], apps["billing"])
    servers = {name: TestServer(app) for name, app in apps.items()}
    for server in servers.values():
        await server.start_server()
    yield servers
    for server in servers.values():
        await server.close()


@pytest.fixture
def town(services) -> PlanningState:
    """The stand-in planning's state: activities, children, bookings, baskets."""
    return services["planning"].app[PLANNING_STATE]


@pytest.fixture
def ledger(services) -> BillingState:
    """The stand-in billing's state: credits, history, payments, the Treasury's operations."""
    return services["billing"].app[BILLING_STATE]


@pytest.fixture
async def parent(browser, accounts, town) -> Browser:
    dossier = accounts.add_dossier("404", "LE DERF")
    browser.user = accounts.add_user("lederf", dossier_id=dossier)
    browser.dossier = dossier
    browser.child = town.add_child(dossier)
    await browser.login()
    return browser
