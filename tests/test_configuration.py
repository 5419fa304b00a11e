"""Every setting any process reads is documented in .env.example, with the same default."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from pydantic import AliasChoices

ROOT = Path(__file__).resolve().parents[1]

SETTINGS_CLASSES = [
    ("accounts.app", "AccountsSettings"),
    ("planning.app", "PlanningSettings"),
    ("billing.app", "BillingSettings"),
    ("billing.providers.payfip", "PayfipSettings"),
    ("messaging.app", "MessagingSettings"),
    ("gateway.settings", "GatewaySettings"),
]


def documented() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def variables(cls) -> dict[str, object]:
    """Environment variable name → default, as pydantic-settings will read them."""
    prefix = cls.model_config.get("env_prefix", "")
    out = {}
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        var = alias.choices[0] if isinstance(alias, AliasChoices) else (prefix + name).upper()
        out[var] = field.default
    return out


@pytest.mark.parametrize("module,name", SETTINGS_CLASSES)
def test_every_setting_is_documented_with_its_default(module, name):
    cls = getattr(importlib.import_module(module), name)
    docs = documented()
    for var, default in variables(cls).items():
        assert var in docs, f"{var} ({name}) is missing from .env.example"
        if isinstance(default, bool):  # before int: a bool is an int to isinstance
            value, expected = docs[var].lower(), str(default).lower()
        else:
            value = float(docs[var]) if isinstance(default, (int, float)) else docs[var]
            # An empty value documents a default computed from other settings (None in the code).
            expected = default if isinstance(default, (int, float)) else "" if default is None else str(default)
        assert value == expected, f"{var}: .env.example says {docs[var]!r}, the code {default!r}"
