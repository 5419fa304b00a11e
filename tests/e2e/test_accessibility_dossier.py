"""Accessibility (axe-core, structure, keyboard: the checks of test_accessibility) of the
pages of « Mon dossier » and the shared layout, at a phone's size (390×844) and a desktop's
(1280×900), on the gateway's fakes (parent_site) where every part has something to show:
home, « Mon dossier » with its démarches, « Modifier », « Mon compte », « Mes documents »
(with an attestation request, after asking, with an error), and the menu on every page."""

from __future__ import annotations

import pytest

from .parent_site import VIEWPORTS, add_family, fake_site, sign_in
from .test_accessibility import assert_accessible, audit
from .test_accessibility import axe as axe  # noqa: F401  (the fixture, by its name)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PAGES = {
    "accueil": "/",
    "mon-dossier": "/dossier",
    "modifier-mon-dossier": "/dossier/modifier",
    "mon-compte": "/compte",
    "mes-documents": "/mon-dossier/documents",
}


@pytest.fixture(scope="module")
async def site():
    async with fake_site() as running:
        yield running


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
async def page(request, chromium, site):
    family = add_family(site)
    context = await chromium.new_context(locale="fr-FR", viewport=VIEWPORTS[request.param])
    page = await context.new_page()
    await sign_in(page, site, family["username"])
    page.viewport_name = request.param
    yield page
    await context.close()


async def test_the_dossier_pages_are_accessible(page, site, axe):
    problems = []
    for name, path in PAGES.items():
        await page.goto(site.url + path)
        problems += await audit(page, axe, f"{name} ({page.viewport_name})")
    assert_accessible(problems)


async def test_asking_for_an_attestation_is_accessible_with_an_error_and_after(page, site, axe):
    problems = []
    await page.goto(site.url + "/mon-dossier/documents")
    await page.click("button:has-text('Demander une attestation fiscale')")  # no year chosen
    await page.wait_for_selector(".error-summary")
    problems += await audit(page, axe, f"attestation sans année ({page.viewport_name})")
    await page.select_option("#f-year", index=1)  # the first year offered
    await page.click("button:has-text('Demander une attestation fiscale')")
    await page.wait_for_selector("text=Votre demande d'attestation fiscale est enregistrée")
    problems += await audit(page, axe, f"attestation demandée ({page.viewport_name})")
    assert_accessible(problems)
