"""« Validation des modifications »: the basket, « Tout supprimer », « Payer »."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from gateway.ui.formats import paris_time

from .. import fake_planning_basket
from ..browser import csrf_in
from .support import MONTH, hidden, month_path, tick

SENTENCE = (
    'Afin d\'enregistrer définitivement votre saisie, veuillez cliquer sur le bouton "Payer". '
    'Si vous cliquez sur "Tout supprimer", vos modifications seront effacées.'
)
NOT_TAKEN = "Les réservations ne seront pas prises en compte si le règlement n'est pas effectué."


def plain(text: str) -> str:
    """Babel's narrow no-break spaces as plain ones, for readable assertions."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def cantine(town) -> str:
    return town.activity("Cantine").id


def basket_path(parent) -> str:
    return f"/planning/panier?enfant={parent.child.id}&mois={MONTH}"


async def three_days(parent, town) -> None:
    page = await tick(parent, {cantine(town): ["2026-12-07", "2026-12-10", "2026-12-11"]})
    assert page.status == 303, page.text[:300]


async def pay(parent, key: str | None = None):
    page = await parent.get(basket_path(parent))
    data = {"csrf_token": csrf_in(page.html, "/planning/panier/payer")}
    data["idempotency_key"] = key or hidden(page.html, "idempotency_key")
    data |= {"enfant": str(parent.child.id), "mois": MONTH}
    return await parent.post("/planning/panier/payer", data)


async def test_the_basket_is_worded_as_the_guide(parent, town):
    await three_days(parent, town)
    page = await parent.get(basket_path(parent))
    assert page.status == 200
    text = plain(page.text)
    assert "<h1>Validation des modifications</h1>" in page.html
    assert SENTENCE in text and NOT_TAKEN in text
    assert "Récapitulatif de votre saisie" in text and "Paiement immédiat" in text
    assert re.search(r"Date\s*</th><th scope=\"col\">Élément</th><th scope=\"col\">Tarification", page.html)
    assert "07/12/2026 Arthur - 2026/2027 - Cantine (11h30 à 13h30) à l'unité 3,74 €" in text
    assert "A payer : 11,22 €" in text
    assert "Tout supprimer" in text and ">Payer</button>" in page.html
    assert f'href="{month_path(parent)}">Retour' in page.html


async def test_credits_are_applied_before_paying(parent, town, ledger):
    ledger.credits[parent.dossier] = 374
    await three_days(parent, town)
    text = plain((await parent.get(basket_path(parent))).text)
    assert "Total 11,22 €" in text and "Avoir déduit 3,74 €" in text and "A payer : 7,48 €" in text


async def test_an_empty_basket_says_so(parent):
    page = await parent.get("/planning/panier")
    assert "Aucune modification n'est en attente de validation." in page.text
    assert 'href="/planning">Retour' in page.html


async def test_tout_supprimer_asks_then_clears_the_basket(parent, town):
    await three_days(parent, town)
    ask = await parent.get(f"/planning/panier/supprimer?enfant={parent.child.id}&mois={MONTH}")
    assert ask.status == 200 and "Effacer toutes vos modifications" in ask.text
    page = await parent.post(
        "/planning/panier/supprimer",
        {"csrf_token": csrf_in(ask.html, "/planning/panier/supprimer"), "enfant": str(parent.child.id), "mois": MONTH},
    )
    assert (
        page.status == 303
        and page.location == f"/planning/panier?message=supprime&enfant={parent.child.id}&mois={MONTH}"
    )
    assert town.basket(parent.dossier).changes == {}
    assert "Vos modifications ont été effacées." in (await parent.get(page.location)).text


async def test_payer_goes_to_the_treasury_once_even_when_clicked_twice(parent, town, ledger):
    await three_days(parent, town)
    page = await parent.get(basket_path(parent))
    key = hidden(page.html, "idempotency_key")
    first = await pay(parent, key)
    second = await pay(parent, key)
    assert first.status == second.status == 303
    assert first.location.startswith("/simulated-treasury/?idop=")
    assert second.location == first.location
    assert len(ledger.payments) == 1
    keys = [r["headers"].get("Idempotency-Key") for r in town.received if r["path"].endswith("/checkout")]
    assert keys == [key, key]


