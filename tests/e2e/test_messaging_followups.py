"""« Messagerie / nous contacter » after the first message (issue 12, point 9), in Chromium
on a phone (390×844) and a desktop (1280×900), through the real processes.

- one « Écrire un message » action, then the conversations;
- « Répondre » puts the focus in the reply's text box, with and without JavaScript;
- the confirmation says the e-mail copy as messaging stored it;
- after « Supprimer », « Message(s) envoyé(s) » says the parent emptied it (not that
  nothing was ever sent), and the e-mail « La mairie a répondu » leads to a page that says
  the conversation was deleted and offers « Écrire un message » — while another family
  following the same link gets the plain « Page introuvable »;
- follow-up actions are 44 px targets on the phone; axe-core finds nothing on these pages.
"""

from __future__ import annotations

import re
import secrets

import pytest
from servicekit.testing import eventually

from . import test_messaging_journey as journey
from .support import artifact, body_text
from .test_accessibility import assert_accessible, audit
from .test_accessibility import axe as axe  # noqa: F401 (the fixture, shared)
from .test_parent_journey import main_text, require_endpoints

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

VIEWPORTS = {"telephone": {"width": 390, "height": 844}, "ordinateur": {"width": 1280, "height": 900}}
TARGET_PX = 44

FOLLOW_UPS = """(selector) => [...document.querySelectorAll(selector)].map(el => {
  const box = el.getBoundingClientRect();
  return {text: el.innerText.trim(), height: box.height};
})"""


@pytest.fixture(scope="module")
async def parents(chromium, suite, mail_sink) -> dict:
    """Two active parents of two families, signed in (browser storage states)."""
    await require_endpoints(suite, journey.NEEDED)
    tag = secrets.token_hex(3)
    await journey.create_theme(suite, "Restauration", f"restauration-suite-{tag}")
    found = {}
    for who in ("claire", "voisin"):
        username, address = await journey.register_active_parent(suite, mail_sink, f"{who[:1]}{tag}")
        context = await chromium.new_context(locale="fr-FR")
        try:
            page = await context.new_page()
            await page.goto(suite.gateway_url + "/connexion")
            await page.fill("#f-username", username)
            await page.fill("#f-password", journey.PASSWORD)
            await page.click("form.form button:has-text('Se connecter')")
            await page.wait_for_url(suite.gateway_url + "/")
            found[who] = {"state": await context.storage_state(), "address": address}
        finally:
            await context.close()
    return found


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


async def open_as(chromium, parent: dict, viewport: str, *, javascript: bool = True):
    context = await chromium.new_context(
        locale="fr-FR", viewport=VIEWPORTS[viewport], storage_state=parent["state"], java_script_enabled=javascript
    )
    return context, await context.new_page()


async def write(page, base: str, subject: str, *, copy: bool) -> str:
    """From the box, the one « Écrire un message » action → the form → the confirmation."""
    await page.goto(base + "/messagerie")
    links = page.locator("main a[href='/messagerie/nouveau']")
    assert await links.count() == 1 and (await links.inner_text()).strip() == "Écrire un message"
    await links.click()
    await page.wait_for_url(base + "/messagerie/nouveau")
    await page.select_option("#f-theme_id", label="Restauration")
    await page.fill("#f-subject", subject)
    await page.fill("#f-body", "Bonjour,\nArthur mangera à la cantine le mercredi.\nMerci.")
    if copy:
        await page.check("#f-email_copy")
    await page.click("form.form button:has-text('Envoyer')")
    await page.wait_for_url(re.compile(r".*/messagerie/[0-9a-f-]{36}/confirmation$"))
    return re.search(r"/messagerie/([0-9a-f-]{36})/", page.url).group(1)


async def assert_targets(page, selector: str, viewport: str) -> None:
    if viewport != "telephone":
        return
    small = [f for f in await page.evaluate(FOLLOW_UPS, selector) if f["height"] < TARGET_PX]
    assert not small, f"follow-up targets under {TARGET_PX} px on the phone: {small}"


async def focused_id(page) -> str:
    return await page.evaluate("() => document.activeElement && document.activeElement.id")


