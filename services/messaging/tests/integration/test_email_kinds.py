"""Every kind of e-mail, from its cause (an accounts event, a message, a reply) to the sink."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from servicekit.testing import eventually

PASSWORD = "S3cret-Mot-De-Passe!"


def assert_well_formed(mail, subject: str) -> None:
    assert mail.message["Subject"] == subject
    assert mail.message.get_content_type() == "multipart/alternative"
    assert mail.message["Message-ID"].startswith("<") and mail.message["Message-ID"].endswith("@ville.test>")
    assert "ne-pas-repondre@ville.test" in mail.message["From"]
    assert mail.text.strip() and mail.html.strip()
    assert '<html lang="fr">' in mail.html
    for part in (mail.text, mail.html):
        assert PASSWORD not in part


async def test_activation_email_has_username_and_link_never_a_password(harness):
    address = harness.unique_address()
    # A careless producer adding a password (off its own contract, which forbids extra
    # fields) must not get it into an e-mail.
    data = harness.registered_event(address, password=PASSWORD)
    await harness.publish_off_contract("accounts.user.registered", data)

    [mail] = await harness.wait_for_mail(address)
    assert_well_formed(mail, "Votre espace personnel de la mairie")
    assert "Arnaud LE DERF" in mail.message["To"] and address in mail.message["To"]
    assert "Bienvenue sur le Portail Famille Arnaud LE DERF" in mail.text
    assert "Nom d'utilisateur : lederf" in mail.text
    assert "Service Enfance (dossier n° 404) : En attente d'activation" in mail.text
    assert "24 h" in mail.text and "automatiquement supprimé" in mail.text
    url, query = mail.link("/activation")
    assert url.startswith("http://portail.test/activation?")
    assert query == {"token": [data["activation_token"]]}
    assert f'href="{url}"' in mail.html
    assert "<strong>lederf</strong>" in mail.html


async def test_activation_without_dossier_says_how_to_link_one(harness):
    address = harness.unique_address()
    await harness.publish("accounts.user.registered", harness.registered_event(address, dossier_number=None))
    [mail] = await harness.wait_for_mail(address)
    assert "Aucun dossier famille n'est encore rattaché" in mail.text
    assert "En attente d'activation" not in mail.text


async def test_activation_resent_sends_a_new_email_with_the_new_token(harness):
    address = harness.unique_address()
    first = harness.registered_event(address)
    await harness.publish("accounts.user.registered", first)
    again = dict(first, activation_token="act-" + uuid.uuid4().hex)
    await harness.publish("accounts.user.activation_resent", again)
    mails = await harness.wait_for_mail(address, n=2)
    tokens = sorted(m.link("/activation")[1]["token"][0] for m in mails)
    assert tokens == sorted([first["activation_token"], again["activation_token"]])


async def test_the_same_event_delivered_three_times_gives_one_email(harness):
    address = harness.unique_address()
    data = harness.registered_event(address)
    envelope = await harness.publish("accounts.user.registered", data)
    await harness.publish("accounts.user.registered", data, envelope=envelope)
    await harness.publish("accounts.user.registered", data, envelope=envelope)
    await harness.wait_for_mail(address)

    async def all_handled():
        return await harness.count("inbox", "event_id = $1", envelope.id) == 1

    await eventually(all_handled)
    # Give the redeliveries every chance to produce a second e-mail.
    await harness.client.get("/health")
    marker = harness.unique_address("marker")
    await harness.publish("accounts.user.registered", harness.registered_event(marker))
    await harness.wait_for_mail(marker)
    assert len(harness.mail.to(address)) == 1
    assert await harness.count("emails", "to_address = $1", address) == 1


async def test_password_reset_email_links_to_the_new_password_page(harness):
    address = harness.unique_address()
    token = "reset-" + uuid.uuid4().hex
    await harness.publish(
        "accounts.password_reset.requested",
        {
            "user_id": str(uuid.uuid4()),
            "email": address,
            "first_name": "Claire",
            "last_name": "Martin",
            "reset_token": token,
            "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        },
    )
    [mail] = await harness.wait_for_mail(address)
    assert_well_formed(mail, "Réinitialisation de votre mot de passe")
    assert "Bonjour Claire MARTIN" in mail.text
    assert "valable 1 heure" in mail.text
    assert "ne sert qu'une fois" in mail.text
    assert mail.link("/mot-de-passe/nouveau")[1] == {"token": [token]}


async def test_password_changed_notice_has_no_token_and_no_password(harness):
    address = harness.unique_address()
    await harness.publish(
        "accounts.password.changed",
        {"user_id": str(uuid.uuid4()), "email": address, "first_name": "Claire", "last_name": "Martin"},
    )
    [mail] = await harness.wait_for_mail(address)
    assert_well_formed(mail, "Votre mot de passe a été modifié")
    assert "a été modifié le" in mail.text
    assert mail.link("/mot-de-passe-oublie")[1] == {}


async def test_a_duplicate_registration_tells_the_address_holder_and_nothing_of_the_attempt(harness):
    address = harness.unique_address()
    await harness.publish(
        "accounts.registration.duplicate_attempted",
        {"user_id": str(uuid.uuid4()), "email": address, "first_name": "Claire", "last_name": "Martin"},
    )
    [mail] = await harness.wait_for_mail(address)
    assert_well_formed(mail, "Quelqu’un a tenté de créer un compte avec votre adresse")
    assert "Bonjour Claire MARTIN" in mail.text
    assert "aucun autre compte n'a été créé" in mail.text
    assert mail.link("/mot-de-passe-oublie")[1] == {}
    assert "token" not in mail.text


async def test_email_change_confirmation_goes_to_the_new_address(harness, parent):
    new_address = harness.unique_address("new")
    token = "confirm-" + uuid.uuid4().hex
    await harness.publish(
        "accounts.email_change.requested",
        {
            "user_id": str(parent.user_id),
            "new_email": new_address,
            "first_name": "Arnaud",
            "last_name": "Le Derf",
            "confirm_token": token,
            "expires_at": (datetime.now(UTC) + timedelta(hours=24)).isoformat(),
        },
    )
    [mail] = await harness.wait_for_mail(new_address)
    assert_well_formed(mail, "Confirmez votre nouvelle adresse e-mail")
    assert mail.link("/email/confirmer")[1] == {"token": [token]}
    assert harness.mail.to(parent.email) == []
    # The contact copy keeps the old address until accounts confirms the change.
    assert await harness.db.fetchval("SELECT email FROM contacts WHERE user_id = $1", parent.user_id) == parent.email


async def test_message_copy_and_reply_notice(harness, parent):
    thread = await harness.start_thread(
        parent, subject="Allergie <arachide>", body="Mon fils Arthur est allergique\naux arachides.", email_copy=True
    )
    [copy] = await harness.wait_for_mail(parent.email)
    assert_well_formed(copy, "Copie de votre message : Allergie <arachide>")
    assert "transmis au service « Scolaire »" in copy.text
    assert "Mon fils Arthur est allergique\naux arachides." in copy.text
    assert "Allergie &lt;arachide&gt;" in copy.html  # autoescaped
    assert copy.link(f"/messagerie/{thread['id']}")

    response = await harness.client.post(
        f"/api/messaging/admin/threads/{thread['id']}/replies",
        json={"body": "Merci, nous prévenons la cantine. Réponse confidentielle."},
        headers=harness.staff("messaging_staff"),
    )
    assert response.status == 201
    mails = await harness.wait_for_mail(parent.email, n=2)
    notice = next(m for m in mails if m.message_id != copy.message_id)
    assert_well_formed(notice, "La mairie a répondu à votre message")
    assert "Le service « Scolaire » de la mairie a répondu à votre message « Allergie <arachide> »" in notice.text
    assert "Réponse confidentielle" not in notice.text and "Réponse confidentielle" not in notice.html
    assert notice.link(f"/messagerie/{thread['id']}")


async def test_bodies_carrying_a_token_are_wiped_once_sent(harness, parent):
    address = harness.unique_address()
    data = harness.registered_event(address)
    await harness.publish("accounts.user.registered", data)
    await harness.start_thread(parent, email_copy=True)
    await harness.wait_for_mail(address)
    await harness.wait_for_mail(parent.email)

    async def recorded_sent():
        return await harness.count("emails", "to_address = ANY($1) AND state = 'sent'", [address, parent.email]) == 2

    await eventually(recorded_sent)
    activation = await harness.db.fetchrow("SELECT * FROM emails WHERE to_address = $1", address)
    assert activation["kind"] == "activation" and activation["subject"] == "Votre espace personnel de la mairie"
    assert activation["body_text"] is None and activation["body_html"] is None
    copy = await harness.db.fetchrow("SELECT * FROM emails WHERE to_address = $1", parent.email)
    assert copy["kind"] == "message_copy" and copy["body_text"]
    token = data["activation_token"]
    assert await harness.count("emails", "body_text LIKE $1 OR body_html LIKE $1", f"%{token}%") == 0


async def test_a_deactivated_contact_gets_no_more_emails(harness, parent):
    await harness.publish("accounts.user.deactivated", {"user_id": str(parent.user_id)})

    async def inactive():
        return await harness.count("contacts", "user_id = $1 AND status = 'inactive'", parent.user_id) == 1

    await eventually(inactive)
    await harness.start_thread(parent, email_copy=True)

    async def recorded():
        return await harness.count("emails", "user_id = $1 AND state = 'suppressed'", parent.user_id) == 1

    await eventually(recorded)
    assert harness.mail.to(parent.email) == []
