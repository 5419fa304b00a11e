"""« Inscrivez-vous »: the 4-step wizard over the drafts API, then activation."""

from __future__ import annotations

import re

import pytest
from accounts.domain.errors import DOSSIER_MISMATCH
from gateway.clients.base import UpstreamProblem
from gateway.ui.forms import DEFAULT_SUMMARY_TITLE, Form, SummaryItem
from gateway.ui.registration import terms_blocks
from gateway.ui.registration_activation import mask_email

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


def main_text(page: Page) -> str:
    """The text of ``<main>`` only (not the title, header or footer)."""
    match = re.search(r"<main[^>]*>(.*)</main>", page.html, flags=re.DOTALL)
    assert match, "no <main>"
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
    # « Continuer sans » is a small link to a page that says what it costs, not a button.
    assert '<a href="/inscription/dossier/sans">Je n\'ai pas ces informations, continuer sans</a>' in page.html.replace(
        "&#39;", "'"
    )
    assert 'value="sans"' not in page.html and page.html.count("<button") == 1
    assert '<a href="/inscription/informations">← Étape précédente' in page.html

    # Back to step 1: what was typed is there again, but never the password.
    back = await browser.get("/inscription/informations")
    assert 'value="Le Derf"' in back.html and 'value="lederf"' in back.html
    assert IDENTITY["password"] not in back.html
    assert re.search(r'id="f-mobile_display"[^>]*checked', back.html)

    page = await browser.submit(
        "/inscription/dossier",
        "/inscription/dossier",
        {"dossier_number": "404", "dossier_name": "le dérf"},
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
    # Where the e-mail went, partly masked, and a way to have it again.
    assert "e-mail que nous vous avons envoyé à a•••@example.org" in page.text
    assert IDENTITY["email"] not in page.html
    assert '<form method="post" action="/inscription/bienvenue/renvoyer"' in page.html
    assert "Renvoyer l'e-mail" in page.text.replace("&#39;", "'")
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
    # Built on the name typed first, then on the names; never the taken one.
    assert "Nous vous proposons : pris2, lederf, lederf2, lederf3, arnaud.lederf." in page.text


async def test_the_username_typed_is_offered_as_it_can_be_written(browser, accounts):
    page = await fill_identity(browser, username="Arnaud Le Derf")
    assert page.status == 422
    assert "Le nom d'utilisateur ne peut contenir que" in page.text
    assert "Nous vous proposons : arnaudlederf, arnaudlederf2, lederf," in page.text
    # Taken meanwhile: it is not offered any more.
    accounts.add_user("arnaudlederf")
    page = await fill_identity(browser, username="Arnaud Le Derf")
    assert "Nous vous proposons : arnaudlederf2, lederf," in page.text


async def test_a_wrong_dossier_pair_is_said_once(browser, dossier):
    await fill_identity(browser)
    page = await browser.submit(
        "/inscription/dossier", "/inscription/dossier", {"dossier_number": "404", "dossier_name": "MARTIN"}
    )
    assert page.status == 422
    text = main_text(page)
    # One sentence about the pair: in the summary only (not as its heading, not under each
    # field), leading to the first field; the informative notice steps aside.
    assert text.count(DOSSIER_MISMATCH) == 1
    assert DEFAULT_SUMMARY_TITLE in text
    assert "Veuillez saisir les informations fournies par votre collectivité." not in text
    assert '<li id="erreur-1"><a href="#f-dossier_number">' in page.html
    assert 'class="error-message"' not in page.html
    for name in ("dossier_number", "dossier_name"):
        assert re.search(rf'id="f-{name}"[^>]*aria-describedby="f-{name}-hint erreur-1" aria-invalid="true"', page.html)
    # The summary takes the focus (no script needed).
    assert re.search(r'<div class="error-summary"[^>]*tabindex="-1"[^>]*autofocus', page.html)
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


async def continue_without(browser: Browser) -> Page:
    return await browser.submit("/inscription/dossier/sans", "/inscription/dossier/sans")


async def test_continue_without_a_dossier_is_confirmed_on_a_page_that_says_what_it_costs(browser, accounts):
    assert (await browser.get("/inscription/dossier/sans")).location == "/inscription/informations"
    await fill_identity(browser)
    page = await browser.get("/inscription/dossier/sans")
    assert page.status == 200
    text = main_text(page)
    assert "Continuer sans dossier ?" in text
    assert "ni réserver les activités de vos enfants, ni payer vos factures" in text
    assert "« Mon dossier »" in text
    assert '<a class="button" href="/inscription/dossier">Saisir mes références dossier</a>' in page.html
    # Opening the page changes nothing; the button does.
    draft = next(iter(accounts.drafts.values()))
    assert draft["step_done"]["dossier"] is False
    page = await continue_without(browser)
    assert page.status == 303 and page.location == "/inscription/conditions"
    assert draft["without_dossier"] is True
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
    await continue_without(browser)
    page = await browser.submit("/inscription/conditions", "/inscription/conditions", {"terms_version": "2026-01"})
    assert page.status == 422
    sentence = "Vous devez accepter les conditions générales d'utilisation du site pour continuer votre inscription."
    assert '<p class="error-message" id="f-accepted-error">' in page.html
    assert 'aria-describedby="f-accepted-error"' in page.html
    # Under the box and once in the summary — not in the blue notice, not as the heading.
    assert main_text(page).count(sentence) == 2
    assert '<a href="#f-accepted">' + sentence.replace("'", "&#39;") in page.html
    assert DEFAULT_SUMMARY_TITLE in main_text(page)
    assert 'class="notice notice-info"' not in page.html


async def test_the_terms_sub_headings_are_headings(browser):
    await fill_identity(browser)
    await continue_without(browser)
    page = await browser.get("/inscription/conditions")
    assert "<h4>Protection du Site (droits d&#39;auteur et droits voisins, droit des marques)</h4>" in page.html
    assert "<p>Toute reproduction sans accord est une contrefaçon.</p>" in page.html
    levels = [int(n) for n in re.findall(r"<h([1-6])", page.html)]
    assert levels == [1, 2, 3, 4], levels  # in order, none skipped


def test_terms_blocks_find_the_sub_headings():
    text = (
        "Le Site vous est proposé sous conditions.\n\n"
        "Protection du Site\nToute reproduction est interdite.\nSans accord écrit.\n\n"
        "## Données personnelles\n\n"
        "Vos droits : accès, rectification.\r\n\r\n"
        "Une ligne qui finit par deux points :\nla suite."
    )
    assert terms_blocks(text) == [
        ("paragraph", "Le Site vous est proposé sous conditions."),
        ("heading", "Protection du Site"),
        ("paragraph", "Toute reproduction est interdite. Sans accord écrit."),
        ("heading", "Données personnelles"),
        ("paragraph", "Vos droits : accès, rectification."),
        ("paragraph", "Une ligne qui finit par deux points : la suite."),
    ]


async def test_cancel_deletes_the_draft_and_starts_over(browser, accounts):
    await fill_identity(browser)
    await continue_without(browser)
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
    # Why a button: one line, so that the parent is not surprised by the extra click.
    assert "Pour votre sécurité, l'activation se fait en cliquant sur ce bouton" in page.text.replace("&#39;", "'")
    assert accounts.users["lederf"].status == "pending_activation"

    page = await browser.post("/activation", {"csrf_token": csrf_in(page.html, "/activation"), "token": "tok-1"})
    assert page.status == 303 and page.location == "/activation/terminee"
    assert accounts.users["lederf"].status == "active"
    assert "Votre compte est activé" in (await browser.get(page.location)).text


async def test_an_unknown_or_expired_activation_link_offers_to_start_again(browser):
    page = await browser.submit("/activation?token=perime", "/activation", {"token": "perime"})
    assert page.status == 404
    assert "Ce lien d'activation n'est plus valable" in page.text
    assert "Ce lien d'activation n'est pas valide ou n'existe plus." in page.text
    assert '<a class="button" href="/inscription">Recommencer mon inscription</a>' in page.html
    assert '<a href="/inscription/bienvenue">Recevoir un nouvel e-mail d&#39;activation</a>' in page.html
    assert (await browser.get("/activation")).status == 404


async def test_a_link_used_already_offers_to_sign_in(browser, accounts):
    accounts.add_user("lederf", status="pending_activation")
    accounts.activation_tokens["tok-1"] = "lederf"
    page = await browser.submit("/activation?token=tok-1", "/activation", {"token": "tok-1"})
    assert page.location == "/activation/terminee"
    page = await browser.submit("/activation?token=tok-1", "/activation", {"token": "tok-1"})
    assert page.status == 410
    assert "Votre compte est actif : vous pouvez vous connecter." in page.text
    # The main button does what the sentence says.
    assert '<a class="button" href="/connexion">Se connecter</a>' in page.html
    assert "Recommencer mon inscription" not in page.text
    assert '<a href="/mot-de-passe-oublie">Mot de passe oublié ?</a>' in page.html


def test_addresses_are_masked_on_the_welcome_page():
    assert mask_email("jeanne.martin@exemple.fr") == "j•••@exemple.fr"
    assert mask_email("a@b.fr") == "a•••@b.fr"
    assert mask_email("pas-une-adresse") == "" and mask_email("@exemple.fr") == ""


async def registered(browser: Browser, accounts) -> None:
    await fill_identity(browser)
    await continue_without(browser)
    await browser.submit(
        "/inscription/conditions", "/inscription/conditions", {"accepted": "oui", "terms_version": "2026-01"}
    )
    page = await browser.submit("/inscription/recapitulatif", "/inscription/valider")
    assert page.location == "/inscription/bienvenue"


async def test_the_activation_e_mail_can_be_sent_again(browser, accounts):
    await registered(browser, accounts)
    first = set(accounts.activation_tokens)
    page = await browser.submit("/inscription/bienvenue", "/inscription/bienvenue/renvoyer")
    assert page.status == 303 and page.location == "/inscription/bienvenue?envoye=1"
    assert accounts.resend_requests == [IDENTITY["email"]]
    assert set(accounts.activation_tokens).isdisjoint(first) and len(accounts.activation_tokens) == 1
    page = await browser.get(page.location)
    assert "Un nouvel e-mail d'activation vient d'être envoyé à a•••@example.org." in page.text.replace("&#39;", "'")

    # Past a few requests: a French sentence saying when to try again, and nothing sent.
    for _ in range(2):
        await browser.submit("/inscription/bienvenue", "/inscription/bienvenue/renvoyer")
    page = await browser.submit("/inscription/bienvenue", "/inscription/bienvenue/renvoyer")
    assert page.status == 429 and page.headers["Retry-After"] == "600"
    assert "Vous avez déjà demandé plusieurs e-mails d'activation." in page.text.replace("&#39;", "'")
    assert "Merci de réessayer dans 10 minutes." in page.text
    assert len(accounts.resend_requests) == 3


async def test_resending_needs_the_form_s_csrf_token(browser, accounts):
    await registered(browser, accounts)
    page = await browser.post("/inscription/bienvenue/renvoyer", {})
    assert page.status == 403
    assert accounts.resend_requests == []


async def test_without_the_welcome_cookie_the_address_is_typed_and_nothing_is_told(browser, accounts):
    accounts.add_user("attente", status="pending_activation", email="attente@example.org")
    page = await browser.get("/inscription/bienvenue")
    assert 'id="f-email"' in page.html and "•••" not in page.text
    empty = await browser.submit("/inscription/bienvenue", "/inscription/bienvenue/renvoyer", {"email": ""})
    assert empty.status == 422 and "Saisissez l'adresse e-mail utilisée" in empty.text.replace("&#39;", "'")
    answers = []
    for address in ("attente@example.org", "personne@example.org"):
        page = await browser.submit("/inscription/bienvenue", "/inscription/bienvenue/renvoyer", {"email": address})
        assert page.status == 303
        answers.append((await browser.get(page.location)).text)
    # A known address and an unknown one read the same.
    assert answers[0] == answers[1]
    assert "Si un compte en attente d'activation utilise cette adresse" in answers[0].replace("&#39;", "'")
    page = await browser.submit("/inscription/bienvenue", "/inscription/bienvenue/renvoyer", {"email": "pas-une"})
    assert page.status == 422 and "Saisissez une adresse e-mail valide" in page.text


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


def test_a_form_says_each_error_once():
    # One sentence given for two fields: about them together, once, leading to the first.
    form = Form()
    refusal = {"title": "Ces références ne correspondent pas.", "errors": []}
    for name in ("dossier_number", "dossier_name"):
        refusal["errors"].append({"field": name, "code": "dossier_mismatch", "message": refusal["title"]})
    form.apply_problem(UpstreamProblem(422, refusal), ("dossier_number", "dossier_name"))
    assert form.errors == {}
    assert form.summary_entries == [SummaryItem("Ces références ne correspondent pas.", "dossier_number", "erreur-1")]
    assert form.summary_heading == DEFAULT_SUMMARY_TITLE
    assert form.invalid("dossier_name") and form.shared_error_ids("dossier_name") == ["erreur-1"]

    # A field's own error: in the list once (never as the heading too); a general sentence
    # shown as the heading is not listed again.
    form = Form(summary_title="Compte non activé", general=["Compte non activé", "Autre chose."])
    form.error("email", "Saisissez votre adresse e-mail.")
    form.error("email", "Une seconde phrase pour le même champ.")
    assert form.summary_items == [(None, "Autre chose."), ("email", "Saisissez votre adresse e-mail.")]
    assert form.summary_heading == "Compte non activé"
    form = Form(summary_title="Saisissez votre adresse e-mail.")
    form.error("email", "Saisissez votre adresse e-mail.")
    assert form.summary_heading == DEFAULT_SUMMARY_TITLE
