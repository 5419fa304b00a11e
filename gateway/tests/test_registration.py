"""« Inscrivez-vous »: the 4-step wizard over the drafts API, then activation."""

from __future__ import annotations

import re

import pytest

from .browser import Browser, Page, csrf_in

IDENTITY = {
    "last_name": "Le Derf",
    "first_name": "Arnaud",
    "email": "arnaud@example.org",
    "username": "",
    "password": "Un-mot-de-passe-2026",
}


@pytest.fixture
def dossier(accounts):
    return accounts.add_dossier("404", "LE DERF")


def step_indicator(page: Page) -> str:
    match = re.search(r'<ol class="steps">.*?</ol>', page.html, flags=re.DOTALL)
    assert match, "no step indicator"
    return Page(200, match.group(0), None, {}, {}).text


def current_step(page: Page) -> str:
    match = re.search(r'<li class="[^"]*" aria-current="step">(.*?)</li>', page.html, flags=re.DOTALL)
    assert match, "no current step"
    return Page(200, match.group(1), None, {}, {}).text


async def fill_identity(browser: Browser, **changes) -> Page:
    return await browser.submit("/inscription/informations", "/inscription/informations", {**IDENTITY, **changes})


async def test_the_whole_wizard_with_a_dossier(browser, accounts, dossier):
    page = await browser.get("/inscription")
    assert page.status == 303 and page.location == "/inscription/informations"

    page = await browser.get(page.location)
    assert current_step(page) == "Étape 1/4 Mes informations"
    for label in (
        "Nom",
        "Prénom",
        "Adresse e-mail",
        "Nom d'utilisateur",
        "Mot de passe",
        "Activer l'ergonomie mobile",
        "Enregistrer",
    ):
        assert label in page.text, label
    assert "Au moins 12 caractères" in page.text
    assert 'autocomplete="new-password"' in page.html and 'autocomplete="email"' in page.html

    # Step 1, username left blank: the suggestion made from the names is used.
    page = await fill_identity(browser, mobile_display="oui")
    assert page.status == 303 and page.location == "/inscription/dossier"
    cookie = page.cookies["pf_reg"]
    assert cookie["httponly"] is True and cookie["path"] == "/inscription"
    draft = accounts.drafts[cookie.value]
    assert draft["username"] == "lederf" and draft["mobile_display"] is True
    assert "password" not in draft

    page = await browser.get("/inscription/dossier")
    assert step_indicator(page).startswith("Étape 1/4 ✓ (terminée) Mes informations Étape 2/4 Mes références dossier")
    assert current_step(page) == "Étape 2/4 Mes références dossier"
    assert "Veuillez saisir les informations fournies par votre collectivité." in page.text
    assert "Je n'ai pas ces informations, continuer sans" in page.text
    assert '<a href="/inscription/informations">← Étape précédente' in page.html

    # Back to step 1: what was typed is there again, but never the password.
    back = await browser.get("/inscription/informations")
    assert 'value="Le Derf"' in back.html and 'value="lederf"' in back.html
    assert IDENTITY["password"] not in back.html
    assert re.search(r'id="f-mobile_display"[^>]*checked', back.html)

    page = await browser.submit(
        "/inscription/dossier",
        "/inscription/dossier",
        {"dossier_number": "404", "dossier_name": "le dérf", "action": "enregistrer"},
    )
    assert page.status == 303 and page.location == "/inscription/conditions"

    page = await browser.get("/inscription/conditions")
    assert current_step(page) == "Étape 3/4 Conditions d'utilisation"
    assert "Conditions générales d'utilisation" in page.text
    assert "Protection du Site" in page.text
    assert "J'ai lu et j'accepte les conditions générales d'utilisation" in page.text
    page = await browser.submit(
        "/inscription/conditions", "/inscription/conditions", {"accepted": "oui", "terms_version": "2026-01"}
    )
    assert page.status == 303 and page.location == "/inscription/recapitulatif"

    page = await browser.get("/inscription/recapitulatif")
    assert current_step(page) == "Étape 4/4 Récapitulatif"
    assert "Étape 3/4 ✓ (terminée) Conditions d'utilisation" in step_indicator(page)
    text = page.text
    assert "Récapitulatif de mon inscription" in text
    for expected in (
        "Mes informations",
        "Nom Le Derf",
        "Prénom Arnaud",
        "Adresse e-mail arnaud@example.org",
        "Nom d'utilisateur lederf",
        "Mes souscriptions",
        "Service enfance",
        "Numéro dossier 404",
        "Nom dossier le dérf",
    ):
        assert expected in text, expected
    assert "Annuler" in text and "Valider mon inscription" in text

    page = await browser.submit("/inscription/recapitulatif", "/inscription/valider")
    assert page.status == 303 and page.location == "/inscription/bienvenue"
    assert page.cookies["pf_reg"]["max-age"] == "0"
    user = accounts.users["lederf"]
    assert user.status == "pending_activation" and user.dossier_id == dossier

    page = await browser.get("/inscription/bienvenue")
    assert "Bienvenue sur le portail" in page.text
    assert "Arnaud Le Derf, votre espace personnel a été créé." in page.text
    assert "24 heures" in page.text and "activer votre compte" in page.text
    assert '<a class="button" href="/">Retour à la page d\'accueil</a>' in page.html


