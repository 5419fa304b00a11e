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


@pytest.mark.parametrize("name,base,service", list(compose_processes()), ids=lambda v: v if isinstance(v, str) else "")
def test_process_accepts_its_compose_environment(name, base, service, monkeypatch):
    for key in list(os.environ):
        if key.split("_")[0] in {"ACCOUNTS", "PLANNING", "BILLING", "MESSAGING", "GATEWAY"} or key in IMAGE_ENV:
            monkeypatch.delenv(key)
    env = {**IMAGE_ENV, **{k: interpolate_defaults(v or "") for k, v in environment_of(service).items()}}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    module, cls_name = SETTINGS[base]
    cls = getattr(importlib.import_module(module), cls_name)
    try:
        settings = cls()
    except ValidationError as exc:
        pytest.fail(f"{name} would refuse to start: {exc}")
    assert settings.environment == env["ENVIRONMENT"]
