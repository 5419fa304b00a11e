"""« Mon dossier », « Modifier », linking a dossier later, and « Mon compte »."""

from __future__ import annotations

import re

import pytest
from gateway.ui.dossier import dossier_view

from .browser import Browser, csrf_in
from .fake_accounts import PASSWORD


@pytest.fixture
def dossier(accounts):
    return accounts.add_dossier("404", "LE DERF")


@pytest.fixture
async def parent(browser, accounts, dossier) -> Browser:
    accounts.add_user("lederf", dossier_id=dossier)
    await browser.login()
    return browser


async def test_logged_out_visitors_go_to_the_login_page(browser):
    for path in (
        "/dossier",
        "/dossier/modifier",
        "/dossier/rattacher",
        "/compte",
        "/compte/mot-de-passe",
        "/compte/email",
    ):
        page = await browser.get(path)
        assert page.status == 303, path
        assert page.location == f"/connexion?next={path}"
    page = await browser.get("/dossier?message=modifie&x=1")
    login = await browser.get(page.location)
    assert 'name="next" value="/dossier?message=modifie&amp;x=1"' in login.html


async def test_the_dossier_shows_adults_children_and_subscriptions(parent):
    page = await parent.get("/dossier")
    assert page.status == 200
    text = page.text
    for expected in (
        "Mes coordonnées",
        "Consulter mon dossier et mes démarches Dossier n° 404 – LE DERF",
        "12 rue de la Mairie",
        "95380 Puiseux-en-France",
        "Arnaud Le Derf",
        "Téléphone portable 06 12 34 56 78",
        "Téléphone domicile Non renseigné",
        "Adresse e-mail du dossier arnaud.lederf@example.org",
        "Arthur Le Derf",
        "Date de naissance 14/05/2018",
        "École École Jules Ferry",
        "Classe CE2",
        "Service enfance (dossier 404) Active",
        "Recevoir mes factures par e-mail : Non",
        "Mes démarches",
    ):
        assert expected in text, expected
    # One « Modifier » for the coordinates, the invoices-by-e-mail choice included.
    assert page.html.count('href="/dossier/modifier"') == 1
    assert (
        '<a class="button" href="/dossier/modifier">Modifier<span class="visually-hidden"> mes coordonnées' in page.html
    )


def test_subscription_states_are_in_french():
    view = dossier_view(
        {
            "number": "404",
            "subscriptions": [
                {"service": "enfance", "status": "pending_activation"},
                {"service": "enfance", "status": "active"},
            ],
        }
    )
    assert [s["status"] for s in view.subscriptions] == ["En attente d'activation", "Active"]
    assert view.subscriptions[0]["service"] == "Service enfance"
    assert view.subscriptions[0]["dossier_number"] == "404"
    assert dossier_view({}).adults == [] and dossier_view({}).address_lines == []


async def test_modify_then_validate_shows_the_change(parent, accounts, dossier):
    page = await parent.get("/dossier/modifier")
    assert page.status == 200
    assert "Modifier mes coordonnées" in page.text
    assert 'value="06 12 34 56 78"' in page.html
    assert 'type="tel"' in page.html and 'autocomplete="tel"' in page.html
    assert "Recevoir mes factures par e-mail" in page.text
    for label in ("Téléphone portable", "Téléphone domicile", "Téléphone travail", "Adresse e-mail"):
        assert label in page.text
    page = await parent.post(
        "/dossier/modifier",
        {
            "csrf_token": csrf_in(page.html, "/dossier/modifier"),
            "adults-0-phone_mobile": "07 98 76 54 32",
            "adults-0-phone_home": "",
            "adults-0-phone_work": "01 23 45 67 89",
            "adults-0-email": "arnaud@example.org",
            "invoices_by_email": "oui",
        },
    )
    assert page.status == 303 and page.location == "/dossier?message=modifie"
    adult = accounts.dossiers[dossier]["adults"][0]
    assert adult["phone_mobile"] == "07 98 76 54 32" and adult["phone_home"] is None
    assert accounts.dossiers[dossier]["invoices_by_email"] is True
    patch = [r for r in accounts.received if r["method"] == "PATCH"][-1]
    assert str(patch["identity"].dossier_id) == dossier

    page = await parent.get(page.location)
    assert "Vos modifications ont été enregistrées." in page.text
    assert "07 98 76 54 32" in page.text
    assert "Recevoir mes factures par e-mail : Oui" in page.text


