"""« Messagerie / nous contacter », end to end, through the real processes and Chromium.

A parent with an active account writes to the town with « Confirmation par email » and a
PNG attached → the confirmation → « Message(s) envoyé(s) » → the copy e-mail arrives; an
agent of the theme's service answers through messaging's staff API → the home page says
« 1 nouvelle réponse » → the thread shows the reply, the count is back to none →
« Répondre » (the focus in the text box) → « Supprimer » takes it out of the parent's box,
and the e-mailed link then says the conversation was deleted.

The parent registers through accounts' wizard calls (the gateway's own, not the browser:
the registration pages have their journey) and activates with the e-mailed token; the
activation e-mail coming from messaging also proves messaging knows the parent's address.
The theme is created through messaging's staff API (no demonstration data there).
"""

from __future__ import annotations

import re
import secrets
import struct
import uuid
import zlib

import aiohttp
import pytest
from servicekit.identity import IDENTITY_HEADER, Identity, sign_identity
from servicekit.testing import eventually

from .support import artifact, body_text, unavailable
from .test_parent_journey import create_dossier, main_text, require_endpoints

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PASSWORD = "Portail-Messagerie-2026"

# Each endpoint the journey needs, probed with a method it does not serve (405: it exists).
NEEDED = (
    ("accounts", "GET", "/internal/registration-drafts"),
    ("accounts", "GET", "/internal/registration-drafts/probe/submit"),
    ("accounts", "GET", "/api/accounts/activations"),
    ("accounts", "PUT", "/api/accounts/admin/dossiers"),
    ("accounts", "GET", "/internal/sessions/resolve"),
    ("messaging", "PUT", "/api/messaging/themes"),
    ("messaging", "PUT", "/api/messaging/threads"),
    ("messaging", "PUT", f"/api/messaging/threads/{uuid.uuid4()}/messages"),
    ("messaging", "PUT", "/api/messaging/notifications"),
    ("messaging", "PUT", "/api/messaging/admin/themes"),
    ("messaging", "GET", f"/api/messaging/admin/threads/{uuid.uuid4()}/replies"),
)


