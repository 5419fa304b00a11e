"""« Facturation », the simulated Treasury and the whole journey from the grid to the
return page after paying."""

from __future__ import annotations

import re
import uuid

from servicekit.identity import IDENTITY_HEADER

from ..browser import csrf_in
from .support import month_path
from .test_basket_pages import pay, plain, three_days


async def at_treasury(parent, town):
    await three_days(parent, town)
    page = await pay(parent)
    assert page.status == 303 and page.location.startswith("/simulated-treasury/?idop=")
    return page.location, page.location.split("idop=", 1)[1]


async def decide(parent, location: str, decision: str):
    page = await parent.get(location)
    forms = re.findall(r'<form method="post" action="/simulated-treasury/".*?</form>', page.html, re.S)
    form = next(f for f in forms if f'name="decision" value="{decision}"' in f)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    return await parent.post("/simulated-treasury/", fields)


# --- « Facturation » --------------------------------------------------------------------


async def test_the_zone_offers_only_what_works(parent):
    page = await parent.get("/facturation")
    assert page.status == 200
    assert 'href="/facturation/historique">Consulter l\'historique de mon compte' in page.html
    assert 'href="/facturation/factures">Payer mes factures' in page.html


async def test_the_home_page_links_the_planning_and_billing_zones(parent):
    page = await parent.get("/")
    assert '<a href="/planning">Effectuer et/ou modifier les réservations</a>' in page.html
    assert '<a href="/facturation/historique">Consulter l\'historique de mon compte</a>' in page.html
    assert '<a href="/facturation/factures">Payer mes factures</a>' in page.html


async def test_the_history_shows_the_account_and_pages_back_in_time(parent, ledger):
    ledger.credits[parent.dossier] = 374
    ledger.unpaid[parent.dossier] = 1122
    for n in range(25):
        ledger.add_entry(parent.dossier, "payment", f"Paiement en ligne n°{n}", 1122 + n, f"REF{n:04d}")
    page = await parent.get("/facturation/historique")
    assert page.status == 200
    text = plain(page.text)
    assert "Consulter l'historique de mon compte" in text
    assert "Solde 7,48 €" in text and "Avoir disponible 3,74 €" in text and "Impayés 11,22 €" in text
    assert "Paiement en ligne n°24 11,46 € REF0024" in text and "n°4 " not in text
    assert re.search(r"<time datetime=\"2026-12-\d\d\">\d+ décembre 2026</time>", page.html)
    older = re.search(r'href="(/facturation/historique\?curseur=[^"]+)">Plus ancien', page.html)
    assert older
    page = await parent.get(older.group(1))
    assert "Paiement en ligne n°4 " in plain(page.text) and "n°24" not in page.text
    assert 'href="/facturation/historique">← Plus récent' in page.html
    assert "Plus ancien" not in page.text


async def test_another_familys_payment_is_the_french_404_page(parent):
    page = await parent.get(f"/facturation/paiements/{uuid.uuid4()}")
    assert page.status == 404 and "Page introuvable" in page.text


async def test_a_payment_not_yet_verified_offers_to_look_again(parent, town):
    await at_treasury(parent, town)
    payment_id = town.basket(parent.dossier).answer["payment_id"]
    page = await parent.get(f"/facturation/paiements/{payment_id}")
    assert "<h1>Paiement en cours de vérification</h1>" in page.html
    assert f'href="/facturation/paiements/{payment_id}">Vérifier à nouveau' in page.html
    assert "http-equiv" not in page.html  # no page that reloads by itself (WCAG 2.2.1)


# --- the simulated Treasury -------------------------------------------------------------


async def test_the_treasury_page_shows_the_amount_and_two_plain_forms(parent, town, ledger):
    location, idop = await at_treasury(parent, town)
    page = await parent.get(location)
    assert page.status == 200
    text = plain(page.text)
    assert "<h1>Trésor public (simulation)</h1>" in page.html
    assert "Simulation : cette page remplace le site de paiement du Trésor public" in text
    assert "Montant 11,22 €" in text and ledger.operations[idop]["reference"] in text
    forms = re.findall(r'<form method="post" action="/simulated-treasury/".*?</form>', page.html, re.S)
    assert len(forms) == 2 and "<script" not in page.html
    for form, label in zip(forms, ("Payer", "Refuser"), strict=True):
        assert f">{label}</button>" in form
        # Every field hidden: nothing to type, nothing a script must fill in.
        assert re.findall(r'<input type="(\w+)"', form) == ["hidden"] * 3


async def test_an_unknown_operation_is_the_french_404_page(parent):
    for path in ("/simulated-treasury/?idop=inconnu", "/simulated-treasury/?idop=../../x", "/simulated-treasury/"):
        page = await parent.get(path)
        assert page.status == 404, path
        assert "Page introuvable" in page.text and "Cette opération de paiement n'existe pas" in page.text


