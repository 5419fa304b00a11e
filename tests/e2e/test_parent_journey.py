"""A parent's first connection, end to end, through the real processes and Chromium.

Register with the dossier references the town gave → the activation e-mail arrives (with
the username, never the password) → its link, opened in the browser, activates → log in
→ « Mon dossier » → « Modifier » the phone → « Valider » → the change is shown.
"""

from __future__ import annotations

import re
import secrets

import aiohttp
import pytest
from servicekit.testing import eventually

from .support import artifact, body_text, fill_registration_identity, unavailable

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PASSWORD = "Portail-Essai-2026"

# Each endpoint the journey needs, probed with a method it does not serve: aiohttp says
# 405 for a route that exists and 404 for one that does not.
NEEDED = (
    ("accounts", "GET", "/internal/registration-drafts"),
    ("accounts", "GET", "/internal/registration-drafts/probe/submit"),
    ("accounts", "POST", "/api/accounts/username-suggestions"),
    ("accounts", "GET", "/internal/sessions/resolve"),
    ("accounts", "GET", "/api/accounts/sessions"),
    ("accounts", "GET", "/api/accounts/activations"),
    ("accounts", "PUT", "/api/accounts/admin/dossiers"),
    ("accounts", "PUT", "/api/accounts/dossier"),
)


# What a parent who already has an account needs (the demo data's Le Derf family).
NEEDED_TO_SIGN_IN = (
    ("accounts", "GET", "/internal/sessions/resolve"),
    ("accounts", "GET", "/api/accounts/sessions"),
    ("accounts", "PUT", "/api/accounts/dossier"),
    ("accounts", "GET", "/api/accounts/sessions/current"),
)
DEMO_PARENT = ("lederf", "Portail-Famille-404")


async def require_endpoints(suite, needed) -> None:
    missing = []
    async with aiohttp.ClientSession() as session:
        for service, method, path in needed:
            base = suite.accounts_url if service == "accounts" else suite.messaging_url
            async with session.request(method, base + path) as resp:
                if resp.status == 404:
                    missing.append(f"{service} {path}")
    if missing:
        unavailable("endpoints not implemented yet: " + ", ".join(missing))


@pytest.fixture(scope="module")
async def endpoints_ready(suite):
    await require_endpoints(suite, NEEDED)


async def create_dossier(suite, number: str, email: str) -> None:
    dossier = {
        "number": number,
        "family_name": "MARTIN",
        "adults": [{"last_name": "Martin", "first_name": "Claire", "email": email, "phone": "06 11 22 33 44"}],
        "children": [
            {
                "first_name": "Léa",
                "last_name": "Martin",
                "birth_date": "2019-04-02",
                "school": "École Jules Ferry",
                "level": "CE1",
            }
        ],
    }
    url = suite.accounts_url + "/api/accounts/admin/dossiers"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=dossier, headers=suite.staff_headers()) as resp,
    ):
        assert resp.status == 201, f"the town could not create the dossier: {resp.status} {await resp.text()}"


