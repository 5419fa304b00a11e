"""E-mail rendering: every kind, in French, text and HTML, never a password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from messaging.mail.compose import KINDS, MailComposer, format_datetime_fr, format_duration_fr
from messaging.mail.sender import build_message

from .test_booking_and_payment_mails import CONTEXTS as BOOKING_AND_PAYMENT_CONTEXTS
from .test_qf_mails import CONTEXTS as QF_CONTEXTS

NOW = datetime(2026, 3, 12, 13, 5, tzinfo=UTC)
MAIL = MailComposer(public_url="https://portail.ville.fr/", mail_from="Portail Famille <ne-pas-repondre@ville.fr>")

CONTEXTS = {
    "activation": dict(
        username="lederf",
        dossier_number="404",
        link="https://portail.ville.fr/activation?token=t",
        expires_at=NOW + timedelta(hours=24),
        validity_hours=24,
    ),
    "password_reset": dict(
        link="https://portail.ville.fr/mot-de-passe/nouveau?token=t", expires_at=NOW, validity="1 heure"
    ),
    "password_changed": dict(changed_at=NOW, forgot_link="https://portail.ville.fr/mot-de-passe-oublie"),
    "registration_duplicate": dict(forgot_link="https://portail.ville.fr/mot-de-passe-oublie"),
    "email_change": dict(link="https://portail.ville.fr/email/confirmer?token=t", expires_at=NOW),
    "message_copy": dict(
        theme_label="Scolaire",
        message_subject="Allergie",
        body="Texte",
        sent_at=NOW,
        attachment_name="certificat.pdf",
        link="https://portail.ville.fr/messagerie/1",
    ),
    "reply_notice": dict(
        theme_label="Scolaire", message_subject="Allergie", link="https://portail.ville.fr/messagerie/1"
    ),
    # The booking and payment kinds: test_booking_and_payment_mails.py tests their wording.
    **BOOKING_AND_PAYMENT_CONTEXTS,
    **QF_CONTEXTS,
}


def test_every_kind_has_a_context_here():
    assert set(CONTEXTS) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_renders_a_subject_text_and_html(kind):
    email = MAIL.compose(kind, to_address="a@b.fr", to_name="Arnaud LE DERF", dedupe_key="k", context=CONTEXTS[kind])
    assert email.subject and "\n" not in email.subject
    assert "Portail Famille" in email.body_text and "merci de ne pas y répondre" in email.body_text
    assert email.body_html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in email.body_html
    assert f"<title>{email.subject}</title>" in email.body_html
    assert email.contains_secret is KINDS[kind].contains_secret
    assert email.message_id.endswith("@ville.fr>")


def test_html_is_autoescaped_and_text_is_not():
    context = dict(CONTEXTS["message_copy"], message_subject="<script>alert(1)</script>", body="a & b")
    email = MAIL.compose("message_copy", to_address="a@b.fr", to_name="X", dedupe_key="k", context=context)
    assert "<script>" not in email.body_html and "&lt;script&gt;" in email.body_html
    assert "a &amp; b" in email.body_html
    assert "a & b" in email.body_text


def test_a_password_can_never_reach_a_template():
    with pytest.raises(ValueError):
        MAIL.render("activation", dict(CONTEXTS["activation"], name="X", password="secret"))


def test_links_are_built_from_the_public_url():
    assert MAIL.link("/activation", token="a b&c") == "https://portail.ville.fr/activation?token=a+b%26c"


def test_paris_time_and_durations():
    assert format_datetime_fr(datetime(2026, 7, 1, 10, 0, tzinfo=UTC)) == "01/07/2026 à 12h00"  # CEST
    assert format_datetime_fr(datetime(2026, 1, 1, 10, 0, tzinfo=UTC)) == "01/01/2026 à 11h00"  # CET
    assert format_duration_fr(3600) == "1 heure"
    assert format_duration_fr(86400) == "24 heures"
    assert format_duration_fr(1800) == "30 minutes"


def test_the_message_is_multipart_alternative_with_a_stable_id():
    email = MAIL.compose(
        "activation", to_address="arnaud@b.fr", to_name="Arnaud LE DERF", dedupe_key="k", context=CONTEXTS["activation"]
    )
    row = {
        "to_name": email.to_name,
        "to_address": email.to_address,
        "subject": email.subject,
        "message_id": email.message_id,
        "body_text": email.body_text,
        "body_html": email.body_html,
    }
    parsed = message_from_bytes(
        build_message(row, "Portail Famille <ne-pas-repondre@ville.fr>").as_bytes(), policy=policy.default
    )
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["Message-ID"] == email.message_id
    assert parsed["Subject"] == "Votre espace personnel de la mairie"
    assert parsed["To"] == "Arnaud LE DERF <arnaud@b.fr>"
    assert parsed["Auto-Submitted"] == "auto-generated"
