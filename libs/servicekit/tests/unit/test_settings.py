from __future__ import annotations

import pytest
from pydantic_settings import SettingsConfigDict
from servicekit.settings import DEV_IDENTITY_SECRET, CommonSettings, ServiceSettings, load_settings


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore", populate_by_name=True)


def test_shared_variables_ignore_the_prefix_and_own_ones_use_it(monkeypatch):
    monkeypatch.setenv("AMQP_URL", "amqp://u:p@broker:5672/v")
    monkeypatch.setenv("DEMO_HTTP_PORT", "9001")
    monkeypatch.setenv("DEMO_AMQP_URL", "amqp://wrong/")
    s = load_settings(DemoSettings)
    assert s.amqp_url == "amqp://u:p@broker:5672/v"
    assert s.http_port == 9001


def test_bad_value_stops_with_one_clear_line_per_variable(monkeypatch, capsys):
    monkeypatch.setenv("DEMO_HTTP_PORT", "eighty")
    monkeypatch.setenv("DELIVERY_LIMIT", "0")
    with pytest.raises(SystemExit) as exc:
        load_settings(DemoSettings)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "DEMO_HTTP_PORT" in err
    assert "DELIVERY_LIMIT" in err
    assert ".env.example" in err


@pytest.mark.parametrize("environment", ["test", "staging", "production"])
def test_every_mode_but_development_refuses_a_default_or_short_secret(monkeypatch, capsys, environment):
    monkeypatch.setenv("ENVIRONMENT", environment)
    monkeypatch.delenv("IDENTITY_SECRET", raising=False)
    with pytest.raises(SystemExit):
        load_settings(CommonSettings)
    err = capsys.readouterr().err
    [line] = [line for line in err.splitlines() if line.startswith("  ")]
    assert line.startswith("  IDENTITY_SECRET: is the development default") and f"ENVIRONMENT={environment}" in line
    monkeypatch.setenv("IDENTITY_SECRET", "x" * 31)
    with pytest.raises(SystemExit):
        load_settings(CommonSettings)
    assert "IDENTITY_SECRET: is too short" in capsys.readouterr().err
    monkeypatch.setenv("IDENTITY_SECRET", "x" * 40)
    assert load_settings(CommonSettings).environment == environment


def test_development_takes_the_default_secret(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.delenv("IDENTITY_SECRET", raising=False)
    assert load_settings(CommonSettings).identity_secret == DEV_IDENTITY_SECRET