async def test_a_refused_phone_number_is_shown_beside_its_field(parent):
    page = await parent.submit("/dossier/modifier", "/dossier/modifier", {"adults-0-phone_mobile": "pas un numéro"})
    assert page.status == 422
    assert '<p class="error-message" id="f-adults-0-phone_mobile-error">' in page.html
    assert "Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78." in page.text
    assert re.search(
        r'id="f-adults-0-phone_mobile"[^>]*aria-describedby="f-adults-0-phone_mobile-hint f-adults-0-phone_mobile-error"',
        page.html,
        re.DOTALL,
    )
    assert 'href="#f-adults-0-phone_mobile"' in page.html
    assert 'value="pas un numéro"' in page.html


async def test_an_account_without_dossier_links_one(browser, accounts, dossier):
    accounts.add_user("sansdossier")
    await browser.login("sansdossier")
    page = await browser.get("/dossier")
    assert "Votre compte n'est rattaché à aucun dossier famille" in page.text
    assert '<a class="button" href="/dossier/rattacher">Rattacher mon dossier</a>' in page.html
    assert (await browser.get("/dossier/modifier")).location == "/dossier/rattacher"

    page = await browser.submit(
        "/dossier/rattacher", "/dossier/rattacher", {"dossier_number": "404", "family_name": "MARTIN"}
    )
    assert page.status == 422
    assert "Ces références ne correspondent à aucun dossier." in page.text

    # Spelled another way: accounts folds case, accents, hyphens and apostrophes alike.
    page = await browser.submit(
        "/dossier/rattacher", "/dossier/rattacher", {"dossier_number": "404", "family_name": "le-Dérf"}
    )
    assert page.status == 303 and page.location == "/dossier?message=rattache"
    # The cached session knew no dossier: the next page asks accounts again.
    page = await browser.get(page.location)
    assert "Votre dossier famille est rattaché à votre compte." in page.text
    assert "Dossier n° 404 – LE DERF" in page.text
    assert (await browser.get("/dossier/rattacher")).location == "/dossier"


async def test_my_account_and_changing_the_password(parent, accounts):
    page = await parent.get("/compte")
    assert "Mon compte" in page.text and "Nom d'utilisateur lederf" in page.text
    assert "Adresse e-mail de connexion lederf@example.org" in page.text and "Nom Arnaud Le Derf" in page.text
    assert '<a href="/compte/mot-de-passe">' in page.html and '<a href="/compte/email">' in page.html

    page = await parent.submit(
        "/compte/mot-de-passe",
        "/compte/mot-de-passe",
        {"current_password": "faux", "new_password": "Nouveau-mot-2026", "confirmation": "Nouveau-mot-2026"},
    )
    assert page.status == 422
    assert '<p class="error-message" id="f-current_password-error">' in page.html
    assert "Le mot de passe actuel est incorrect." in page.text

    page = await parent.submit(
        "/compte/mot-de-passe",
        "/compte/mot-de-passe",
        {"current_password": PASSWORD, "new_password": "Nouveau-mot-2026", "confirmation": "autre"},
    )
    assert page.status == 422 and "ne sont pas identiques" in page.text

    page = await parent.submit(
        "/compte/mot-de-passe",
        "/compte/mot-de-passe",
        {"current_password": PASSWORD, "new_password": "Nouveau-mot-2026", "confirmation": "Nouveau-mot-2026"},
    )
    assert page.status == 303 and page.location == "/compte?message=mot-de-passe-modifie"
    assert accounts.users["lederf"].password == "Nouveau-mot-2026"


