"""Screenshots of every page the demo parent reaches, on a phone (390×844) and a desktop
(1280×900): ``scripts/screenshots`` (or ``python -m tests.e2e.screenshots [folder]`` from
the repository's root, with tests/support on PYTHONPATH).

Starts the whole portal as real processes with its demonstration data (the stack of the
browser and system tests, tests/support/portal_stack: throwaway databases and a RabbitMQ
vhost of its own, removed afterwards), signs in as ``lederf``, writes one message to the
town and asks for a tax attestation (so that those pages have something to show), then
walks every link from the home page (three links deep, as test_parent_pages does) and saves
a full-page screenshot of each page at both sizes into ``var/screenshots/`` (git-ignored:
screenshots are looked at, never committed). Exits non-zero when a link is broken.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

from portal_stack.portal import DEMO_PARENT, stack_fixture
from servicekit.db import drop_database, ensure_database
from servicekit.testing import AMQP_BASE, dsn_for

from .conftest import CHROMIUM, CHROMIUM_ARGS
from .crawl import crawl
from .parent_site import VIEWPORTS

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FOLDER = ROOT / "var" / "screenshots"


def file_name(path: str) -> str:
    """« /planning/<id>/2026-12?x=1 » → « planning-<id>-2026-12-x-1 » (« accueil » for /)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "accueil"


async def sign_in(page, base: str) -> None:
    username, password = DEMO_PARENT
    await page.goto(base + "/connexion")
    await page.fill("#f-username", username)
    await page.fill("#f-password", password)
    await page.click("form.form button:has-text('Se connecter')")
    await page.wait_for_url(base + "/")


async def give_pages_something_to_show(page, base: str) -> None:
    """A message to the town and an attestation request, through the pages themselves."""
    await page.goto(base + "/messagerie/nouveau")
    options = await page.eval_on_selector_all("#f-theme_id option", "os => os.map(o => o.value).filter(Boolean)")
    if options:
        await page.select_option("#f-theme_id", options[0])
        await page.fill("#f-subject", "Allergie d'Arthur")
        await page.fill("#f-body", "Bonjour,\nArthur est allergique aux arachides.\nMerci.")
        await page.click("form.form button:has-text('Envoyer')")
        await page.wait_for_load_state()
    await page.goto(base + "/mon-dossier/documents")
    if await page.locator("#f-year option[value]:not([value=''])").count():
        await page.select_option("#f-year", index=1)
        await page.click("button:has-text('Demander une attestation fiscale')")
        await page.wait_for_load_state()


async def shoot(base: str, folder: Path) -> int:
    from playwright.async_api import async_playwright

    broken: dict[str, int] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for n, (name, viewport) in enumerate(VIEWPORTS.items()):
                (folder / name).mkdir(parents=True, exist_ok=True)
                context = await browser.new_context(locale="fr-FR", viewport=viewport)
                page = await context.new_page()
                await sign_in(page, base)
                if n == 0:
                    await give_pages_something_to_show(page, base)

                async def save(path: str, name=name, page=page) -> None:
                    await page.screenshot(path=folder / name / f"{file_name(path)}.png", full_page=True)

                done = await crawl(context, page, base, on_page=save)
                broken |= done.broken()
                print(f"{name}: {len(list((folder / name).glob('*.png')))} pages in {folder / name}")
                await context.close()
        finally:
            await browser.close()
    for path, status in broken.items():
        print(f"broken link: {path} → {status}", file=sys.stderr)
    return 1 if broken else 0


async def main(folder: Path) -> int:
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is absent (apt-get install -y chromium)", file=sys.stderr)
        return 2
    run = uuid.uuid4().hex[:8]
    made: list[str] = []

    async def make_database(label: str) -> str:
        dsn = dsn_for(f"shots_{run}_{label}_{len(made)}")
        await ensure_database(dsn)
        made.append(dsn)
        return dsn

    try:
        with tempfile.TemporaryDirectory(prefix="screenshots-logs-") as logs:
            print("Starting the portal with its demo data…")
            async with asynccontextmanager(stack_fixture)(make_database, AMQP_BASE, Path(logs)) as stack:
                print(f"Portal up at {stack.gateway_url}; screenshots into {folder}")
                return await shoot(stack.gateway_url, folder)
    finally:
        for dsn in made:
            await drop_database(dsn)


if __name__ == "__main__":
    target = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else DEFAULT_FOLDER
    sys.exit(asyncio.run(main(target)))
