"""The login form with the keyboard only, and the pages at a phone's size (390×844)."""

from __future__ import annotations

import pytest

from .support import artifact

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    id: el.id, tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || "").trim(),
    outline: style.outlineStyle, width: parseFloat(style.outlineWidth) || 0,
  };
}"""


async def tab(page) -> dict:
    await page.keyboard.press("Tab")
    return await page.evaluate(FOCUSED)


async def test_login_form_with_the_keyboard_only(page, suite):
    await page.goto(suite.gateway_url + "/connexion")
    first = await tab(page)
    assert first["text"] == "Aller au contenu", first
    assert await page.locator(".skip-link").is_visible()

    order = [first]
    for _ in range(15):
        focused = await tab(page)
        order.append(focused)
        if focused["id"] == "f-username":
            break
    else:
        pytest.fail(f"the username field is never reached with Tab: {order}")
    # Skip link, the brand, « Se connecter », the main navigation, then the form.
    texts = [" ".join(f["text"].split()) for f in order[:-1]]
    assert texts == [
        "Aller au contenu",
        "Portail Famille Puiseux-en-France",
        "Se connecter",
        "Mon dossier",
        "Planning",
        "Facturation",
        "Messagerie / nous contacter",
    ], texts

    password = await tab(page)
    button = await tab(page)
    forgotten = await tab(page)
    register = await tab(page)
    assert password["id"] == "f-password"
    assert (button["tag"], button["text"]) == ("button", "Se connecter")
    assert forgotten["text"] == "Mot de passe oublié ?"
    assert register["text"] == "Inscrivez-vous"
    for focused in [*order, password, button, forgotten, register]:
        assert focused["outline"] != "none" and focused["width"] >= 2, f"focus not visible on {focused}"

    # Enter in the form submits it; the errors come back beside the fields.
    await page.focus("#f-username")
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".error-summary")
    assert "Saisissez votre nom d'utilisateur." in await page.inner_text(".error-summary")
    assert await page.get_attribute("#f-username", "aria-describedby") == "f-username-error"
    await page.click(".error-summary a[href='#f-username']")
    assert (await page.evaluate(FOCUSED))["id"] == "f-username"


@pytest.mark.parametrize(
    ("path", "name"), [("/connexion", "connexion"), ("/inscription", "inscription-etape-1"), ("/", "accueil")]
)
async def test_pages_fit_a_phone(page, suite, path, name):
    await page.goto(suite.gateway_url + path)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    assert "Puiseux-en-France" in await page.inner_text("header")
    await page.screenshot(path=str(artifact(f"{name}-390x844.png")), full_page=True)