async def test_field_errors_are_beside_the_fields_and_summarised(browser, dossier):
    page = await fill_identity(browser, email="pas-une-adresse", password="court", username="lederf")
    assert page.status == 422
    # Each error under its label, tied to the input; the summary links to the inputs.
    for name, sentence in (
        ("email", "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."),
        ("password", "Le mot de passe est trop court."),
    ):
        assert f'<p class="error-message" id="f-{name}-error">' in page.html
        assert re.search(
            rf'id="f-{name}"[^>]*aria-describedby="[^"]*f-{name}-error"[^>]*aria-invalid="true"', page.html, re.DOTALL
        ), name
        assert f'<a href="#f-{name}">{sentence}' in page.html.replace("&#39;", "'"), name
    assert 'role="alert"' in page.html
    assert "Certaines informations saisies ne sont pas valides." in page.text
    # What was typed stays, except the password; English from the service never shows.
    assert 'value="pas-une-adresse"' in page.html and "court" not in re.sub(r"trop court", "", page.html)
    assert "String should have" not in page.text and "value is not a valid" not in page.text


async def test_missing_fields_are_named_before_calling_accounts(browser, accounts):
    page = await browser.submit("/inscription/informations", "/inscription/informations", {"last_name": "Le Derf"})
    assert page.status == 422
    assert "Saisissez votre prénom." in page.text and "Choisissez un mot de passe." in page.text
    assert accounts.drafts == {}


async def test_a_taken_username_offers_suggestions(browser):
    page = await fill_identity(browser, username="pris")
    assert page.status == 422
    assert "Ce nom d'utilisateur est déjà utilisé." in page.text
    assert "Nous vous proposons : lederf, lederf2, lederf3, arnaud.lederf, alederf." in page.text


async def test_a_wrong_dossier_pair_is_an_error_beside_the_number(browser, dossier):
    await fill_identity(browser)
    page = await browser.submit(
        "/inscription/dossier",
        "/inscription/dossier",
        {"dossier_number": "404", "dossier_name": "MARTIN", "action": "enregistrer"},
    )
    assert page.status == 422
    assert "Ces références ne correspondent à aucun dossier." in page.text
    assert '<p class="error-message" id="f-dossier_number-error">' in page.html
    assert 'value="MARTIN"' in page.html


async def test_an_already_linked_dossier_and_throttling_are_said(browser, accounts, dossier):
    accounts.add_user("autre", dossier_id=dossier)
    await fill_identity(browser)
    page = await browser.submit(
        "/inscription/dossier", "/inscription/dossier", {"dossier_number": "404", "dossier_name": "LE DERF"}
    )
    assert page.status == 409
    assert "Ce dossier est déjà rattaché à un compte." in page.text
    page = await browser.submit(
        "/inscription/dossier", "/inscription/dossier", {"dossier_number": "999", "dossier_name": "X"}
    )
    assert page.status == 429 and page.headers["Retry-After"] == "600"
    assert "Trop de tentatives" in page.text


async def test_continue_without_a_dossier(browser, accounts):
    await fill_identity(browser)
    page = await browser.submit("/inscription/dossier", "/inscription/dossier", {"action": "sans"})
    assert page.status == 303 and page.location == "/inscription/conditions"
    await browser.submit(
        "/inscription/conditions", "/inscription/conditions", {"accepted": "oui", "terms_version": "2026-01"}
    )
    page = await browser.get("/inscription/recapitulatif")
    assert "Aucun dossier famille" in page.text and "Numéro dossier" not in page.text
    page = await browser.submit("/inscription/recapitulatif", "/inscription/valider")
    assert page.location == "/inscription/bienvenue"
    assert accounts.users["lederf"].dossier_id is None


