"""Billing's settings: the simulated Treasury never runs in production unless explicitly allowed."""

from __future__ import annotations

import pytest
from billing.app import BillingSettings
from pydantic import ValidationError

SECRET = "x" * 40


def test_the_simulated_treasury_is_the_default_outside_production():
    assert BillingSettings(environment="development").provider_name == "simulated"
    assert BillingSettings(environment="test", payment_provider="payfip").provider_name == "payfip"


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"payment_provider": "simulated", "public_url": "https://portail.ville.fr"},
        {"payment_provider": "payfip", "public_url": "http://portail.ville.fr"},
    ],
)
def test_production_needs_payfip_and_an_https_origin(overrides):
    with pytest.raises(ValidationError):
        BillingSettings(environment="production", identity_secret=SECRET, **overrides)


def test_production_with_payfip():
    settings = BillingSettings(
        environment="production", identity_secret=SECRET, payment_provider="payfip", public_url="https://p.ville.fr/"
    )
    assert settings.public_url == "https://p.ville.fr"


def test_a_production_instance_without_real_money_must_say_so():
    settings = BillingSettings(
        environment="production",
        identity_secret=SECRET,
        payment_provider="simulated",
        allow_simulated_in_production=True,
    )
    assert settings.provider_name == "simulated"
    with pytest.raises(ValidationError, match="BILLING_ALLOW_SIMULATED_IN_PRODUCTION"):
        BillingSettings(environment="production", identity_secret=SECRET, payment_provider="simulated")
