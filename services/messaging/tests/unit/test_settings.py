"""Messaging's settings: safe defaults, refusals in production."""

from __future__ import annotations

import pytest
from messaging.app import MessagingSettings
from pydantic import ValidationError

SECRET = "x" * 40


def test_defaults_fit_a_local_machine():
    settings = MessagingSettings(environment="development")
    assert settings.smtp_port == 1025 and settings.attachment_max_bytes == 5 * 1024 * 1024
    smtp = settings.smtp_config()
    assert smtp.start_tls is None and smtp.username is None and smtp.password is None
    assert smtp.local_hostname == "portail-famille.local"


def test_public_url_loses_its_trailing_slash_and_must_be_http():
    assert MessagingSettings(public_url="https://portail.ville.fr/").public_url == "https://portail.ville.fr"
    with pytest.raises(ValidationError):
        MessagingSettings(public_url="portail.ville.fr")


def test_production_needs_https_links_and_no_clear_text_password():
    with pytest.raises(ValidationError):
        MessagingSettings(environment="production", identity_secret=SECRET, public_url="http://portail.ville.fr")
    with pytest.raises(ValidationError):
        MessagingSettings(
            environment="production",
            identity_secret=SECRET,
            public_url="https://portail.ville.fr",
            smtp_username="portail",
            smtp_password="p",
            smtp_starttls="off",
        )
    ok = MessagingSettings(
        environment="production",
        identity_secret=SECRET,
        public_url="https://portail.ville.fr",
        smtp_username="portail",
        smtp_password="p",
        smtp_starttls="required",
    )
    assert ok.smtp_config().start_tls is True and ok.smtp_config().password == "p"
    assert "p" not in repr(ok.smtp_password)


def test_blank_username_means_no_login():
    assert MessagingSettings(smtp_username="").smtp_config().username is None


def test_mail_from_must_hold_an_address():
    with pytest.raises(ValidationError):
        MessagingSettings(mail_from="Portail Famille")