async def test_the_treasury_forms_need_the_csrf_token(parent, town, ledger):
    _, idop = await at_treasury(parent, town)
    page = await parent.post("/simulated-treasury/", {"idop": idop, "decision": "payer"})
    assert page.status == 403
    assert ledger.operations[idop]["state"] == "pending" and ledger.notifications == []


async def test_there_is_no_treasury_page_with_the_real_provider(make_gateway, services):
    gateway = await make_gateway(payment_provider="payfip")
    assert (await gateway.get("/simulated-treasury/?idop=x", allow_redirects=False)).status == 404


# --- the whole journey --------------------------------------------------------------------


async def test_grid_modifier_valider_panier_payer_treasury_back_and_booked(parent, town, ledger):
    location, idop = await at_treasury(parent, town)
    page = await decide(parent, location, "payer")
    assert page.status == 303 and page.location.startswith("/facturation/paiements/")
    payment_id = page.location.rsplit("/", 1)[1]
    # The decision, then the Treasury's notification: idop alone, form-encoded, no identity.
    calls = [r for r in ledger.received if r["method"] == "POST"]
    assert calls[0]["path"] == f"/internal/simulated-treasury/operations/{idop}/decision"
    assert calls[0]["json"] == {"decision": "pay"}
    assert calls[1]["path"] == "/api/billing/payments/notifications/simulated"
    assert calls[1]["form"] == {"idop": idop}
    assert IDENTITY_HEADER not in calls[1]["headers"]

    page = await parent.get(page.location)
    text = plain(page.text)
    assert "<h1>Paiement accepté</h1>" in page.html
    assert "Votre paiement de 11,22 € a été accepté. Vos réservations sont confirmées." in text
    assert ledger.payments[payment_id].reference in text
    assert "07/12/2026 Arthur - 2026/2027 - Cantine (11h30 à 13h30) 3,74 €" in text

    grid = await parent.get(month_path(parent))
    assert grid.html.count('title="Réservé"') == 3 and "Terminer les modifications" not in grid.text
    history = plain((await parent.get("/facturation/historique")).text)
    assert "Paiement en ligne (simulation) 11,22 €" in history


async def test_a_refused_payment_books_nothing_and_says_what_next(parent, town, ledger):
    location, idop = await at_treasury(parent, town)
    page = await decide(parent, location, "refuser")
    assert page.status == 303
    page = await parent.get(page.location)
    assert "<h1>Paiement refusé</h1>" in page.html
    assert (
        "aucune réservation n'a été enregistrée" in page.text
        and "places retenues pour vous ont été libérées" in page.text
    )
    # Planning released the basket with the places: the parent books again from the month.
    assert "refaites votre saisie dans le planning" in page.text and 'href="/planning">Retour au planning' in page.html
    assert town.reservations == set() and town.basket(parent.dossier).status == "open"
    # Deciding again keeps the first decision.
    await decide(parent, location, "payer")
    assert ledger.operations[idop]["state"] == "refused"


async def test_a_new_attempt_after_a_refusal_pays(parent, town, ledger):
    location, _ = await at_treasury(parent, town)
    await decide(parent, location, "refuser")
    page = await pay(parent)
    assert page.status == 303 and page.location != location
    page = await decide(parent, page.location, "payer")
    assert "Paiement accepté" in (await parent.get(page.location)).text
    assert len(town.reservations) == 3


async def test_an_account_without_dossier_is_told_to_link_it(browser, accounts, town, ledger):
    accounts.add_user("lederf")
    await browser.login()
    for path in ("/planning", "/planning/panier", "/facturation", "/facturation/historique"):
        page = await browser.get(path)
        assert page.status == 200, path
        assert "Votre compte n'est rattaché à aucun dossier famille" in page.text
        assert 'href="/dossier/rattacher">Rattacher mon dossier' in page.html
    assert town.received == [] and ledger.received == []


async def test_the_treasury_needs_no_portal_session(parent, town, ledger):
    """As at the real Treasury: the operation is named by its idop, not by who is signed in."""
    location, idop = await at_treasury(parent, town)
    await parent.post("/deconnexion", {"csrf_token": csrf_in((await parent.get("/")).html, "/deconnexion")})
    assert parent.cookie("pf_session") is None
    page = await decide(parent, location, "payer")
    assert page.status == 303 and page.location.startswith("/facturation/paiements/")
    assert ledger.operations[idop]["state"] == "paid"


async def test_the_treasury_returns_to_this_site_only(parent, town, ledger):
    location, idop = await at_treasury(parent, town)
    payment_path = ledger.operations[idop]["return_url"]
    host = parent.client.server.host, parent.client.server.port
    ledger.operations[idop]["return_url"] = f"http://{host[0]}:{host[1]}{payment_path}"  # BILLING_PUBLIC_URL set
    page = await decide(parent, location, "payer")
    assert page.status == 303 and page.location == payment_path
    ledger.operations[idop]["return_url"] = "https://ailleurs.example.org/facturation"
    page = await decide(parent, location, "payer")
    assert page.location == "/facturation/historique"
