"""The parent's site on the gateway's fakes, for the layout, link and touch-target checks.

A gateway of this process against the in-process stand-ins its own tests use (accounts,
planning and billing linked into one book-and-pay saga, messaging), each held to its
service's OpenAPI document, with a family that has something on every page: a child with
a day booked, history, an unpaid and a paid invoice, a message answered by the town, an
attestation request, a QF proof. Walked for real with Chromium.
"""

from __future__ import annotations

import importlib
import importlib.util
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FAKES_PACKAGE = "gateway_fakes_for_e2e"


def gateway_fakes():
    """gateway/tests as a package of its own name (its fakes use relative imports)."""
    if FAKES_PACKAGE not in sys.modules:
        root = Path(__file__).resolve().parents[2] / "gateway" / "tests"
        spec = importlib.util.spec_from_file_location(
            FAKES_PACKAGE, root / "__init__.py", submodule_search_locations=[str(root)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[FAKES_PACKAGE] = module
        spec.loader.exec_module(module)
    return {
        name: importlib.import_module(f"{FAKES_PACKAGE}.{name}")
        for name in ("fake_accounts", "fake_planning", "fake_billing", "standins")
    }


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = {"telephone": PHONE, "ordinateur": DESKTOP}


@dataclass
class Site:
    url: str
    apps: dict[str, Any]
    fakes: dict[str, Any]
    password: str

    def state(self, service: str, module: str, key: str = "STATE"):
        return self.apps[service][getattr(self.fakes[module], key)]


def _fakes() -> dict[str, Any]:
    fakes = gateway_fakes()
    for name in ("fake_messaging", "fake_billing_invoices"):
        fakes[name] = importlib.import_module(f"{FAKES_PACKAGE}.{name}")
    return fakes


@asynccontextmanager
async def fake_site(*, messaging: bool = True) -> AsyncIterator[Site]:
    """The gateway against the linked fakes; ``messaging=False`` leaves messaging a plain stand-in."""
    from aiohttp.test_utils import TestServer
    from gateway.app import create_app
    from gateway.settings import GatewaySettings

    fakes = _fakes()
    apps = fakes["standins"].stand_ins(
        accounts=fakes["fake_accounts"].fake_accounts(),
        planning=fakes["fake_planning"].fake_planning(),
        billing=fakes["fake_billing"].fake_billing(),
        **({"messaging": fakes["fake_messaging"].fake_messaging()} if messaging else {}),
    )
    fakes["fake_billing"].link(apps["planning"], apps["billing"])
    async with fakes["standins"].serving(apps) as servers:
        urls = {f"{name}_url": str(server.make_url("")).rstrip("/") for name, server in servers.items()}
        settings = GatewaySettings(
            **urls,
            identity_secret=fakes["standins"].IDENTITY_SECRET,
            session_secret=fakes["standins"].SESSION_SECRET,
            environment="test",
        )
        gateway = TestServer(create_app(settings))
        await gateway.start_server()
        try:
            yield Site(str(gateway.make_url("")).rstrip("/"), apps, fakes, fakes["fake_accounts"].PASSWORD)
        finally:
            await gateway.close()


def add_family(site: Site) -> dict[str, Any]:
    """A family with something on every page; returns its username, ids and thread."""
    tag = secrets.token_hex(3)
    accounts = site.state("accounts", "fake_accounts")
    town = site.state("planning", "fake_planning")
    ledger = site.state("billing", "fake_billing")
    invoices = site.state("billing", "fake_billing_invoices", "INVOICES")
    mail = site.state("messaging", "fake_messaging")
    dossier = accounts.add_dossier(tag, "LE DERF")
    user = accounts.add_user(f"lederf{tag}", dossier_id=dossier)
    child = town.add_child(dossier)
    town.reservations.add((child.id, town.activity("Cantine").id, "2026-12-03"))
    ledger.credits[dossier] = 100
    ledger.add_entry(dossier, "payment", "Paiement en ligne PayFiP", 1122, "PF00001234")
    ledger.add_entry(dossier, "credit", "Avoir : annulation du 3 décembre", 374)
    invoices.add(dossier, number="2026-000041", paid=True)
    unpaid = invoices.add(dossier, number="2026-000042", total_cents=1122)
    thread = mail.add_thread(user.id, subject="Allergie d'Arthur")
    mail.staff_reply(thread.id)
    invoices.attestations.append({"dossier": dossier, "doc": {
        "id": secrets.token_hex(4) + "-0000-4000-8000-" + secrets.token_hex(6), "year": 2025, "state": "pending",
        "requested_at": "2026-12-01T10:00:00+00:00", "approved_at": None, "total_cents": 0}})  # fmt: skip
    return {"username": user.username, "dossier": dossier, "child": child.id, "thread": thread.id, "invoice": unpaid}


async def sign_in(page, site: Site, username: str) -> None:
    await page.goto(site.url + "/connexion")
    await page.fill("#f-username", username)
    await page.fill("#f-password", site.password)
    await page.click("form.form button:has-text('Se connecter')")
    await page.wait_for_url(site.url + "/")