async def test_changing_the_email_then_confirming_it(parent, make_gateway, accounts):
    page = await parent.submit(
        "/compte/email", "/compte/email", {"new_email": "nouvelle@example.org", "password": PASSWORD}
    )
    assert page.status == 303 and page.location == "/compte?message=email-envoye"
    assert "Un e-mail de confirmation vient d'être envoyé" in (await parent.get(page.location)).text
    (token,) = accounts.email_tokens

    # The link may be opened on another device, signed out: GET shows a button only.
    other = Browser(await make_gateway())
    page = await other.get(f"/email/confirmer?token={token}")
    assert "Confirmer mon adresse e-mail" in page.text
    assert accounts.users["lederf"].email != "nouvelle@example.org"
    page = await other.post("/email/confirmer", {"csrf_token": csrf_in(page.html, "/email/confirmer"), "token": token})
    assert page.status == 303 and page.location == "/email/confirmee"
    assert accounts.users["lederf"].email == "nouvelle@example.org"
    page = await other.submit(f"/email/confirmer?token={token}", "/email/confirmer", {"token": token})
    assert page.status == 410 and "Ce lien n'est plus valable" in page.text


async def test_forgotten_password_always_says_the_same(browser, accounts):
    accounts.add_user("lederf", email="arnaud@example.org")
    sentences = []
    for email in ("arnaud@example.org", "personne@example.org"):
        page = await browser.submit("/mot-de-passe-oublie", "/mot-de-passe-oublie", {"email": email})
        assert page.status == 303 and page.location == "/mot-de-passe-oublie?envoye=1"
        sentences.append((await browser.get(page.location)).text)
    assert sentences[0] == sentences[1]
    assert "Si cette adresse correspond à un compte du portail" in sentences[0]
    assert accounts.reset_requests == ["arnaud@example.org", "personne@example.org"]

    page = await browser.submit("/mot-de-passe-oublie", "/mot-de-passe-oublie", {"email": "pas-une-adresse"})
    assert page.status == 422 and '<p class="error-message" id="f-email-error">' in page.html


async def test_new_password_from_the_e_mailed_link(browser, accounts):
    accounts.add_user("lederf")
    accounts.reset_tokens["reset-1"] = "lederf"
    page = await browser.get("/mot-de-passe/nouveau?token=reset-1")
    assert "Choisir un nouveau mot de passe" in page.text
    assert 'autocomplete="new-password"' in page.html

    page = await browser.post(
        "/mot-de-passe/nouveau",
        {"csrf_token": csrf_in(page.html), "token": "reset-1", "new_password": "court", "confirmation": "court"},
    )
    assert page.status == 422 and "Le mot de passe est trop court." in page.text

    page = await browser.submit(
        "/mot-de-passe/nouveau?token=reset-1",
        "/mot-de-passe/nouveau",
        {"token": "reset-1", "new_password": "Nouveau-mot-2026", "confirmation": "Nouveau-mot-2026"},
    )
    assert page.status == 303 and page.location == "/connexion?message=mot-de-passe-modifie"
    assert accounts.users["lederf"].password == "Nouveau-mot-2026"
    assert "Votre mot de passe a été modifié." in (await browser.get(page.location)).text

    page = await browser.submit(
        "/mot-de-passe/nouveau?token=reset-1",
        "/mot-de-passe/nouveau",
        {"token": "reset-1", "new_password": "Encore-un-2026", "confirmation": "Encore-un-2026"},
    )
    assert page.status == 410 and "Ce lien n'est plus valable" in page.text
    assert 'href="/mot-de-passe-oublie">Demander un nouveau lien' in page.html


async def test_pages_use_no_script_and_label_every_input(parent):
    for path in ("/dossier/modifier", "/compte/mot-de-passe", "/compte/email"):
        page = await parent.get(path)
        assert "<script" not in page.html and "style=" not in page.html
        for input_id in re.findall(r'<input[^>]*\bid="([^"]+)"', page.html):
            assert f'for="{input_id}"' in page.html, (path, input_id)
