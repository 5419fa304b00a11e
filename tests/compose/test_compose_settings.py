"""Every process started by docker-compose.yml accepts the environment the file gives it.

The compose stack runs in production mode by default, where the settings refuse weak
secrets, insecure links and cheap password hashes: a value the file sets (or defaults)
that a process would refuse at start-up fails here instead of in front of ops.
"""

from __future__ import annotations

import importlib
import os

import pytest
from pydantic import ValidationError

from .test_compose import environment_of, interpolate_defaults, load_compose, services

SETTINGS = {
    "accounts": ("accounts.app", "AccountsSettings"),
    "planning": ("planning.app", "PlanningSettings"),
    "billing": ("billing.app", "BillingSettings"),
    "messaging": ("messaging.app", "MessagingSettings"),
    "gateway": ("gateway.settings", "GatewaySettings"),
}
# What deploy/Dockerfile sets in every image (compose may override it).
IMAGE_ENV = {"ENVIRONMENT": "production", "LOG_FORMAT": "json"}


def compose_processes():
    for name, service in services(load_compose()).items():
        base = name.removesuffix("-migrate")
        if base in SETTINGS:
            yield name, base, service


def use_compose_environment(service, monkeypatch) -> dict[str, str]:
    """Replace the suite's own settings variables with those compose gives ``service``."""
    for key in list(os.environ):
        if key.split("_")[0] in {"ACCOUNTS", "PLANNING", "BILLING", "MESSAGING", "GATEWAY"} or key in IMAGE_ENV:
            monkeypatch.delenv(key)
    env = {**IMAGE_ENV, **{k: interpolate_defaults(v or "") for k, v in environment_of(service).items()}}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.mark.parametrize("name,base,service", list(compose_processes()), ids=lambda v: v if isinstance(v, str) else "")
def test_process_accepts_its_compose_environment(name, base, service, monkeypatch):
    env = use_compose_environment(service, monkeypatch)
    module, cls_name = SETTINGS[base]
    cls = getattr(importlib.import_module(module), cls_name)
    try:
        settings = cls()
    except ValidationError as exc:
        pytest.fail(f"{name} would refuse to start: {exc}")
    assert settings.environment == env["ENVIRONMENT"]


def settings_of(name: str, monkeypatch):
    """The settings the compose service ``name`` would start with."""
    with monkeypatch.context() as m:
        use_compose_environment(services(load_compose())[name], m)
        module, cls_name = SETTINGS[name]
        return getattr(importlib.import_module(module), cls_name)()


def test_gateway_and_billing_agree_on_the_payment_provider(monkeypatch):
    # A billing on the simulated Treasury behind a gateway that does not serve its page
    # sends every « Payer » to a 404; the reverse sends parents to PayFiP for free payments.
    billing = settings_of("billing", monkeypatch)
    gateway = settings_of("gateway", monkeypatch)
    assert billing.provider_name == gateway.payment_provider
