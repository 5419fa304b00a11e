"""PayFiP's settings: what a town configures, and what is refused at start-up."""

from __future__ import annotations

import pytest
from billing.providers.payfip import PAYFIP_PAYMENT_PAGE_URL, PAYFIP_SERVICE_URL, PayfipProvider, PayfipSettings
from pydantic import ValidationError


def test_settings_come_from_billing_payfip_variables(monkeypatch):
    monkeypatch.setenv("BILLING_PAYFIP_NUMCLI", "012345")
    monkeypatch.setenv("BILLING_PAYFIP_SAISIE", "W")
    monkeypatch.setenv("BILLING_PAYFIP_TIMEOUT_SECONDS", "8")

    settings = PayfipSettings()

    assert (settings.numcli, settings.saisie, settings.timeout_seconds) == ("012345", "W", 8.0)
    # Left alone, the provider speaks to the real PayFiP over HTTPS.
    assert settings.url == PAYFIP_SERVICE_URL == "https://www.payfip.gouv.fr/tpa/services/securite"
    assert settings.payment_page_url == PAYFIP_PAYMENT_PAGE_URL
    assert PAYFIP_PAYMENT_PAGE_URL.startswith("https://www.payfip.gouv.fr/")


def test_the_mode_defaults_to_test():
    assert PayfipSettings(numcli="012345").saisie == "T"


def test_the_provider_needs_the_towns_client_number(monkeypatch):
    monkeypatch.delenv("BILLING_PAYFIP_NUMCLI", raising=False)
    settings = PayfipSettings()  # a town on the simulated Treasury configures nothing

    assert settings.numcli == ""
    with pytest.raises(ValueError, match="BILLING_PAYFIP_NUMCLI"):
        PayfipProvider(settings)


@pytest.mark.parametrize(
    "fields",
    [
        {"numcli": "12345"},
        {"numcli": "1234567"},
        {"numcli": "12345a"},
        {"numcli": "012345", "saisie": "P"},
        {"numcli": "012345", "url": "http://www.payfip.gouv.fr/tpa/services/securite"},
        {"numcli": "012345", "url": "http://10.0.0.5:8080/tpa/services/securite"},
        {"numcli": "012345", "payment_page_url": "ftp://127.0.0.1/page"},
        {"numcli": "012345", "timeout_seconds": 0},
        {"numcli": "012345", "threads": 0},
        {"numcli": "012345", "objet": "x" * 101},
    ],
)
def test_wrong_settings_are_refused(fields):
    with pytest.raises(ValidationError):
        PayfipSettings(**fields)


@pytest.mark.parametrize("host", ["127.0.0.1:8099", "localhost:8099", "[::1]:8099"])
def test_plain_http_is_allowed_to_a_loopback_stand_in_only(host):
    settings = PayfipSettings(numcli="012345", url=f"http://{host}/tpa/services/securite")

    assert settings.url.startswith("http://")