def tiny_png() -> bytes:
    """A real 2×2 PNG (what a phone's photo would be, in small)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x1f\x3a\x68" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def staff_headers(suite) -> dict[str, str]:
    agent = Identity(user_id=uuid.uuid4(), roles=frozenset({"messaging_staff"}))
    return {IDENTITY_HEADER: sign_identity(agent, suite.identity_secret)}


async def create_theme(suite, label: str, code: str) -> None:
    url = suite.messaging_url + "/api/messaging/admin/themes"
    theme = {"label": label, "staff_role": "messaging_staff", "code": code}
    async with aiohttp.ClientSession() as session, session.post(url, json=theme, headers=staff_headers(suite)) as resp:
        assert resp.status == 201, f"messaging refused the theme: {resp.status} {await resp.text()}"


async def staff_reply(suite, thread_id: str, body: str) -> None:
    url = f"{suite.messaging_url}/api/messaging/admin/threads/{thread_id}/replies"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"body": body}, headers=staff_headers(suite)) as resp,
    ):
        assert resp.status == 201, f"messaging refused the reply: {resp.status} {await resp.text()}"


async def register_active_parent(suite, mail_sink, tag: str) -> tuple[str, str]:
    """A parent account with a dossier, activated: ``(username, e-mail address)``."""
    number, username, address = f"M{tag}".upper(), f"cmartin{tag}", f"claire.martin.{tag}@example.org"
    await create_dossier(suite, number, address)
    async with aiohttp.ClientSession(base_url=suite.accounts_url) as s:

        async def step(method: str, path: str, payload: dict | None = None) -> dict:
            async with s.request(method, path, json=payload) as resp:
                assert resp.status in (200, 201), f"{method} {path}: {resp.status} {await resp.text()}"
                return await resp.json()

        draft = (await step("POST", "/internal/registration-drafts", {}))["draft_id"]
        base = f"/internal/registration-drafts/{draft}"
        identity = {"last_name": "Martin", "first_name": "Claire", "email": address, "username": username}
        await step("PUT", base + "/identity", {**identity, "password": PASSWORD})
        await step("PUT", base + "/dossier", {"dossier_number": number, "dossier_name": "MARTIN"})
        terms = await step("GET", "/api/accounts/terms")
        await step("PUT", base + "/terms", {"terms_version": terms["version"], "accepted": True})
        await step("POST", base + "/submit")
        try:
            await eventually(lambda: _has_mail(mail_sink, address), timeout=30)
        except AssertionError:
            unavailable("messaging sent no activation e-mail within 30 s:\n" + suite.log_tail("messaging", 15))
        link = re.search(r"/activation\?token=([^\s\"'<>]+)", body_text(mail_sink.to(address)[0]))
        assert link, "no activation link in the e-mail"
        await step("POST", "/api/accounts/activations", {"token": link.group(1)})
    return username, address


async def nav_text(page) -> str:
    return " ".join((await page.inner_text("nav.main-nav")).split())


async def _has_mail(sink, address: str, subject_part: str = "") -> bool:
    return any(subject_part in str(m.get("Subject", "")) for m in sink.to(address))


async def test_write_to_the_town_read_the_reply_answer_and_delete(page, suite, mail_sink):
    await require_endpoints(suite, NEEDED)
    tag = secrets.token_hex(3)
    await create_theme(suite, "Restauration", f"restauration-{tag}")
    username, address = await register_active_parent(suite, mail_sink, tag)
    base = suite.gateway_url
    subject = f"Allergie aux arachides {tag}"

    # Signed out, « Communiquer avec un service de la Mairie » goes through the login.
    await page.goto(base + "/messagerie/nouveau")
    await page.wait_for_url(re.compile(r".*/connexion\?next=/messagerie/nouveau$"))
    await page.fill("#f-username", username)
    await page.fill("#f-password", PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + "/messagerie/nouveau")

    # « Écrire un message »: Thème, Objet, Message, a PNG, « Confirmation par email ».
    assert "Écrire un message" in await main_text(page)
    await page.select_option("#f-theme_id", label="Restauration")
    await page.fill("#f-subject", subject)
    body = "Bonjour,\nArthur est allergique aux arachides : voici le certificat.\nMerci."
    await page.fill("#f-body", body)
    png = tiny_png()
    certificate = {"name": "certificat.png", "mimeType": "image/png", "buffer": png}
    await page.set_input_files("#f-attachment", files=[certificate])
    await page.check("#f-email_copy")
    await page.screenshot(path=str(artifact("messagerie-nouveau-390x844.png")), full_page=True)

    # A file that is no PDF, JPEG or PNG instead: messaging refuses it, beside the file
    # input; what was typed stays, the file is to be chosen again.
    fake = {"name": "notes.png", "mimeType": "image/png", "buffer": b"pas une image"}
    await page.set_input_files("#f-attachment", files=[fake])
    await page.click("form.form button:has-text('Envoyer')")
    await page.wait_for_url(base + "/messagerie/nouveau")
    assert "La pièce jointe doit être un fichier PDF, JPEG ou PNG." in await page.inner_text("#f-attachment-error")
    assert await page.get_attribute("#f-attachment", "aria-invalid") == "true"
    assert await page.input_value("#f-subject") == subject
    assert await page.input_value("#f-body") == body
    assert await page.is_checked("#f-email_copy")
    await page.screenshot(path=str(artifact("messagerie-nouveau-erreur-390x844.png")), full_page=True)
    await page.set_input_files("#f-attachment", files=[certificate])
    await page.click("form.form button:has-text('Envoyer')")

    # The confirmation, the copy said as messaging stored it.
    await page.wait_for_url(re.compile(r".*/messagerie/[0-9a-f-]{36}/confirmation$"))
    thread_id = re.search(r"/messagerie/([0-9a-f-]{36})/", page.url).group(1)
    confirmation = await main_text(page)
    assert "Votre message a bien été envoyé." in confirmation
    assert "Une copie de votre message est envoyée à votre adresse e-mail." in confirmation
    assert subject in confirmation and "Restauration" in confirmation

    # « Message(s) envoyé(s) » lists it.
    await page.click("main >> text=Message(s) envoyé(s)")
    await page.wait_for_url(re.compile(r".*/messagerie\?boite=envoyes.*"))
    assert subject in await main_text(page)

    # The copy, by e-mail, with the message and the attachment's name.
    try:
        await eventually(lambda: _has_mail(mail_sink, address, "Copie de votre message"), timeout=30)
    except AssertionError:
        raise AssertionError("no copy e-mail within 30 s:\n" + suite.log_tail("messaging", 20)) from None
    copy = next(m for m in mail_sink.to(address) if "Copie de votre message" in str(m["Subject"]))
    text = body_text(copy)
    assert subject in str(copy["Subject"])
    assert "Arthur est allergique aux arachides" in text and "certificat.png" in text
    assert f"{base}/messagerie/{thread_id}" in text

    # The town answers; the home page says so.
    await staff_reply(suite, thread_id, "Bonjour,\nC'est noté : le menu d'Arthur sera adapté.\nLe service Restauration")
    await page.goto(base + "/")
    home = await main_text(page)
    assert "1 nouvelle réponse" in home
    assert "Messagerie / nous contacter 1 nouvelle réponse" in await nav_text(page)
    await page.screenshot(path=str(artifact("accueil-nouvelle-reponse-390x844.png")), full_page=True)

    # « Messagerie/nous contacter » → the inbox marks it new, in words.
    await page.click("main >> text=1 nouvelle réponse")
    await page.wait_for_url(base + "/messagerie")
    inbox = await main_text(page)
    assert subject in inbox and "Nouvelle réponse" in inbox
    await page.screenshot(path=str(artifact("messagerie-reception-390x844.png")), full_page=True)
    await page.click(f"main >> text={subject}")
    await page.wait_for_url(f"{base}/messagerie/{thread_id}")
    thread = await main_text(page)
    assert "C'est noté : le menu d'Arthur sera adapté." in thread
    assert "La Mairie — Restauration" in thread and "Vous" in thread
    assert "Nouvelle réponse" in thread
    assert re.search(r"Le \d{1,2}(er)? \w+ \d{4} à \d{1,2} h \d{2}", thread), thread
    await page.screenshot(path=str(artifact("messagerie-fil-390x844.png")), full_page=True)

    # The attachment downloads through the gateway, byte for byte.
    href = await page.get_attribute("a:has-text('certificat.png')", "href")
    download = await page.request.get(base + href)
    assert download.status == 200 and await download.body() == png
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"

    # Read: the count is gone.
    await page.goto(base + "/")
    assert "nouvelle réponse" not in await main_text(page)
    assert "nouvelle réponse" not in await nav_text(page)

    # « Répondre ».
    await page.goto(f"{base}/messagerie/{thread_id}")
    await page.click("main >> a:has-text('Répondre')")
    assert await page.evaluate("() => document.activeElement.id") == "f-body"
    await page.keyboard.type("Merci beaucoup !")
    await page.click("section.reply button:has-text('Envoyer')")
    await page.wait_for_url(f"{base}/messagerie/{thread_id}?message=repondu")
    thread = await main_text(page)
    assert "Votre réponse a bien été envoyée." in thread and "Merci beaucoup !" in thread

    # « Supprimer »: asked on a page, then gone from the parent's box (both lists).
    await page.click("main >> a:has-text('Supprimer')")
    await page.wait_for_url(f"{base}/messagerie/{thread_id}/supprimer")
    assert "Supprimer ce message de votre boîte ?" in await main_text(page)
    await page.click("main >> button:has-text('Supprimer')")
    await page.wait_for_url(base + "/messagerie?message=supprime")
    inbox = await main_text(page)
    assert "Le message a été supprimé de votre boîte." in inbox
    assert subject not in inbox
    await page.goto(base + "/messagerie?boite=envoyes")
    sent = await main_text(page)
    assert subject not in sent and "vous avez supprimé la conversation" in sent
    # The copy's link now says the conversation was deleted, and how to write again.
    await page.goto(f"{base}/messagerie/{thread_id}")
    deleted = await main_text(page)
    assert "Conversation supprimée" in deleted and "Écrire un message" in deleted
