"""The registration pages of issue 12 in Chromium, on a phone (390×844) and a desktop (1280×900).

Through the real accounts and messaging: each error said once and the focus on the error
summary (whose link leads to the field), « continuer sans » a discreet link confirmed on
its own page, the terms' sub-headings as headings, the welcome page's masked address and
« Renvoyer l'e-mail » (a second e-mail arrives, the first link stops working), a used
activation link whose main button is « Se connecter », and the login page's one word,
« Nom d'utilisateur ».
"""

from __future__ import annotations

import re
import secrets

import pytest
from accounts.domain.errors import BAD_CREDENTIALS, DOSSIER_MISMATCH
from servicekit.testing import eventually

from . import test_accessibility as accessibility
from . import test_parent_journey as parent_journey
from .support import artifact, body_text, fill_registration_identity, unavailable

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

VIEWPORTS = {"telephone": {"width": 390, "height": 844}, "ordinateur": {"width": 1280, "height": 900}}
PASSWORD = "Portail-Inscription-2026"
ACCEPT_TERMS = "Vous devez accepter les conditions générales d'utilisation du site pour continuer votre inscription."
LINK = re.compile(r"https?://[^\s\"'<>]+/activation\?token=[^\s\"'<>]+")
NEEDED = (*parent_journey.NEEDED, ("accounts", "GET", "/api/accounts/activation-resends"))

FOCUSED = """() => {
  const el = document.activeElement;
  return {id: el.id, tag: el.tagName.toLowerCase(), cls: el.className || "", href: el.getAttribute("href"),
          outline: getComputedStyle(el).outlineStyle};
}"""
BOX = "el => { const b = el.getBoundingClientRect(); return {top: b.top, width: b.width, height: b.height,"
BOX += " font: parseFloat(getComputedStyle(el).fontSize)}; }"


@pytest.fixture(scope="module")
async def ready(suite):
    await parent_journey.require_endpoints(suite, NEEDED)


axe = accessibility.axe  # the same axe-core, for the pages this module adds


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
async def screen(request, chromium):
    context = await chromium.new_context(locale="fr-FR", viewport=VIEWPORTS[request.param])
    page = await context.new_page()
    yield request.param, page
    await context.close()


async def main_text(page) -> str:
    return " ".join((await page.inner_text("main")).replace("\u00a0", " ").split())


async def focused(page) -> dict:
    return await page.evaluate(FOCUSED)


async def assert_summary_has_focus_and_leads_to(page, field: str) -> None:
    """The page came back with errors: the summary has the focus, its link leads to ``field``."""
    # ``autofocus`` is applied at the browser's next rendering step, not when the element is
    # parsed: wait for it (a page where it never comes fails the assertion below, which says
    # what has the focus instead).
    from playwright.async_api import TimeoutError as PlaywrightTimeout  # as conftest: imported when used

    try:
        await page.wait_for_function("() => document.activeElement && document.activeElement.id === 'erreurs'",
                                     timeout=5000)  # fmt: skip
    except PlaywrightTimeout:
        pass
    now = await focused(page)
    assert now["id"] == "erreurs" and now["outline"] != "none", now
    await page.keyboard.press("Tab")
    link = await focused(page)
    assert link["tag"] == "a" and link["href"] == f"#{field}", link
    await page.keyboard.press("Enter")
    assert (await focused(page))["id"] == field


async def assert_fits(page, viewport: str) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORTS[viewport]["width"], f"the page scrolls sideways ({width}px)"


async def mails(sink, address: str) -> list[str]:
    return [body_text(m) for m in sink.to(address)]


