"""The demo data, loaded through the use cases: twice is once, never in production."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from billing import demo

TODAY = date(2026, 12, 6)


async def test_the_demo_family_has_prices_a_qf_a_payment_and_a_credit(harness):
    await demo.load(harness.db, harness.settings, today=TODAY)
    counts = [
        await harness.count(t)
        for t in ("payments", "ledger_entries", "credits", "tariff_grids", "qf_values", "invoices")
    ]
    await demo.load(harness.db, harness.settings, today=TODAY)
    assert [
        await harness.count(t)
        for t in ("payments", "ledger_entries", "credits", "tariff_grids", "qf_values", "invoices")
    ] == counts

    cantine = demo.demo_activity_id("2026/2027", "cantine")
    assert cantine == uuid.uuid5(uuid.NAMESPACE_URL, "https://portail-famille.fr/demo/activity/2026/2027/cantine")
    _, grid = await harness.get(f"/api/billing/admin/tariffs/{cantine}", headers=harness.staff_headers(), expect=200)
    assert [(b["qf_max"], b["unit_price_cents"]) for b in grid["brackets"]] == [(600, 150), (1200, 280), (None, 374)]
    parent = harness.headers(demo.ARTHUR_ID, dossier_id=demo.DOSSIER_ID)
    _, history = await harness.get("/api/billing/history", headers=parent, expect=200)
    assert [e["kind"] for e in history["entries"]] == ["invoice", "credit", "payment"]
    assert [e["amount_cents"] for e in history["entries"]] == [560, 280, 560]  # QF 850: 2,80 € a day
    _, listing = await harness.get("/api/billing/invoices", headers=parent, expect=200)
    (october,) = listing["invoices"]
    assert october["period"] == "octobre 2026" and october["status"] == "unpaid"
    _, account = await harness.get("/api/billing/account", headers=parent, expect=200)
    assert account["credit_cents"] == 280


async def test_the_demo_refuses_production(harness):
    with pytest.raises(RuntimeError):
        await demo.load(harness.db, harness.settings.model_copy(update={"environment": "production"}))
