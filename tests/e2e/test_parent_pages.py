"""The parent's pages as a whole, with Chromium, on the gateway's fakes (parent_site):

- the phone header (390×844) is short: at most 120 px (140 with « ergonomie mobile »), the
  menu on one line that scrolls sideways with a visible cue, the page's own <h1> on screen
  without scrolling;
- every link of every page a signed-in parent reaches works: a crawl from the home page
  (three links deep) meets no 404 and no 5xx — an item not built yet is absent, not a
  dead link;
- the follow-up actions (buttons, the links under forms and in cards) are 44 px targets on
  a phone.
"""

from __future__ import annotations

import pytest

from .crawl import crawl
from .parent_site import DESKTOP, PHONE, add_family, fake_site, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

HEADER_MAX = 120
HEADER_MAX_BIG_TEXT = 140
TARGET = 44
CRAWL_DEPTH = 3

LAYOUT = """() => {
  const header = document.querySelector("header").getBoundingClientRect();
  const h1 = document.querySelector("main h1").getBoundingClientRect();
  const ul = document.querySelector(".main-nav ul");
  const tops = [...ul.querySelectorAll("li")].map(li => Math.round(li.getBoundingClientRect().top));
  const style = getComputedStyle(ul);
  return {header: header.height, h1Top: h1.top, h1Bottom: h1.bottom, navTops: [...new Set(tops)],
          overflowX: style.overflowX, scrolls: ul.scrollWidth > ul.clientWidth,
          cue: style.backgroundImage, pageWidth: document.documentElement.scrollWidth};
}"""

# Buttons, links styled as buttons, links in cards (the home page's zones too), under forms
# and in « actions » rows.
TARGETS = """() => [...document.querySelectorAll(
    "main .button, main button, main .actions a, main .card-list a, main .documents a, main .target, main .zone a"
  )].filter(el => el.offsetParent !== null && !el.closest(".visually-hidden"))
    .map(el => {
      const box = el.getBoundingClientRect();
      return {text: (el.innerText || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 50),
              width: Math.round(box.width * 10) / 10, height: Math.round(box.height * 10) / 10};
    })"""


@pytest.fixture(scope="module")
async def site():
    async with fake_site() as running:
        yield running


@pytest.fixture(scope="module")
def family(site):
    return add_family(site)


def parent_pages(family) -> dict[str, str]:
    return {
        "accueil": "/",
        "mon-dossier": "/dossier",
        "modifier-mon-dossier": "/dossier/modifier",
        "mon-compte": "/compte",
        "mes-documents": "/mon-dossier/documents",
        "planning": "/planning",
        "planning-mois": f"/planning/{family['child']}/2026-12",
        "facturation": "/facturation",
        "historique": "/facturation/historique",
        "factures": "/facturation/factures",
        "facture": f"/facturation/factures/{family['invoice']}",
        "quotient-familial": "/facturation/quotient-familial",
        "messagerie": "/messagerie",
        "nouveau-message": "/messagerie/nouveau",
        "fil": f"/messagerie/{family['thread']}",
    }


async def signed_in(chromium, site, username: str, viewport: dict):
    context = await chromium.new_context(locale="fr-FR", viewport=viewport)
    page = await context.new_page()
    await sign_in(page, site, username)
    return context, page


@pytest.mark.parametrize("big_text", [False, True], ids=["normal", "ergonomie-mobile"])
async def test_the_phone_header_is_short_and_the_title_shows(chromium, site, family, big_text):
    username = family["username"]
    if big_text:
        accounts = site.state("accounts", "fake_accounts")
        user = accounts.users[username]
        username = user.username + "m"
        accounts.add_user(username, dossier_id=family["dossier"], mobile_display=True)
    limit = HEADER_MAX_BIG_TEXT if big_text else HEADER_MAX
    context, page = await signed_in(chromium, site, username, PHONE)
    problems = []
    try:
        for name, path in parent_pages(family).items():
            await page.goto(site.url + path)
            assert ("ergonomie-mobile" in (await page.get_attribute("body", "class") or "")) == big_text
            got = await page.evaluate(LAYOUT)
            if got["header"] > limit:
                problems.append(f"{name}: the header is {got['header']:.0f} px high (at most {limit})")
            if got["h1Bottom"] > PHONE["height"]:
                problems.append(f"{name}: the <h1> ends at {got['h1Bottom']:.0f} px, below the screen")
            if len(got["navTops"]) != 1:
                problems.append(f"{name}: the menu takes {len(got['navTops'])} lines")
            if got["scrolls"] and (got["overflowX"] != "auto" or "linear-gradient" not in got["cue"]):
                problems.append(f"{name}: the menu overflows without scrolling or without its cue")
            if got["pageWidth"] > PHONE["width"]:
                problems.append(f"{name}: the page is {got['pageWidth']} px wide, wider than the phone")
    finally:
        await context.close()
    assert not problems, "\n".join(problems)


async def test_the_menu_items_hidden_on_a_phone_come_into_view_with_the_keyboard(chromium, site, family):
    context, page = await signed_in(chromium, site, family["username"], PHONE)
    try:
        await page.goto(site.url + "/dossier")
        last = page.locator(".main-nav li:last-child a")
        await last.focus()
        box = await last.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    finally:
        await context.close()


async def test_every_link_a_parent_sees_works(chromium, site, family):
    """A crawl from the home page: every same-site link answers, none is 404 or 5xx."""
    context, page = await signed_in(chromium, site, family["username"], DESKTOP)
    try:
        done = await crawl(context, page, site.url, depth=CRAWL_DEPTH)
    finally:
        await context.close()
    assert len(done.status) > 30, f"the crawl reached only {sorted(done.status)}"
    broken = done.broken()
    assert not broken, "\n".join(f"{p} → {s} (linked from {done.found_on.get(p)})" for p, s in broken.items())


async def test_follow_up_actions_are_44_px_targets_on_a_phone(chromium, site, family):
    # A reply not read yet: the home page's « nouvelle réponse » link shows too.
    site.state("messaging", "fake_messaging").staff_reply(family["thread"])
    context, page = await signed_in(chromium, site, family["username"], PHONE)
    small = []
    try:
        for name, path in parent_pages(family).items():
            await page.goto(site.url + path)
            for target in await page.evaluate(TARGETS):
                if target["height"] < TARGET or target["width"] < TARGET:
                    small.append(f"{name}: « {target['text']} » {target['width']}×{target['height']} px")
    finally:
        await context.close()
    assert not small, f"targets smaller than {TARGET}×{TARGET} px on a phone:\n" + "\n".join(small)
