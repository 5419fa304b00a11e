"""« Messagerie / nous contacter »: the pages against an in-process stand-in of messaging.

The stand-in (``fake_messaging``) is a real HTTP server that records what it receives, so
these tests check what the gateway forwards (fields, file bytes, signed identity) as well
as what the parent sees.
"""

from __future__ import annotations

import html as html_lib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from gateway.clients import messaging as messaging_client
from gateway.ui.messaging import french_datetime, french_size

from .browser import Browser, csrf_in
from .fake_accounts import fake_accounts
from .fake_messaging import PNG, STATE, State, fake_messaging
from .standins import serving, stand_ins, unused_port


@pytest.fixture
async def services() -> AsyncIterator[dict[str, TestServer]]:
    """As conftest's, with messaging speaking its contract instead of echoing."""
    async with serving(stand_ins(accounts=fake_accounts(), messaging=fake_messaging())) as servers:
        yield servers


@pytest.fixture
def mairie(services) -> State:
    """The stand-in messaging's state: themes, threads, what it received."""
    return services["messaging"].app[STATE]


def theme_id(mairie: State, code: str = "restauration") -> str:
    return mairie.theme(code)["id"]


def text_of(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<(\w+)[^>]* id="{element_id}"[^>]*>.*?</\1>', html, flags=re.DOTALL)
    assert match, f"no element #{element_id}"
    return match.group(0)


async def post_new(parent: Browser, fields: dict[str, str], file: tuple[str, bytes, str] | None = None):
    """Fill in « Envoyer un message » as a browser does: multipart, the file input included."""
    form_page = await parent.get("/messagerie/nouveau")
    assert form_page.status == 200, form_page.text[:300]
    data = {"csrf_token": csrf_in(form_page.html, "/messagerie/nouveau"), **fields}
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form_page.html)
    data.setdefault("idempotency_key", key.group(1))
    return await post_multipart(parent, "/messagerie/nouveau", data, file)


async def post_multipart(parent: Browser, action: str, data: dict[str, str], file=None):
    form = aiohttp.FormData(quote_fields=False)
    for name, value in data.items():
        form.add_field(name, value)
    if file is None:
        # What a browser sends for a file input left empty: a nameless, empty part.
        form.add_field("attachment", b"", filename="", content_type="application/octet-stream")
    else:
        filename, content, content_type = file
        form.add_field("attachment", content, filename=filename, content_type=content_type)
    return await parent.page(await parent.client.post(action, data=form, allow_redirects=False))


# --- signed out -------------------------------------------------------------------------


async def test_signed_out_visitors_go_to_the_login_page(browser, mairie):
    thread_id = uuid.uuid4()
    for path in (
        "/messagerie",
        "/messagerie?boite=envoyes",
        "/messagerie/nouveau",
        f"/messagerie/{thread_id}",
        f"/messagerie/{thread_id}/supprimer",
        f"/messagerie/{thread_id}/confirmation",
        f"/messagerie/{thread_id}/pieces-jointes/{uuid.uuid4()}",
    ):
        page = await browser.get(path)
        assert page.status == 303, path
        assert page.location.startswith("/connexion?next=/messagerie"), (path, page.location)
    # A form posted after the session ended: back to the login, nothing sent, no CSRF error.
    page = await browser.post("/messagerie/nouveau", {"subject": "x"})
    assert page.status == 303 and page.location == "/connexion?next=/messagerie/nouveau"
    assert mairie.received == []


# --- « Envoyer un message » ---------------------------------------------------------------


async def test_the_form_offers_the_themes_and_says_what_files_are_accepted(parent, mairie):
    page = await parent.get("/messagerie/nouveau")
    assert page.status == 200
    assert "<h1>Écrire un message</h1>" in page.html
    assert 'enctype="multipart/form-data"' in page.html
    for name, label in (
        ("theme_id", "Thème"),
        ("subject", "Objet"),
        ("body", "Message"),
        ("attachment", "Pièce jointe"),
    ):
        assert re.search(rf'<label for="f-{name}">.*?{label}</label>', page.html), label
    assert '<label for="f-email_copy">Confirmation par email</label>' in page.html
    html = html_lib.unescape(page.html)
    for theme in mairie.themes:
        assert f'<option value="{theme["id"]}">{theme["label"]}</option>' in html
    assert "PDF, JPEG ou PNG, 5 Mo maximum" in page.text
    assert re.search(r'id="f-attachment" name="attachment" type="file" accept="[^"]*application/pdf', page.html)
    assert re.search(r'id="f-attachment"[^>]*aria-describedby="f-attachment-hint"', page.html)
    assert '<button type="submit" class="button">Envoyer</button>' in page.html
    assert csrf_in(page.html, "/messagerie/nouveau")


