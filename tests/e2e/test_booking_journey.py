"""Booking and paying, end to end, through the five real processes and Chromium.

The demo family (``lederf``, dossier 404, Arthur): log in → « Planning » → next month (its
deadlines are open; a later one when next month is mostly holidays) → « Modifier » → two canteen days ticked → « Valider » → « Les
modifications ont été validées » and « Coût de la période » at billing's price → « Terminer
les modifications » → « Validation des modifications » → « Payer » → « Trésor public
(simulation) » → « Payer » → « Paiement accepté » → the month shows the days booked; the
receipt and the booking confirmation reach the family once each. And the refusal: « Refuser »
at the Treasury → « Paiement refusé », the days not booked, their places free again.

Amounts are never constants of the test: billing's quote comes from the API (the basket
planning prices at billing), checked against billing's own tariff grid and the family's
QF read from billing's staff API. Screenshots at 390×844 go to tests/e2e/artifacts/.
"""

from __future__ import annotations

import os
import re
from datetime import date

import aiohttp
import pytest
from portal_stack.stack import Parent, days_in_state, month_with_bookable_days, saga_mails
from servicekit.testing import eventually

from .support import artifact

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

E2E_SERVICES = ("accounts", "messaging", "planning", "billing")
E2E_DEMO = E2E_SERVICES
DEMO_PARENT = ("lederf", "Portail-Famille-404")
DEMO_EMAIL = "arnaud.lederf@example.org"


@pytest.fixture(scope="module")
async def api(suite):
    """The same parent through the API (its own session): what planning and billing say."""
    async with aiohttp.ClientSession() as http:
        yield await Parent.login(http, suite.gateway_url, *DEMO_PARENT)


@pytest.fixture(scope="module")
async def family(suite, api) -> dict:
    child, canteen = await api.child_and_activity("Cantine")
    dossier_id = (await api.get("/api/accounts/me"))["dossier"]["id"]
    # Two days paid, then two others refused: four bookable days (next month, usually).
    month = await month_with_bookable_days(suite.stack, api, child, canteen, 4)
    return {"child": child, "canteen": canteen, "dossier_id": dossier_id, "month": month}


@pytest.fixture
async def empty_basket(api):
    status, body = await api.call("DELETE", "/api/planning/basket")
    assert status in (204, 404), body


async def main_text(page) -> str:
    """The page's main text, its non-breaking spaces (« 5,60 € », « : ») made plain."""
    return " ".join((await page.inner_text("main")).replace("\u00a0", " ").replace("\u202f", " ").split())


def plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


async def shot(page, name: str) -> None:
    """``name`` prefixed with the running test's own (the two journeys share steps)."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split(" ")[0].removeprefix("test_")
    await page.screenshot(path=str(artifact(f"{test}-{name}-390x844.png")), full_page=True)


async def unit_price_at_billing(suite, http: aiohttp.ClientSession, family: dict, day: str) -> int:
    """The canteen's price of ``day`` for this family from billing's staff API: the bracket
    of the QF validated for that day, else the default (highest) bracket."""
    headers = suite.staff_headers("billing_staff")
    base = suite.url("billing") + "/api/billing/admin"
    async with http.get(f"{base}/tariffs/{family['canteen']}", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        brackets = (await resp.json())["brackets"]
    async with http.get(f"{base}/dossiers/{family['dossier_id']}/qf", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        qfs = (await resp.json())["qfs"]
    when = date.fromisoformat(day)
    qf = next(
        (q["value"] for q in qfs if q["state"] == "validated" and q["valid_from"] <= str(when) <= q["valid_to"]),
        None,
    )
    for bracket in brackets:
        if qf is not None and bracket["qf_max"] is not None and bracket["qf_min"] <= qf <= bracket["qf_max"]:
            return bracket["unit_price_cents"]
    return next(b["unit_price_cents"] for b in brackets if b["qf_max"] is None)


async def sign_in_and_open_the_month(page, suite, family: dict) -> str:
    """Log in, « Planning », then the test's month (next month, usually) by its arrow; its URL."""
    base = suite.gateway_url
    await page.goto(base + "/connexion")
    await page.fill("#f-username", DEMO_PARENT[0])
    await page.fill("#f-password", DEMO_PARENT[1])
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + "/")
    await page.click("nav.main-nav >> text=Planning")
    # One child: « Planning » opens this month straight away.
    await page.wait_for_url(re.compile(rf".*/planning/{family['child']}/\d{{4}}-\d{{2}}$"))
    await shot(page, "01-mois-courant")
    month_url = f"{base}/planning/{family['child']}/{family['month']}"
    while page.url != month_url:  # the month's arrow, as often as needed (once, usually)
        await page.click("a[rel=next]")
        await page.wait_for_load_state()
    assert "Arthur" in await main_text(page)
    return month_url


async def tick_and_validate(page, month_url: str, family: dict, days: list[str]) -> str:
    """« Modifier » → tick ``days`` → « Valider »; the month's text after it."""
    await page.click("a.button:has-text('Modifier')")
    await page.wait_for_url(month_url + "/modifier")
    for day in days:
        await page.check(f"input[name='{family['canteen']}'][value='{day}']")
    await shot(page, "02-modifier")
    await page.click("button:has-text('Valider')")
    await page.wait_for_selector(".period-cost")
    await shot(page, "03-valide")
    return await main_text(page)