async def test_first_connection_then_edit_the_dossier(page, suite, endpoints_ready, mail_sink):
    tag = secrets.token_hex(3)
    number, username = f"E2E{tag}".upper(), f"cmartin{tag}"
    address = f"claire.martin.{tag}@example.org"
    await create_dossier(suite, number, address)
    base = suite.gateway_url

    # « Inscrivez-vous », step 1 « Mes informations ».
    await page.goto(base + "/")
    await page.click("text=Inscrivez-vous")
    await page.wait_for_url(base + "/inscription/informations")
    assert "Étape 1/4" in await page.inner_text("[aria-current=step]")
    await fill_registration_identity(page, base, email=address, username=username, password=PASSWORD)

    # Step 2 « Mes références dossier », the name typed without capitals.
    await page.fill("#f-dossier_number", number)
    await page.fill("#f-dossier_name", "martin")
    await page.click("button:has-text('Enregistrer')")

    # Step 3 « Conditions d'utilisation ».
    await page.wait_for_url(base + "/inscription/conditions")
    await page.check("#f-accepted")
    await page.click("button:has-text('Accepter')")

    # Step 4 « Récapitulatif ».
    await page.wait_for_url(base + "/inscription/recapitulatif")
    summary = await main_text(page)
    assert "Récapitulatif de mon inscription" in summary and number in summary and username in summary
    await page.click("button:has-text('Valider mon inscription')")
    await page.wait_for_url(base + "/inscription/bienvenue")
    assert "Claire Martin, votre espace personnel a été créé." in await main_text(page)

    # The activation e-mail: the username and a link, never the password.
    try:
        await eventually(lambda: _has_mail(mail_sink, address), timeout=30)
    except AssertionError:
        unavailable("messaging sent no activation e-mail within 30 s:\n" + suite.log_tail("messaging", 15))
    message = mail_sink.to(address)[0]
    text = body_text(message)
    assert username in text
    assert PASSWORD not in text and PASSWORD not in str(message)
    link = re.search(r"https?://[^\s\"'<>]+/activation\?token=[^\s\"'<>]+", text)
    assert link, f"no activation link in the e-mail:\n{text}"
    assert link.group(0).startswith(base)

    # The link only shows a button (mail scanners prefetch links); the button activates.
    await page.goto(link.group(0))
    await page.click("button:has-text('Activer mon compte')")
    await page.wait_for_url(base + "/activation/terminee")
    assert "Votre compte est activé" in await main_text(page)

    # Log in.
    await page.click("main >> text=Se connecter")
    await page.wait_for_url(re.compile(r".*/connexion.*"))
    await page.fill("#f-username", username)
    await page.fill("#f-password", PASSWORD)
    await page.click("form.form button:has-text('Se connecter')")
    await page.wait_for_url(base + "/")
    assert "Bonjour Claire" in await main_text(page)
    assert "Mon compte" in await page.inner_text("header")

    # « Mon dossier » → « Modifier » → « Valider ».
    await page.click("nav.main-nav >> text=Mon dossier")
    await page.wait_for_url(base + "/dossier")
    view = await main_text(page)
    assert "Consulter mon dossier" in view and "Léa" in view
    await page.click("a:has-text('Modifier')")
    await page.wait_for_url(base + "/dossier/modifier")
    await page.fill("#f-adults-0-phone_mobile", "07 98 76 54 32")
    await page.click("button:has-text('Valider')")
    await page.wait_for_url(re.compile(r".*/dossier\?message=modifie$"))
    view = await main_text(page)
    assert "Vos modifications ont été enregistrées." in view
    assert "07 98 76 54 32" in view
    await page.screenshot(path=str(artifact("mon-dossier-390x844.png")), full_page=True)

    # Signing out ends the session.
    await page.click("button:has-text('Se déconnecter')")
    await page.wait_for_url(re.compile(r".*/connexion\?message=deconnecte$"))
    await page.goto(base + "/dossier")
    assert "/connexion?next=/dossier" in page.url


async def main_text(page) -> str:
    """The page's main text, with its non-breaking spaces (before « : ») made plain."""
    return " ".join((await page.inner_text("main")).replace("\u00a0", " ").split())


async def _has_mail(sink, address: str) -> bool:
    return bool(sink.to(address))


async def test_a_parent_with_an_account_edits_the_dossier(page, suite):
    await require_endpoints(suite, NEEDED_TO_SIGN_IN)
    base = suite.gateway_url
    await page.goto(base + "/dossier/modifier")
    await page.wait_for_url(re.compile(r".*/connexion\?next=/dossier/modifier$"))
    await page.fill("#f-username", DEMO_PARENT[0])
    await page.fill("#f-password", DEMO_PARENT[1])
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + "/dossier/modifier")
    await page.fill("#f-adults-0-phone_home", "01 34 56 78 90")
    await page.check("#f-invoices_by_email")
    await page.click("button:has-text('Valider')")
    await page.wait_for_url(re.compile(r".*/dossier\?message=modifie$"))
    view = await main_text(page)
    assert "Vos modifications ont été enregistrées." in view
    assert "01 34 56 78 90" in view
    assert "Arthur Le Derf" in view and "14/05/2018" in view
    assert "Recevoir mes factures par e-mail : Oui" in view
    assert "Service enfance (dossier 404)" in view and "Active" in view


def test_probe_lists_name_real_paths():
    # A typo here would make a journey skip for ever: keep them under known prefixes.
    for service, method, path in (*NEEDED, *NEEDED_TO_SIGN_IN):
        assert service in ("accounts", "messaging") and method in ("GET", "POST", "PUT")
        assert path.startswith(("/internal/", "/api/accounts/")), path