async def test_a_message_without_attachment_goes_as_json_with_the_identity(parent, mairie):
    page = await post_new(
        parent,
        {
            "theme_id": theme_id(mairie),
            "subject": "Allergie",
            "body": "Bonjour,\nArthur est allergique.",
            "email_copy": "oui",
        },
    )
    assert page.status == 303, page.text[:500]
    (call,) = mairie.calls("POST")
    assert call["content_type"] == "application/json"
    assert call["fields"] == {
        "theme_id": theme_id(mairie),
        "subject": "Allergie",
        "body": "Bonjour,\nArthur est allergique.",
        "email_copy": True,
    }
    assert str(call["identity"].user_id) == parent.user.id
    assert call["headers"]["Idempotency-Key"]
    # Credentials stay at the gateway.
    assert "Cookie" not in call["headers"] and "Authorization" not in call["headers"]

    (thread,) = mairie.threads.values()
    # The confirmation says what messaging stored, not what the address says.
    assert page.location == f"/messagerie/{thread.id}/confirmation"
    page = await parent.get(page.location)
    assert page.status == 200
    assert "Votre message a bien été envoyé." in page.text
    assert "Une copie de votre message est envoyée à votre adresse e-mail." in page.text
    assert "Objet Allergie" in page.text and "Thème Restauration" in page.text
    assert f'href="/messagerie/{thread.id}?boite=envoyes">Voir mon message</a>' in page.html
    assert 'href="/messagerie?boite=envoyes">Message(s) envoyé(s)</a>' in page.html


async def test_the_confirmation_says_the_copy_as_messaging_stored_it(parent, mairie):
    without = mairie.add_thread(parent.user.id, "Cantine")
    # An old or hand-made address cannot make the page claim a copy.
    page = await parent.get(f"/messagerie/{without.id}/confirmation?copie=oui")
    assert page.status == 200 and "Votre message a bien été envoyé." in page.text
    assert "copie" not in page.text.lower()
    for state in ("pending", "sent"):
        without.messages[0].email_copy = state
        page = await parent.get(f"/messagerie/{without.id}/confirmation")
        assert "Une copie de votre message est envoyée à votre adresse e-mail." in page.text
    for state in ("suppressed", "bounced", "failed"):
        without.messages[0].email_copy = state
        page = await parent.get(f"/messagerie/{without.id}/confirmation")
        assert "Une copie de votre message est envoyée" not in page.text
        assert "Vous avez demandé une copie par e-mail, mais elle n'a pas pu être envoyée" in page.text


async def test_a_message_with_an_attachment_goes_as_multipart_with_the_file_bytes(parent, mairie):
    content = PNG + bytes(range(256)) * 10
    page = await post_new(
        parent,
        {"theme_id": theme_id(mairie, "scolaire"), "subject": "Certificat", "body": "Ci-joint le certificat."},
        file=("certificat médical.png", content, "image/png"),
    )
    assert page.status == 303, page.text[:500]
    assert page.location.endswith("/confirmation")
    (call,) = mairie.calls("POST")
    assert call["content_type"] == "multipart/form-data"
    assert call["fields"] == {
        "theme_id": theme_id(mairie, "scolaire"),
        "subject": "Certificat",
        "body": "Ci-joint le certificat.",
        "email_copy": "false",
    }
    assert call["file"]["content"] == content
    assert call["file"]["content_type"] == "image/png"
    # The name travels percent-encoded (as browsers do); messaging decodes it.
    assert call["file"]["filename"] in ("certificat médical.png", "certificat%20m%C3%A9dical.png")
    assert str(call["identity"].user_id) == parent.user.id
    assert call["headers"]["Idempotency-Key"]