async def to_the_treasury(page, basket: dict, days: list[str]) -> str:
    """« Terminer les modifications » → the basket → « Payer » → the Treasury's text."""
    await page.click("a:has-text('Terminer les modifications')")
    await page.wait_for_selector("h1:has-text('Validation des modifications')")
    text = await main_text(page)
    assert "Récapitulatif de votre saisie" in text and "Paiement immédiat" in text
    assert f"A payer : {plain(basket['to_pay'])}" in text
    assert "Les réservations ne seront pas prises en compte si le règlement n'est pas effectué." in text
    rows = await page.locator("table.basket-table tbody tr").all_inner_texts()
    assert len(rows) == len(days) and all("Cantine" in row and "à l'unité" in row for row in rows)
    await shot(page, "04-validation-des-modifications")
    await page.click("form[action='/planning/panier/payer'] button:has-text('Payer')")
    await page.wait_for_selector("h1:has-text('Trésor public (simulation)')")
    await shot(page, "05-tresor-public")
    return await main_text(page)


async def test_book_two_days_and_pay(page, suite, api, family, empty_basket, mail_sink):
    month_url = await sign_in_and_open_the_month(page, suite, family)
    before = await api.month(family["child"], family["month"])
    days = [d["date"] for d in days_in_state(before, family["canteen"], "bookable")[:2]]
    assert len(days) == 2, f"fewer than two bookable canteen days in {family['month']}"

    text = await tick_and_validate(page, month_url, family, days)
    # billing's quote, read back from the API: the basket planning had billing price.
    basket = await api.get("/api/planning/basket")
    assert sorted(line["date"] for line in basket["lines"]) == days
    for line in basket["lines"]:
        assert line["amount_cents"] == await unit_price_at_billing(suite, api.http, family, line["date"])
    assert "Les modifications ont été validées" in text
    assert f"Coût de la période : {plain(basket['total'])}" in text

    treasury = await to_the_treasury(page, basket, days)
    assert f"Montant {plain(basket['to_pay'])}" in treasury
    await page.click("button:has-text('Payer')")
    await page.wait_for_url(re.compile(r".*/facturation/paiements/[0-9a-f-]+$"))
    payment_id = page.url.rsplit("/", 1)[1]
    for _ in range(20):  # the notification may lag: « Vérifier à nouveau », a bounded number of times
        if "Paiement accepté" in await page.inner_text("h1"):
            break
        assert "Paiement en cours de vérification" in await page.inner_text("h1")
        await page.wait_for_timeout(500)
        await page.click("a:has-text('Vérifier à nouveau')")
        await page.wait_for_load_state()
    text = await main_text(page)
    assert "Paiement accepté" in text and "Vos réservations sont confirmées" in text
    await shot(page, "06-paiement-accepte")

    payment = await api.get(f"/api/billing/payments/{payment_id}")
    assert payment["status"] == "succeeded" and payment["amount_cents"] == basket["to_pay_cents"]
    await page.click("a:has-text('Retour au planning')")
    await page.goto(month_url)
    after = await api.month(family["child"], family["month"])
    assert set(days) <= {d["date"] for d in days_in_state(after, family["canteen"], "booked")}
    booked_cells = await page.locator("td.day-booked").count()
    assert booked_cells == sum(len(days_in_state(after, a["id"], "booked")) for a in after["activities"])
    await shot(page, "07-mois-reserve")

    def mails():
        return saga_mails(mail_sink, DEMO_EMAIL, payment["reference"], days)

    async def both_arrived() -> bool:
        return all(mails())

    await eventually(both_arrived, timeout=30, interval=0.2)
    await page.wait_for_timeout(1500)  # a few more outbox and sender polls: no second copy
    receipts, confirmations = mails()
    assert len(receipts) == 1 and len(confirmations) == 1


async def test_refused_at_the_treasury(page, suite, api, family, empty_basket):
    month_url = await sign_in_and_open_the_month(page, suite, family)
    before = await api.month(family["child"], family["month"])
    chosen = days_in_state(before, family["canteen"], "bookable")[-2:]
    days = [d["date"] for d in chosen]
    text = await tick_and_validate(page, month_url, family, days)
    assert "Les modifications ont été validées" in text
    basket = await api.get("/api/planning/basket")
    treasury = await to_the_treasury(page, basket, days)
    assert f"Montant {plain(basket['to_pay'])}" in treasury

    await page.click("button:has-text('Refuser')")
    await page.wait_for_selector("h1:has-text('Paiement refusé')")
    assert "Aucune somme n'a été prélevée" in await main_text(page)
    await shot(page, "06-paiement-refuse")

    async def released() -> bool:
        grid = await api.month(family["child"], family["month"])
        now = {d["date"]: d for a in grid["activities"] if a["id"] == family["canteen"] for d in a["days"]}
        return all(now[d["date"]]["places_left"] == d["places_left"] for d in chosen)

    await eventually(released, timeout=20, interval=0.2)
    grid = await api.month(family["child"], family["month"])
    canteen = next(a for a in grid["activities"] if a["id"] == family["canteen"])
    for day in canteen["days"]:
        if day["date"] in days:
            assert day["state"] != "booked" and not day["booked"], day