async def test_the_real_treasury_is_reached_by_a_link(parent, town):
    """A 303 to another site after a form would break the page's CSP form-action 'self'."""
    town.provider_url = "https://www.payfip.gouv.fr/tpa/paiementws.web"
    await three_days(parent, town)
    page = await pay(parent)
    assert page.status == 200 and "<h1>Paiement en ligne</h1>" in page.html
    assert re.search(
        r'href="https://www\.payfip\.gouv\.fr/tpa/paiementws\.web\?idop=\w+">Payer sur le site du Trésor public',
        page.html,
    )
    town.provider_url = "javascript:alert(1)"
    town.basket(parent.dossier).status, town.basket(parent.dossier).answer = "open", None
    page = await pay(parent)
    assert page.status == 502 and "javascript" not in page.html


async def test_a_basket_being_paid_shows_until_when_the_places_are_held(parent, town):
    await three_days(parent, town)
    await pay(parent)
    expires = town.basket(parent.dossier).expires_at
    assert expires > datetime.now(UTC)
    for path in (basket_path(parent), month_path(parent)):
        text = (await parent.get(path)).text
        assert f"Paiement en cours : vos places sont réservées jusqu'à {paris_time(expires.isoformat())}" in text


async def test_days_taken_meanwhile_are_named_and_dropped(parent, town, ledger):
    await three_days(parent, town)
    town.fill(cantine(town), "2026-12-10")
    page = await pay(parent)
    assert page.status == 409
    assert (
        "Ces jours sont complets et ont été retirés : jeudi 10 décembre (Arthur - 2026/2027 - Cantine (11h30 à 13h30))."
        in page.text
    )
    assert "A payer : 7,48 €" in plain(page.text)  # the basket again, without that day
    assert ledger.payments == {}


async def test_days_past_their_deadline_at_payer_are_named(parent, town, ledger):
    await three_days(parent, town)
    town.deadline_passed_before = date(2026, 12, 11)
    page = await pay(parent)
    assert page.status == 422
    assert "Le délai pour modifier le 07/12/2026 est dépassé." in page.text
    assert "Le délai pour modifier le 10/12/2026 est dépassé." in page.text
    assert "A payer : 3,74 €" in plain(page.text) and ledger.payments == {}


async def test_amounts_not_priced_just_now_are_said_to_be_so(parent, town, services):
    await three_days(parent, town)
    basket_doc = fake_planning_basket.basket_doc

    def unpriced(st, basket):
        return {**basket_doc(st, basket), "priced": False}

    fake_planning_basket.basket_doc = unpriced
    try:
        page = await parent.get(basket_path(parent))
    finally:
        fake_planning_basket.basket_doc = basket_doc
    assert "les montants affichés sont ceux du dernier calcul" in page.text


async def test_billing_away_at_payer_changes_nothing(parent, town, ledger):
    await three_days(parent, town)
    town.billing_down = True
    page = await pay(parent)
    assert page.status == 503
    assert "Le paiement en ligne est momentanément indisponible. Vos réservations n'ont pas été modifiées." in page.text
    assert town.basket(parent.dossier).status == "open" and len(town.basket(parent.dossier).changes) == 3


async def test_nothing_to_pay_confirms_at_once(parent, town, ledger):
    ledger.credits[parent.dossier] = 5000
    await three_days(parent, town)
    page = await pay(parent)
    assert page.status == 303 and page.location.startswith("/planning/panier/confirmee")
    assert "Vos réservations sont confirmées" in (await parent.get(page.location)).text
    assert (await parent.get(month_path(parent))).html.count('title="Réservé"') == 3


async def test_the_basket_forms_need_the_csrf_token(parent, town):
    await three_days(parent, town)
    for action in ("/planning/panier/payer", "/planning/panier/supprimer"):
        page = await parent.post(action, {"idempotency_key": "k" * 24})
        assert page.status == 403, action
    assert not [r for r in town.received if r["method"] in ("POST", "DELETE")]