async def test_a_double_submission_sends_one_message(parent, mairie):
    form_page = await parent.get("/messagerie/nouveau")
    data = {
        "csrf_token": csrf_in(form_page.html, "/messagerie/nouveau"),
        "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', form_page.html).group(1),
        "theme_id": theme_id(mairie),
        "subject": "Menu",
        "body": "Bonjour",
    }
    first = await post_multipart(parent, "/messagerie/nouveau", data)
    second = await post_multipart(parent, "/messagerie/nouveau", data)
    assert first.status == second.status == 303
    assert first.location == second.location
    assert len(mairie.threads) == 1
    assert len(mairie.calls("POST")) == 2


async def test_a_sent_form_changed_and_sent_again_is_explained_and_gets_a_new_key(parent, mairie):
    form_page = await parent.get("/messagerie/nouveau")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form_page.html).group(1)
    data = {
        "csrf_token": csrf_in(form_page.html, "/messagerie/nouveau"),
        "idempotency_key": key,
        "theme_id": theme_id(mairie),
        "subject": "Menu",
        "body": "Bonjour",
    }
    assert (await post_multipart(parent, "/messagerie/nouveau", data)).status == 303
    # « Retour » in the browser, the text changed, « Envoyer » again: the same key.
    page = await post_multipart(parent, "/messagerie/nouveau", {**data, "body": "Bonjour, autre chose"})
    assert page.status == 422
    assert "Ce formulaire a déjà été envoyé." in page.text
    new_key = re.search(r'name="idempotency_key" value="([^"]+)"', page.html).group(1)
    assert new_key != key
    page = await post_multipart(
        parent, "/messagerie/nouveau", {**data, "body": "Bonjour, autre chose", "idempotency_key": new_key}
    )
    assert page.status == 303
    assert len(mairie.threads) == 2


async def test_empty_fields_are_refused_beside_them_without_calling_messaging(parent, mairie):
    page = await post_new(parent, {"theme_id": "", "subject": "", "body": ""})
    assert page.status == 422
    assert mairie.calls("POST") == []
    for name, message in (
        ("theme_id", "Choisissez le thème de votre message."),
        ("subject", "Saisissez l'objet de votre message."),
        ("body", "Écrivez votre message."),
    ):
        assert f'<p class="error-message" id="f-{name}-error">' in page.html, name
        assert message in page.text
        assert re.search(rf'id="f-{name}"[^>]*aria-describedby="f-{name}-error"[^>]*aria-invalid="true"', page.html), (
            name
        )
        assert f'href="#f-{name}"' in page.html
    assert 'role="alert"' in page.html


async def test_service_refusals_land_beside_their_field_and_the_typed_values_stay(parent, mairie):
    long_subject = "Objet " + "x" * 150
    page = await post_new(
        parent,
        {
            "theme_id": theme_id(mairie),
            "subject": long_subject,
            "body": "Mon message\nsur deux lignes",
            "email_copy": "oui",
        },
    )
    assert page.status == 422
    assert "Ce texte ne doit pas dépasser 150 caractères." in text_of(section(page.html, "f-subject-error"))
    assert re.search(r'id="f-subject"[^>]*aria-describedby="f-subject-error"', page.html)
    assert f'value="{long_subject}"' in page.html
    assert ">Mon message\nsur deux lignes</textarea>" in page.html
    assert f'<option value="{theme_id(mairie)}" selected>Restauration</option>' in page.html
    assert re.search(r'id="f-email_copy"[^>]*checked', page.html)
    assert "Certaines informations saisies ne sont pas valides." in page.text