async def test_write_reply_with_focus_then_delete_and_follow_the_emailed_link(
    chromium, suite, mail_sink, parents, axe, viewport
):
    base = suite.gateway_url
    subject = f"Cantine du mercredi {secrets.token_hex(2)}"
    context, page = await open_as(chromium, parents["claire"], viewport)
    try:
        await page.goto(base + "/messagerie")
        assert_accessible(await audit(page, axe, f"messagerie ({viewport})"))
        thread_id = await write(page, base, subject, copy=True)

        # The copy is said from the stored message (no ?copie=oui to trust).
        confirmation = await main_text(page)
        assert "Votre message a bien été envoyé." in confirmation
        assert "Une copie de votre message est envoyée à votre adresse e-mail." in confirmation
        await assert_targets(page, "main .link-list a", viewport)
        assert_accessible(await audit(page, axe, f"confirmation ({viewport})"))
        await page.screenshot(path=str(artifact(f"messagerie-confirmation-{viewport}.png")), full_page=True)

        # The town answers; « Répondre » puts the focus in the text box.
        await journey.staff_reply(suite, thread_id, "Bonjour,\nC'est noté.\nLe service Restauration")
        await page.goto(f"{base}/messagerie/{thread_id}")
        await assert_targets(page, "main .breadcrumb a, main .attachments a", viewport)
        assert_accessible(await audit(page, axe, f"fil ({viewport})"))
        await page.click("main .actions a:has-text('Répondre')")
        assert await focused_id(page) == "f-body"
        await page.keyboard.type("Merci !")
        assert await page.input_value("#f-body") == "Merci !"
        # By keyboard too: Enter on the link.
        await page.goto(f"{base}/messagerie/{thread_id}")
        await page.focus("main .actions a:has-text('Répondre')")
        await page.keyboard.press("Enter")
        await page.wait_for_function("() => document.activeElement && document.activeElement.id === 'f-body'")

        # « Supprimer »: then « Message(s) envoyé(s) » says the box was emptied by the parent.
        await page.click("main .actions a:has-text('Supprimer')")
        await page.wait_for_url(re.compile(rf".*/messagerie/{thread_id}/supprimer$"))
        assert_accessible(await audit(page, axe, f"supprimer ({viewport})"))
        await page.click("main button:has-text('Supprimer')")
        await page.wait_for_url(base + "/messagerie?message=supprime")
        await page.goto(base + "/messagerie?boite=envoyes")
        sent = await main_text(page)
        assert subject not in sent
        assert "Vous n'avez envoyé aucun message" not in sent
        assert "vous avez supprimé" in sent
        await assert_targets(page, "main .tabs a", viewport)
        assert_accessible(await audit(page, axe, f"envoyés après suppression ({viewport})"))

        # The e-mail « La mairie a répondu » still links to it: the page says what happened.
        def notices() -> list:
            return [
                m
                for m in mail_sink.to(parents["claire"]["address"])
                if "La mairie a répondu" in str(m["Subject"]) and thread_id in body_text(m)
            ]

        async def noticed() -> bool:
            return bool(notices())

        await eventually(noticed, timeout=30)
        notice = notices()[0]
        link = re.search(rf"https?://[^\s\"'<>]+/messagerie/{thread_id}", body_text(notice)).group(0)
        response = await page.goto(link)
        assert response.status == 410
        deleted = await main_text(page)
        assert "Conversation supprimée" in deleted
        assert "Vous avez supprimé cette conversation de votre messagerie" in deleted
        assert "Référence de la demande" not in deleted
        assert_accessible(await audit(page, axe, f"conversation supprimée ({viewport})"))
        await page.screenshot(path=str(artifact(f"messagerie-supprimee-{viewport}.png")), full_page=True)
        await page.click("main a:has-text('Écrire un message')")
        await page.wait_for_url(base + "/messagerie/nouveau")
    finally:
        await context.close()

    # Another family following the same link: a plain 404, no hint of a deleted thread.
    context, page = await open_as(chromium, parents["voisin"], viewport)
    try:
        response = await page.goto(f"{base}/messagerie/{thread_id}")
        assert response.status == 404
        text = await main_text(page)
        assert "Page introuvable" in text and "supprimé" not in text and subject not in text
    finally:
        await context.close()


async def test_repondre_focuses_the_text_box_without_javascript(chromium, suite, parents, viewport):
    base = suite.gateway_url
    context, page = await open_as(chromium, parents["claire"], viewport)
    try:
        thread_id = await write(page, base, f"Sans script {secrets.token_hex(2)}", copy=False)
        # No copy asked for: the confirmation does not claim one.
        assert "copie" not in (await main_text(page)).lower()
    finally:
        await context.close()
    context, page = await open_as(chromium, parents["claire"], viewport, javascript=False)
    try:
        await page.goto(f"{base}/messagerie/{thread_id}")
        await page.click("main .actions a:has-text('Répondre')")
        assert page.url.endswith("#f-body")
        assert await focused_id(page) == "f-body"
    finally:
        await context.close()
