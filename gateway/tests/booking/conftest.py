"""Fixtures of the « Planning » and « Facturation » pages: accounts, planning and billing
speaking their contracts (``fake_accounts``, ``fake_planning``, ``fake_billing``, linked
into one book-and-pay saga), and a signed-in parent whose dossier has a child, Arthur.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from ..browser import Browser
from ..fake_billing import STATE as BILLING_STATE
from ..fake_billing import State as BillingState
from ..fake_planning import STATE as PLANNING_STATE
from ..fake_planning import State as PlanningState
from ..portal_fakes import serving_fakes


@pytest.fixture
async def services() -> AsyncIterator[dict[str, TestServer]]:
    """As conftest's, with planning and billing speaking docs/saga.md instead of echoing."""
    async with serving_fakes() as servers:
        yield servers


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