async def test_a_refused_file_is_said_beside_the_file_input_and_must_be_chosen_again(parent, mairie):
    page = await post_new(
        parent,
        {"theme_id": theme_id(mairie), "subject": "Facture", "body": "Voici le document."},
        file=("facture.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
    )
    assert page.status == 415
    assert "La pièce jointe doit être un fichier PDF, JPEG ou PNG." in text_of(section(page.html, "f-attachment-error"))
    assert re.search(r'id="f-attachment"[^>]*aria-describedby="f-attachment-hint f-attachment-error"', page.html)
    assert 'value="Facture"' in page.html and ">Voici le document.</textarea>" in page.html
    assert mairie.threads == {}

    too_big = PNG + b"\x00" * (5 * 1024 * 1024)
    page = await post_new(
        parent,
        {"theme_id": theme_id(mairie), "subject": "Photo", "body": "La photo."},
        file=("photo.png", too_big, "image/png"),
    )
    assert page.status == 413
    assert "La pièce jointe ne doit pas dépasser 5 Mo." in text_of(section(page.html, "f-attachment-error"))
    assert mairie.threads == {}


async def test_a_file_kept_out_by_another_error_is_asked_again(parent, mairie):
    page = await post_new(
        parent, {"theme_id": theme_id(mairie), "subject": "", "body": "x"}, file=("a.png", PNG, "image/png")
    )
    assert page.status == 422
    assert "la pièce jointe n'a pas été conservée" in text_of(section(page.html, "f-attachment-error"))


async def test_a_body_past_the_gateway_cap_is_a_french_413_page(parent, mairie):
    page = await post_new(
        parent,
        {"theme_id": theme_id(mairie), "subject": "Gros", "body": "x"},
        file=("gros.png", PNG + b"\x00" * (11 * 1024 * 1024), "image/png"),
    )
    assert page.status == 413
    assert "Le contenu envoyé est trop volumineux." in page.text
    assert mairie.calls("POST") == []


async def test_every_form_needs_its_csrf_token(parent, mairie):
    thread = mairie.add_thread(parent.user.id)
    for action, data in (
        ("/messagerie/nouveau", {"theme_id": theme_id(mairie), "subject": "x", "body": "y"}),
        (f"/messagerie/{thread.id}/repondre", {"body": "y"}),
        (f"/messagerie/{thread.id}/supprimer", {}),
    ):
        page = await parent.post(action, data)
        assert page.status == 403, action
        assert "Votre formulaire a expiré" in page.text
        page = await parent.post(action, {**data, "csrf_token": "faux"})
        assert page.status == 403, action
        page = await post_multipart(parent, action, data)
        assert page.status == 403, action
    assert mairie.calls("POST") == [] and mairie.calls("DELETE") == []
    assert not thread.hidden and len(thread.messages) == 1


# --- lists ----------------------------------------------------------------------------


async def test_inbox_holds_the_answered_threads_with_the_unread_said_in_words(parent, mairie):
    answered = mairie.add_thread(parent.user.id, "Inscription cantine")
    mairie.staff_reply(answered.id)
    mairie.add_thread(parent.user.id, "Sans réponse")
    page = await parent.get("/messagerie")
    assert page.status == 200
    # One way to write, then the conversations: no entry that only jumps down the page.
    main = re.search(r"<main.*</main>", page.html, flags=re.DOTALL).group(0)
    assert re.findall(r'<a [^>]*href="/messagerie/nouveau"[^>]*>([^<]+)</a>', main) == ["Écrire un message"]
    assert '<a class="button" href="/messagerie/nouveau">Écrire un message</a>' in main
    assert 'href="#mes-messages"' not in main and "Consulter mes messages" not in text_of(main)
    assert main.index("Écrire un message") < main.index('class="thread-list"')
    assert '<a href="/messagerie" aria-current="page">Boîte de réception' in page.html
    assert "Inscription cantine" in page.text and "Sans réponse" not in page.text
    item = re.search(r'<li class="thread thread-unread">.*?</li>', page.html, flags=re.DOTALL).group(0)
    assert "Nouvelle réponse" in text_of(item)
    assert f'href="/messagerie/{answered.id}"' in item
    assert "Restauration" in text_of(item) and "2 messages" in text_of(item)

    page = await parent.get("/messagerie?boite=envoyes")
    assert '<a href="/messagerie?boite=envoyes" aria-current="page">Message(s) envoyé(s)</a>' in page.html
    assert "Inscription cantine" in page.text and "Sans réponse" in page.text
    assert f'href="/messagerie/{answered.id}?boite=envoyes"' in page.html
    assert [
        c["query"]["box"] for c in mairie.calls("GET", "/api/messaging/threads") if c["path"].endswith("threads")
    ] == [
        "inbox",
        "sent",
    ]


async def test_lists_are_paginated(parent, mairie):
    for i in range(25):
        mairie.add_thread(parent.user.id, f"Message {i:02d}")
    page = await parent.get("/messagerie?boite=envoyes")
    assert page.text.count("Message ") >= 20 and "Message 24" in page.text and "Message 04" not in page.text
    next_href = html_lib.unescape(re.search(r'<a href="([^"]+)">Messages plus anciens', page.html).group(1))
    assert next_href == "/messagerie?boite=envoyes&curseur=o20"
    page = await parent.get(next_href)
    assert "Message 04" in page.text and "Message 24" not in page.text
    assert "Messages plus anciens" not in page.text
    assert '<a href="/messagerie?boite=envoyes">← Messages les plus récents</a>' in page.html
    # A cursor that is not one of messaging's starts again at the first page.
    page = await parent.get("/messagerie?boite=envoyes&curseur=../../x")
    assert page.status == 200 and "Message 24" in page.text


async def test_empty_boxes_say_so(parent, mairie):
    assert "Aucune réponse de la Mairie pour le moment." in (await parent.get("/messagerie")).text
    assert "Vous n'avez envoyé aucun message" in (await parent.get("/messagerie?boite=envoyes")).text


async def test_a_box_emptied_by_the_parent_does_not_say_nothing_was_ever_sent(parent, mairie):
    answered = mairie.add_thread(parent.user.id, "Cantine")
    mairie.staff_reply(answered.id)
    answered.hidden = True
    sent = await parent.get("/messagerie?boite=envoyes")
    assert "Vous n'avez envoyé aucun message" not in sent.text
    assert "Votre boîte « Message(s) envoyé(s) » est vide : vous avez supprimé la conversation qu'elle contenait." in (
        sent.text
    )
    assert "si elle vous répond à nouveau, la conversation reviendra dans votre boîte de réception" in sent.text
    inbox = await parent.get("/messagerie")
    assert "Aucune réponse de la Mairie pour le moment." not in inbox.text
    assert "vous avez supprimé la conversation à laquelle la Mairie avait répondu." in inbox.text

    for subject in ("Périscolaire", "Facture"):
        mairie.add_thread(parent.user.id, subject).hidden = True
    sent = await parent.get("/messagerie?boite=envoyes")
    assert "vous avez supprimé les 3 conversations qu'elle contenait." in sent.text
    # Never answered, those two were never in the inbox.
    assert "vous avez supprimé la conversation à laquelle" in (await parent.get("/messagerie")).text
    # Another family's deletions are not this box's business.
    mairie.add_thread(str(uuid.uuid4()), "Voisin").hidden = True
    assert "les 3 conversations" in (await parent.get("/messagerie?boite=envoyes")).text


# --- a thread -------------------------------------------------------------------------


async def test_a_thread_shows_its_messages_in_order_with_french_dates_and_attachments(parent, mairie):
    thread = mairie.add_thread(parent.user.id, "Allergie", body="Bonjour,\nArthur est allergique.")
    thread.messages[0].created_at = datetime(2026, 11, 27, 10, 5, tzinfo=UTC)
    reply = mairie.staff_reply(
        thread.id, "Bien reçu.\nLe service Restauration", at=datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    )
    attachment_id = mairie.attach(reply, thread.id, "menu de décembre.pdf", b"%PDF-1.4 menu", "application/pdf")

    page = await parent.get(f"/messagerie/{thread.id}")
    assert page.status == 200
    assert "<h1>Allergie</h1>" in page.html
    assert "Thème : Restauration" in page.text
    authors = re.findall(r'<h2 class="message-author"[^>]*>([^<]+)</h2>', page.html)
    assert [html_lib.unescape(a) for a in authors] == ["Vous", "La Mairie — Restauration"]
    assert "Le 27 novembre 2026 à 11 h 05" in page.text
    assert "Le 1er décembre 2026 à 8 h 30" in page.text
    assert '<time datetime="2026-11-27T10:05:00+00:00">' in page.html
    assert "Bonjour,\nArthur est allergique." in html_lib.unescape(page.html)
    town = re.search(r'<article class="message message-town".*?</article>', page.html, flags=re.DOTALL).group(0)
    assert "Nouvelle réponse" in text_of(town)
    href = f"/messagerie/{thread.id}/pieces-jointes/{attachment_id}"
    assert f'<a href="{href}" download>menu de décembre.pdf</a>' in html_lib.unescape(town)
    assert "(PDF, 1 ko)" in text_of(town)
    # « Répondre » leads to the text box itself, which following the link focuses.
    assert '<a class="button" href="#f-body">Répondre</a>' in page.html
    assert '<textarea class="input textarea" id="f-body" name="body"' in section(page.html, "repondre")
    assert '<script src="/static/messaging.js" defer></script>' in page.html
    script = await parent.client.get("/static/messaging.js")
    assert script.status == 200 and "javascript" in script.content_type
    assert "f-body" not in await script.text()  # generic: any link to a form field
    assert f'<a class="button button-secondary" href="/messagerie/{thread.id}/supprimer">Supprimer</a>' in page.html
    # Reading it marked the reply read: no more « Nouvelle réponse ».
    page = await parent.get(f"/messagerie/{thread.id}")
    assert "Nouvelle réponse" not in text_of(section(page.html, f"message-{reply.id}"))


async def test_an_attachment_downloads_through_the_gateway(parent, mairie):
    thread = mairie.add_thread(parent.user.id)
    content = b"%PDF-1.4 " + b"x" * 200_000
    attachment_id = mairie.attach(thread.messages[0], thread.id, "avis d'impôt.pdf", content, "application/pdf")
    resp = await parent.client.get(f"/messagerie/{thread.id}/pieces-jointes/{attachment_id}")
    assert resp.status == 200
    assert await resp.read() == content
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''avis%20d%27imp%C3%B4t.pdf" in resp.headers["Content-Disposition"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "private, no-store"
    (call,) = mairie.calls("GET", f"/api/messaging/threads/{thread.id}/attachments/")
    assert str(call["identity"].user_id) == parent.user.id

    resp = await parent.client.get(f"/messagerie/{thread.id}/pieces-jointes/{uuid.uuid4()}")
    assert resp.status == 404 and resp.content_type == "text/html"


async def test_a_thread_of_another_family_is_a_french_404(parent, mairie):
    other = mairie.add_thread(str(uuid.uuid4()), "Pas à moi")
    mairie.staff_reply(other.id)
    attachment_id = mairie.attach(other.messages[0], other.id, "secret.pdf", b"%PDF-1.4", "application/pdf")
    for path in (
        f"/messagerie/{other.id}",
        f"/messagerie/{other.id}/supprimer",
        f"/messagerie/{other.id}/confirmation",
        f"/messagerie/{other.id}/pieces-jointes/{attachment_id}",
    ):
        page = await parent.get(path)
        assert page.status == 404, path
        assert "Page introuvable" in page.text and "Ce message n'existe pas." in page.text
        assert "Pas à moi" not in page.text and "supprimé" not in page.text
    mine = mairie.add_thread(parent.user.id)
    token = csrf_in((await parent.get(f"/messagerie/{mine.id}")).html, f"/messagerie/{mine.id}/repondre")
    page = await parent.post(f"/messagerie/{other.id}/repondre", {"csrf_token": token, "body": "Intrus"})
    assert page.status == 404 and "Ce message n'existe pas." in page.text
    page = await parent.post(f"/messagerie/{other.id}/supprimer", {"csrf_token": token})
    assert page.status == 404
    assert other.messages[-1].author == "staff" and not other.hidden
    # Deleted by its family: still a plain 404 here, no hint that it exists.
    other.hidden = True
    page = await parent.get(f"/messagerie/{other.id}")
    assert page.status == 404 and "Ce message n'existe pas." in page.text and "supprimé" not in page.text
    # Not a thread id at all: the router's own 404.
    assert (await parent.get("/messagerie/pas-un-identifiant")).status == 404


async def test_repondre_continues_the_thread(parent, mairie):
    thread = mairie.add_thread(parent.user.id)
    mairie.staff_reply(thread.id)
    page = await parent.get(f"/messagerie/{thread.id}")
    form = section(page.html, "repondre")
    assert '<h2 id="repondre-titre">Répondre</h2>' in form and 'enctype="multipart/form-data"' in form
    assert f'action="/messagerie/{thread.id}/repondre"' in form
    data = {
        "csrf_token": csrf_in(page.html, f"/messagerie/{thread.id}/repondre"),
        "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1),
        "body": "Merci, voici le justificatif.",
        "email_copy": "oui",
    }
    page = await post_multipart(
        parent, f"/messagerie/{thread.id}/repondre", data, ("justificatif.jpg", b"\xff\xd8\xff\xe0 jpeg", "image/jpeg")
    )
    assert page.status == 303 and page.location == f"/messagerie/{thread.id}?message=repondu"
    (call,) = mairie.calls("POST", f"/api/messaging/threads/{thread.id}/messages")
    assert call["fields"] == {"body": "Merci, voici le justificatif.", "email_copy": "true"}
    assert call["file"]["content"] == b"\xff\xd8\xff\xe0 jpeg"
    page = await parent.get(page.location)
    assert "Votre réponse a bien été envoyée." in page.text
    assert thread.messages[-1].body == "Merci, voici le justificatif."
    assert "justificatif.jpg" in page.text

    page = await post_multipart(parent, f"/messagerie/{thread.id}/repondre", {**data, "body": ""})
    assert page.status == 422
    assert "Écrivez votre réponse." in text_of(section(page.html, "f-body-error"))


async def test_a_closed_thread_refuses_a_reply_politely(parent, mairie):
    thread = mairie.add_thread(parent.user.id)
    mairie.staff_reply(thread.id)
    page = await parent.get(f"/messagerie/{thread.id}")
    token = csrf_in(page.html, f"/messagerie/{thread.id}/repondre")
    thread.state = "closed"
    page = await parent.get(f"/messagerie/{thread.id}")
    assert "Cette conversation est close : il n'est plus possible d'y répondre." in page.text
    assert f"/messagerie/{thread.id}/repondre" not in page.html
    assert '<a href="/messagerie/nouveau">écrivez un nouveau message</a>' in page.html
    # A form opened before the town closed it.
    page = await parent.post(f"/messagerie/{thread.id}/repondre", {"csrf_token": token, "body": "Encore une question"})
    assert page.status == 409
    assert "Cette conversation est close. Merci d'envoyer un nouveau message." in page.text
    assert len(thread.messages) == 2


async def test_a_deleted_conversation_is_explained_with_the_way_to_write_again(parent, mairie):
    """The e-mail « La mairie a répondu » links to the thread; the parent deleted it since."""
    thread = mairie.add_thread(parent.user.id, "Allergie")
    reply = mairie.staff_reply(thread.id)
    attachment_id = mairie.attach(reply, thread.id, "menu.pdf", b"%PDF-1.4", "application/pdf")
    page = await parent.get(f"/messagerie/{thread.id}")
    token = csrf_in(page.html, f"/messagerie/{thread.id}/repondre")
    thread.hidden = True
    for path in (
        f"/messagerie/{thread.id}",
        f"/messagerie/{thread.id}?boite=envoyes",
        f"/messagerie/{thread.id}/confirmation",
        f"/messagerie/{thread.id}/supprimer",
        f"/messagerie/{thread.id}/pieces-jointes/{attachment_id}",
    ):
        page = await parent.get(path)
        assert page.status == 410, path
        assert "<h1>Conversation supprimée</h1>" in page.html
        assert "Vous avez supprimé cette conversation de votre messagerie" in page.text
        assert '<a class="button" href="/messagerie/nouveau">Écrire un message</a>' in page.html
        assert "Référence de la demande" not in page.text and "Page introuvable" not in page.text
    # A reply typed in a tab opened before: explained too, and nothing sent.
    page = await parent.post(f"/messagerie/{thread.id}/repondre", {"csrf_token": token, "body": "Et ensuite ?"})
    assert page.status == 410 and "Conversation supprimée" in page.text
    assert len(thread.messages) == 2
    # Deleting it again changes nothing and lands on the box.
    page = await parent.post(f"/messagerie/{thread.id}/supprimer", {"csrf_token": token})
    assert page.status == 303 and thread.hidden


async def test_supprimer_asks_first_then_removes_it_from_the_box(parent, mairie):
    thread = mairie.add_thread(parent.user.id, "À effacer")
    mairie.staff_reply(thread.id)
    page = await parent.get(f"/messagerie/{thread.id}/supprimer")
    assert page.status == 200
    assert "Supprimer ce message de votre boîte ?" in page.text
    assert "À effacer" in page.text
    assert '<button type="submit" class="button">Supprimer</button>' in page.html
    assert f'<a class="button button-secondary" href="/messagerie/{thread.id}">Annuler</a>' in page.html
    assert mairie.calls("DELETE") == []

    page = await parent.submit(
        f"/messagerie/{thread.id}/supprimer", f"/messagerie/{thread.id}/supprimer", {"boite": "reception"}
    )
    assert page.status == 303 and page.location == "/messagerie?message=supprime"
    (call,) = mairie.calls("DELETE")
    assert call["path"] == f"/api/messaging/threads/{thread.id}"
    assert str(call["identity"].user_id) == parent.user.id
    page = await parent.get(page.location)
    assert "Le message a été supprimé de votre boîte." in page.text
    assert "À effacer" not in page.text

    other = mairie.add_thread(parent.user.id, "Envoyé")
    page = await parent.submit(
        f"/messagerie/{other.id}/supprimer?boite=envoyes", f"/messagerie/{other.id}/supprimer", {"boite": "envoyes"}
    )
    assert page.location == "/messagerie?boite=envoyes&message=supprime"


# --- the unread count: home page and navigation -----------------------------------------


def messaging_zone(html: str) -> str:
    return re.search(r'<section class="zone" aria-labelledby="zone-messagerie">.*?</section>', html, re.DOTALL).group(0)


async def test_home_page_announces_new_replies(parent, mairie):
    page = await parent.get("/")
    assert "nouvelle réponse" not in page.text
    zone = messaging_zone(page.html)
    assert '<h2 id="zone-messagerie"><a href="/messagerie">Messagerie / nous contacter</a></h2>' in zone
    assert '<a href="/messagerie">Consulter mes messages</a>' in zone
    assert '<a href="/messagerie/nouveau">Communiquer avec un service de la Mairie</a>' in zone

    thread = mairie.add_thread(parent.user.id)
    mairie.staff_reply(thread.id)
    page = await parent.get("/")
    zone = messaging_zone(page.html)
    assert '<a href="/messagerie"><span class="badge">1</span> nouvelle réponse' in zone
    assert "1 nouvelle réponse de la Mairie : consulter mes messages" in text_of(zone)
    nav = re.search(r'<nav class="main-nav".*?</nav>', page.html, re.DOTALL).group(0)
    assert "Messagerie / nous contacter 1 nouvelle réponse" in text_of(nav)
    call = mairie.calls("GET", "/api/messaging/notifications")[-1]
    assert str(call["identity"].user_id) == parent.user.id

    mairie.staff_reply(thread.id)
    assert "2 nouvelles réponses" in (await parent.get("/")).text
    # Reading the thread marks both read; the count goes, on the home page and in the nav.
    page = await parent.get(f"/messagerie/{thread.id}")
    assert "nouvelle" not in text_of(re.search(r'<nav class="main-nav".*?</nav>', page.html, re.DOTALL).group(0))
    assert "nouvelle" not in (await parent.get("/")).text


async def test_signed_out_home_page_does_not_ask_messaging(browser, mairie):
    page = await browser.get("/")
    assert page.status == 200
    assert mairie.received == []


async def test_home_page_still_renders_when_messaging_is_down(make_gateway, accounts):
    accounts.add_user("lederf", dossier_id=accounts.add_dossier("404", "LE DERF"))
    browser = Browser(await make_gateway(messaging_url=f"http://127.0.0.1:{unused_port()}"))
    await browser.login()
    page = await browser.get("/")
    assert page.status == 200
    assert "Bonjour Arnaud" in page.text and "Messagerie / nous contacter" in page.text
    assert "nouvelle réponse" not in page.text
    # The messaging pages themselves cannot do without it: a French 502 page.
    page = await browser.get("/messagerie")
    assert page.status == 502 and "Service indisponible" in page.text


async def test_a_slow_count_does_not_hold_the_home_page(parent, mairie, monkeypatch):
    monkeypatch.setattr(messaging_client, "COUNT_TIMEOUT_SECONDS", 0.2)
    mairie.notification_delay = 3
    thread = mairie.add_thread(parent.user.id)
    mairie.staff_reply(thread.id)
    page = await parent.get("/")
    assert page.status == 200 and "nouvelle réponse" not in page.text


# --- French formats ---------------------------------------------------------------------


def test_dates_are_french_in_paris_time():
    assert french_datetime("2026-11-27T10:05:00+00:00") == "27 novembre 2026 à 11 h 05"
    assert french_datetime("2026-07-14T21:00:00Z") == "14 juillet 2026 à 23 h 00"
    assert french_datetime("2026-03-01T00:30:00+00:00") == "1er mars 2026 à 1 h 30"
    assert french_datetime("2026-03-31T23:30:00+00:00") == "1er avril 2026 à 1 h 30"
    assert french_datetime("pas une date") == ""


def test_sizes_are_french():
    assert french_size(200) == "1 ko"
    assert french_size(200_000) == "196 ko"
    assert french_size(1_572_864) == "1,5 Mo"
    assert french_size(None) == ""