async def test_terms_must_be_ticked(browser):
    await fill_identity(browser)
    await browser.submit("/inscription/dossier", "/inscription/dossier", {"action": "sans"})
    page = await browser.submit("/inscription/conditions", "/inscription/conditions", {"terms_version": "2026-01"})
    assert page.status == 422
    sentence = "Vous devez accepter les conditions générales d'utilisation du site pour continuer votre inscription."
    assert '<p class="error-message" id="f-accepted-error">' in page.html
    assert sentence in page.text
    assert 'aria-describedby="f-accepted-error"' in page.html


async def test_cancel_deletes_the_draft_and_starts_over(browser, accounts):
    await fill_identity(browser)
    await browser.submit("/inscription/dossier", "/inscription/dossier", {"action": "sans"})
    await browser.submit(
        "/inscription/conditions", "/inscription/conditions", {"accepted": "oui", "terms_version": "2026-01"}
    )
    assert len(accounts.drafts) == 1
    page = await browser.submit("/inscription/recapitulatif", "/inscription/annuler")
    assert page.status == 303 and page.location == "/inscription/informations?message=annulee"
    assert accounts.drafts == {}
    assert page.cookies["pf_reg"]["max-age"] == "0"
    page = await browser.get(page.location)
    assert "Votre inscription a été annulée." in page.text
    assert 'value="Le Derf"' not in page.html
    assert (await browser.get("/inscription/recapitulatif")).location == "/inscription/informations"


async def test_steps_cannot_be_skipped(browser):
    assert (await browser.get("/inscription/conditions")).location == "/inscription/informations"
    await fill_identity(browser)
    assert (await browser.get("/inscription/recapitulatif")).location == "/inscription/dossier"
    page = await browser.get("/inscription/informations")
    # Steps not reached yet are not links.
    assert '<a href="/inscription/conditions">' not in page.html
    assert '<a href="/inscription/dossier">' in page.html


async def test_a_forged_draft_cookie_reaches_no_other_path(browser, accounts):
    browser.client.session.cookie_jar.update_cookies({"pf_reg": "../../api/accounts/me"})
    await browser.get("/inscription/informations")
    assert not [r for r in accounts.received if ".." in r["path"] or r["path"].startswith("/api/accounts/me")]


async def test_activation_happens_on_post_only(browser, accounts, dossier):
    accounts.add_user("lederf", status="pending_activation")
    accounts.activation_tokens["tok-1"] = "lederf"
    page = await browser.get("/activation?token=tok-1")
    assert page.status == 200
    assert "Activer mon compte" in page.text
    assert accounts.users["lederf"].status == "pending_activation"

    page = await browser.post("/activation", {"csrf_token": csrf_in(page.html, "/activation"), "token": "tok-1"})
    assert page.status == 303 and page.location == "/activation/terminee"
    assert accounts.users["lederf"].status == "active"
    assert "Votre compte est activé" in (await browser.get(page.location)).text


async def test_a_used_or_expired_activation_link_offers_to_start_again(browser):
    page = await browser.submit("/activation?token=perime", "/activation", {"token": "perime"})
    assert page.status == 410
    assert "Ce lien d'activation n'est plus valable" in page.text
    assert "Ce lien d'activation a expiré ou a déjà servi." in page.text
    assert '<a class="button" href="/inscription">Recommencer mon inscription</a>' in page.html
    assert (await browser.get("/activation")).status == 404


async def test_an_account_made_by_staff_chooses_its_password_on_activation(browser, accounts):
    accounts.add_user("agent", password="", status="pending_activation", roles=["messaging_staff"])
    accounts.activation_tokens["tok-staff"] = "agent"
    page = await browser.submit("/activation?token=tok-staff", "/activation", {"token": "tok-staff"})
    assert page.status == 200
    assert 'name="with_password" value="oui"' in page.html and 'autocomplete="new-password"' in page.html
    assert accounts.users["agent"].status == "pending_activation"

    fields = {"token": "tok-staff", "with_password": "oui", "password": "Un-mot-de-passe-2026", "confirmation": "autre"}
    page = await browser.post("/activation", {"csrf_token": csrf_in(page.html, "/activation"), **fields})
    assert page.status == 422 and "ne sont pas identiques" in page.text
    fields["confirmation"] = fields["password"]
    page = await browser.post("/activation", {"csrf_token": csrf_in(page.html, "/activation"), **fields})
    assert page.status == 303 and page.location == "/activation/terminee"
    assert accounts.users["agent"].status == "active"
    assert accounts.users["agent"].password == "Un-mot-de-passe-2026"