async def test_the_wizard_says_each_error_once(screen, suite, ready, mail_sink, axe):
    viewport, page = screen
    tag = secrets.token_hex(3)
    number, address = f"R{tag}".upper(), f"claire.martin.{tag}@example.org"
    await parent_journey.create_dossier(suite, number, address)
    base = suite.gateway_url

    await page.goto(base + "/inscription/informations")
    await fill_registration_identity(page, base, email=address, username=f"cmartin{tag}", password=PASSWORD)

    # « Continuer sans »: a small link under the form, not a button as big as « Enregistrer ».
    button = await page.locator("form.form button:has-text('Enregistrer')").evaluate(BOX)
    without = page.locator("main a:has-text(\"Je n'ai pas ces informations, continuer sans\")")
    assert await page.locator("main button:has-text('continuer sans')").count() == 0
    box = await without.evaluate(BOX)
    assert box["top"] > button["top"] and box["height"] < button["height"] and box["font"] <= button["font"]
    assert box["width"] * box["height"] < button["width"] * button["height"]
    await assert_fits(page, viewport)
    await page.screenshot(path=str(artifact(f"inscription-dossier-{viewport}.png")), full_page=True)

    # A wrong pair: one sentence, once, in the summary that takes the focus.
    await page.fill("#f-dossier_number", number)
    await page.fill("#f-dossier_name", "DUPONT")
    await page.click("form.form button:has-text('Enregistrer')")
    await page.wait_for_selector(".error-summary")
    text = await main_text(page)
    assert text.count(DOSSIER_MISMATCH) == 1, text
    assert "Veuillez saisir les informations fournies" not in text
    for name in ("f-dossier_number", "f-dossier_name"):
        assert await page.get_attribute(f"#{name}", "aria-invalid") == "true"
    await page.screenshot(path=str(artifact(f"inscription-dossier-erreur-{viewport}.png")), full_page=True)
    await assert_summary_has_focus_and_leads_to(page, "f-dossier_number")

    # « Continuer sans dossier ? » says what it costs; the parent goes back instead.
    await without.click()
    await page.wait_for_url(base + "/inscription/dossier/sans")
    text = await main_text(page)
    assert "Continuer sans dossier ?" in text and "ni réserver les activités" in text and "« Mon dossier »" in text
    await assert_fits(page, viewport)
    await page.screenshot(path=str(artifact(f"inscription-sans-dossier-{viewport}.png")), full_page=True)
    accessibility.assert_accessible(await accessibility.audit(page, axe, f"continuer sans dossier ({viewport})"))
    await page.click("main a:has-text('Saisir mes références dossier')")
    await page.wait_for_url(base + "/inscription/dossier")
    await page.fill("#f-dossier_number", number)
    await page.fill("#f-dossier_name", "martin")
    await page.click("form.form button:has-text('Enregistrer')")
    await page.wait_for_url(base + "/inscription/conditions")

    # The terms' sub-headings are headings, in order; refusing says it under the box and
    # in the summary, not in the blue notice nor as the summary's heading.
    headings = await page.eval_on_selector_all(
        "main h1, main h2, main h3, main h4", "hs => hs.map(h => [h.tagName, h.innerText.trim()])"
    )
    levels = [int(tag_name[1]) for tag_name, _ in headings]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), headings
    assert ["H4", "Données personnelles"] in headings, headings
    await page.click("form.form button:has-text('Accepter')")
    await page.wait_for_selector(".error-summary")
    text = await main_text(page)
    assert text.count(ACCEPT_TERMS) == 2, text
    assert await page.locator(".notice-info").count() == 0
    await assert_summary_has_focus_and_leads_to(page, "f-accepted")
    await page.check("#f-accepted")
    await page.click("form.form button:has-text('Accepter')")
    await page.wait_for_url(base + "/inscription/recapitulatif")
    await page.click("button:has-text('Valider mon inscription')")
    await page.wait_for_url(base + "/inscription/bienvenue")

    # Where the e-mail went (masked), and « Renvoyer l'e-mail ».
    text = await main_text(page)
    assert "e-mail que nous vous avons envoyé à c•••@example.org" in text and address not in text
    await assert_fits(page, viewport)
    await page.screenshot(path=str(artifact(f"bienvenue-{viewport}.png")), full_page=True)
    try:
        await eventually(lambda: _count(mail_sink, address, 1), timeout=30)
    except AssertionError:
        unavailable("messaging sent no activation e-mail within 30 s:\n" + suite.log_tail("messaging", 15))
    await page.click("main button:has-text(\"Renvoyer l'e-mail\")")
    await page.wait_for_url(base + "/inscription/bienvenue?envoye=1")
    assert "Un nouvel e-mail d'activation vient d'être envoyé à c•••@example.org." in await main_text(page)
    await eventually(lambda: _count(mail_sink, address, 2), timeout=30)
    first, second = await mails(mail_sink, address)
    assert PASSWORD not in first + second
    old_link, new_link = LINK.search(first).group(0), LINK.search(second).group(0)
    assert old_link != new_link

    # The first link no longer works; the new one shows a button and says why.
    await page.goto(old_link)
    await page.click("main button:has-text('Activer mon compte')")
    assert "Ce lien d'activation n'est plus valable" in await main_text(page)
    await page.goto(new_link)
    assert "Pour votre sécurité, l'activation se fait en cliquant sur ce bouton" in await main_text(page)
    await page.click("main button:has-text('Activer mon compte')")
    await page.wait_for_url(base + "/activation/terminee")

    # Used again: the account is active, so the main button signs in.
    await page.goto(new_link)
    await page.click("main button:has-text('Activer mon compte')")
    text = await main_text(page)
    assert "Votre compte est actif : vous pouvez vous connecter." in text
    assert await page.inner_text("main a.button") == "Se connecter"
    assert "Recommencer mon inscription" not in text
    await page.screenshot(path=str(artifact(f"activation-deja-utilisee-{viewport}.png")), full_page=True)


async def _count(sink, address: str, n: int) -> bool:
    return len(sink.to(address)) >= n


async def test_login_says_a_wrong_pair_once_with_one_word_for_the_username(screen, suite):
    viewport, page = screen
    await page.goto(suite.gateway_url + "/connexion")
    assert (await page.inner_text("label[for=f-username]")).endswith("Nom d'utilisateur")
    assert "Identifiant" not in await main_text(page)
    await page.fill("#f-username", f"inconnu{secrets.token_hex(3)}")
    await page.fill("#f-password", "Pas-Le-Bon-2026")
    await page.click("form.form button:has-text('Se connecter')")
    await page.wait_for_selector(".error-summary")
    assert (await main_text(page)).count(BAD_CREDENTIALS) == 1
    assert await page.get_attribute("#f-password", "aria-invalid") == "true"
    await assert_fits(page, viewport)
    await assert_summary_has_focus_and_leads_to(page, "f-username")
