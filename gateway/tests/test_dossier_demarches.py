"""« Mon dossier »: « Mes démarches » (messages, tax-attestation requests, the QF proof, each
with its state and its page) and which e-mail address receives what — against the
accounts, messaging and billing fakes, each held to its service's OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from .browser import Browser
from .fake_accounts import fake_accounts
from .fake_billing import STATE as BILLING
from .fake_billing import fake_billing
from .fake_billing_invoices import INVOICES
from .fake_messaging import STATE as MESSAGING
from .fake_messaging import fake_messaging
from .standins import serving, stand_ins
from .test_messaging_pages import section, text_of


@pytest.fixture
async def services() -> AsyncIterator[dict[str, TestServer]]:
    apps = stand_ins(accounts=fake_accounts(), billing=fake_billing(), messaging=fake_messaging())
    async with serving(apps) as servers:
        yield servers


@pytest.fixture
async def parent(browser, accounts) -> Browser:
    browser.dossier = accounts.add_dossier("404", "LE DERF")
    browser.user = accounts.add_user("lederf", dossier_id=browser.dossier, email="connexion.lederf@example.org")
    await browser.login()
    return browser


async def test_the_demarches_list_messages_attestations_and_the_qf_proof(parent, services):
    town = services["messaging"].app[MESSAGING]
    answered = town.add_thread(parent.user.id, subject="Allergie d'Arthur")
    town.staff_reply(answered.id)
    waiting = town.add_thread(parent.user.id, subject="Horaires du centre de loisirs", theme="periscolaire")
    town.add_thread("someone-else", subject="Pas le mien")
    requests = services["billing"].app[INVOICES]
    requests.attestations.append({"dossier": parent.dossier, "doc": {
        "id": "5b0c35c6-31a4-4d6e-9a3b-2a8e0f1c2d3e", "year": 2025, "state": "pending",
        "requested_at": "2026-12-01T10:00:00+00:00", "approved_at": None, "total_cents": 0}})  # fmt: skip
    services["billing"].app[BILLING].proofs.append({
        "id": "8c1e2f4a-1111-4a2b-9c3d-4e5f6a7b8c9d", "kind": "attestation_caf", "year": 2027,
        "content_type": "application/pdf", "size_bytes": 1200, "state": "rejected", "reject_reason": "Illisible",
        "uploaded_at": "2026-12-02T09:00:00+00:00", "decided_at": "2026-12-03T09:00:00+00:00",
        "dossier_id": parent.dossier, "content": b""})  # fmt: skip

    page = await parent.get("/dossier")
    assert page.status == 200
    demarches = section(page.html, "demarches")
    text = text_of(demarches)
    assert "Message « Allergie d'Arthur » (Restauration) Nouveau Nouvelle réponse" in text
    assert "Message « Horaires du centre de loisirs » (Périscolaire / Animation) En attente de réponse" in text
    assert "Pas le mien" not in text
    assert f'href="/messagerie/{answered.id}"' in demarches and f'href="/messagerie/{waiting.id}"' in demarches
    assert "Attestation fiscale 2025 En attente de validation par le service Facturation — 1er décembre 2026" in text
    assert "Justificatif de quotient familial 2027 (attestation CAF) Refusé : Illisible" in text
    assert 'href="/facturation/quotient-familial"' in demarches
    assert 'href="/mon-dossier/documents#attestation-fiscale"' in demarches


async def test_with_nothing_asked_yet_each_part_says_so(parent):
    text = text_of(section((await parent.get("/dossier")).html, "demarches"))
    assert "Vous n'avez encore écrit à aucun service de la Mairie." in text
    assert "Aucune demande d'attestation fiscale." in text
    assert "Aucun justificatif de quotient familial envoyé." in text


async def test_a_service_down_leaves_a_sentence_and_the_rest_of_the_page(parent, services):
    await services["messaging"].close()
    await services["billing"].close()
    page = await parent.get("/dossier")
    assert page.status == 200
    text = text_of(page.html)
    assert "La messagerie ne répond pas pour le moment" in text
    assert "Le service Facturation ne répond pas pour le moment : vos demandes" in text
    assert "Le service Facturation ne répond pas pour le moment : votre justificatif" in text
    assert "Mes coordonnées" in text and "Arthur Le Derf" in text


async def test_each_address_says_what_it_is_for(parent):
    page = await parent.get("/dossier")
    coordinates = text_of(section(page.html, "coordonnees"))
    assert "Adresse e-mail du dossier arnaud.lederf@example.org" in coordinates
    assert "la vôtre est connexion.lederf@example.org" in coordinates
    assert "vos factures si vous avez choisi de les recevoir par e-mail, la copie de vos messages" in coordinates
    assert "transmise au Trésor public (PayFiP), qui y envoie le reçu de vos paiements en ligne" in coordinates
    account = text_of(section(page.html, "compte"))
    assert "Adresse e-mail de connexion connexion.lederf@example.org" in account
    form = await parent.get("/dossier/modifier")
    assert "Adresse e-mail du dossier" in form.text
    assert "Elles partent à l'adresse de connexion de chaque compte rattaché au dossier" in text_of(form.html)
