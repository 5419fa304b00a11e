"""Configuration from the environment and the ``portail-gateway`` command."""

from __future__ import annotations

import pytest
from gateway.settings import DEV_SESSION_SECRET, GatewaySettings
from pydantic import ValidationError
from servicekit.settings import DEV_IDENTITY_SECRET, load_settings

from gateway import app as gateway_app

STRONG = "s" * 40


@pytest.fixture(autouse=True)
def real_secrets(monkeypatch):
    """The suite runs with ENVIRONMENT=test, where the development secrets are refused."""
    monkeypatch.setenv("GATEWAY_SESSION_SECRET", STRONG)
    monkeypatch.setenv("IDENTITY_SECRET", "i" * 40)


def test_defaults_fit_a_local_machine(monkeypatch):
    for name in (
        "GATEWAY_HTTP_PORT",
        "GATEWAY_ACCOUNTS_URL",
        "GATEWAY_SESSION_SECRET",
        "ENVIRONMENT",
        "IDENTITY_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = GatewaySettings()
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8080)
    assert settings.accounts_url == "http://127.0.0.1:8081"
    assert settings.planning_url == "http://127.0.0.1:8082"
    assert settings.billing_url == "http://127.0.0.1:8083"
    assert settings.messaging_url == "http://127.0.0.1:8084"
    assert settings.upstream_timeout_seconds == 10
    assert settings.session_secret == DEV_SESSION_SECRET
    assert settings.metrics_port == 0  # no metrics server unless asked for


def test_read_from_gateway_variables(monkeypatch):
    monkeypatch.setenv("GATEWAY_HTTP_HOST", "0.0.0.0")
    monkeypatch.setenv("GATEWAY_HTTP_PORT", "9090")
    monkeypatch.setenv("GATEWAY_BILLING_URL", "http://billing:8083/")
    monkeypatch.setenv("GATEWAY_UPSTREAM_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("GATEWAY_SESSION_SECRET", STRONG)
    monkeypatch.setenv("IDENTITY_SECRET", "i" * 40)
    settings = GatewaySettings()
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", 9090)
    assert settings.billing_url == "http://billing:8083"
    assert settings.service_url("billing") == "http://billing:8083"
    assert settings.upstream_timeout_seconds == 2.5
    assert settings.session_secret == STRONG
    assert settings.identity_secret == "i" * 40


@pytest.mark.parametrize("environment", ["test", "production"])
@pytest.mark.parametrize("secret", [DEV_SESSION_SECRET, "too-short"])
def test_every_mode_but_development_needs_a_real_session_secret(secret, environment):
    with pytest.raises(ValidationError, match="GATEWAY_SESSION_SECRET is (the development default|too short)"):
        GatewaySettings(environment=environment, identity_secret="i" * 40, session_secret=secret, town_name="X")
    GatewaySettings(environment="development", session_secret=secret)


@pytest.mark.parametrize("environment", ["test", "production"])
@pytest.mark.parametrize("secret", [DEV_IDENTITY_SECRET, "too-short"])
def test_every_mode_but_development_needs_a_real_identity_secret(secret, environment):
    with pytest.raises(ValidationError, match="identity_secret\n.*is (the development default|too short)"):
        GatewaySettings(environment=environment, identity_secret=secret, session_secret=STRONG, town_name="X")
    GatewaySettings(environment="development", identity_secret=secret)


def test_a_default_secret_stops_the_process_with_one_clear_line(monkeypatch, capsys):
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.delenv("GATEWAY_SESSION_SECRET", raising=False)
    monkeypatch.setenv("IDENTITY_SECRET", "i" * 40)
    with pytest.raises(SystemExit):
        load_settings(GatewaySettings)
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if "GATEWAY_SESSION_SECRET" in line] == [
        "  settings: GATEWAY_SESSION_SECRET is the development default; set a random value of at least 32 "
        "characters (ENVIRONMENT=test)"
    ]


def test_production_with_real_secrets_and_its_town_is_accepted():
    GatewaySettings(environment="production", identity_secret="i" * 40, session_secret=STRONG, town_name="Chantilly")


def test_the_simulated_treasury_is_for_development_and_tests_only(monkeypatch):
    monkeypatch.delenv("GATEWAY_PAYMENT_PROVIDER", raising=False)
    assert GatewaySettings(environment="development").simulated_treasury
    assert GatewaySettings(environment="test").simulated_treasury
    production = {"environment": "production", "identity_secret": "i" * 40, "session_secret": STRONG}
    production["town_name"] = "Chantilly"
    settings = GatewaySettings(**production)
    assert settings.payment_provider == "payfip" and not settings.simulated_treasury
    with pytest.raises(ValidationError, match="GATEWAY_PAYMENT_PROVIDER=simulated is refused in production"):
        GatewaySettings(**production, payment_provider="simulated")
    # An instance that takes no real money (the docker compose runs in production mode).
    demo = GatewaySettings(**production, allow_simulated_in_production=True)
    assert demo.simulated_treasury
    assert not GatewaySettings(
        **production, allow_simulated_in_production=True, payment_provider="payfip"
    ).simulated_treasury
    with pytest.raises(ValidationError):
        GatewaySettings(environment="development", payment_provider="tipi")


def test_production_must_name_its_town(monkeypatch):
    monkeypatch.delenv("GATEWAY_TOWN_NAME", raising=False)
    with pytest.raises(ValidationError, match="GATEWAY_TOWN_NAME"):
        GatewaySettings(environment="production", identity_secret="i" * 40, session_secret=STRONG)
    monkeypatch.setenv("GATEWAY_TOWN_NAME", "Chantilly")
    settings = GatewaySettings(environment="production", identity_secret="i" * 40, session_secret=STRONG)
    assert settings.town_name == "Chantilly"


def test_service_urls_must_be_http():
    with pytest.raises(ValidationError):
        GatewaySettings(planning_url="planning:8082")


def test_wrong_variables_stop_the_process_with_their_names(monkeypatch, capsys):
    monkeypatch.setenv("GATEWAY_HTTP_PORT", "not-a-port")
    with pytest.raises(SystemExit):
        load_settings(GatewaySettings)
    assert "GATEWAY_HTTP_PORT" in capsys.readouterr().err


def test_main_needs_a_subcommand():
    with pytest.raises(SystemExit) as exit_:
        gateway_app.main([])
    assert exit_.value.code == 2


def test_main_serve_runs_the_app_on_the_configured_address(monkeypatch):
    served = {}
    monkeypatch.setenv("GATEWAY_HTTP_PORT", "18080")
    monkeypatch.setattr(gateway_app, "configure_logging", lambda *args: None)
    monkeypatch.setattr(gateway_app.server, "serve", lambda app, settings: served.update(app=app, settings=settings))
    gateway_app.main(["serve"])
    assert (served["settings"].http_host, served["settings"].http_port) == ("127.0.0.1", 18080)
    assert served["app"].router["home"] is not None


def test_town_name_and_session_cache(monkeypatch):
    monkeypatch.delenv("GATEWAY_TOWN_NAME", raising=False)
    settings = GatewaySettings(environment="development")
    assert settings.town_name == "Puiseux-en-France"  # the demo data's town, not a placeholder
    assert settings.session_cache_seconds == 5
    monkeypatch.setenv("GATEWAY_TOWN_NAME", "Chantilly")
    monkeypatch.setenv("GATEWAY_SESSION_CACHE_SECONDS", "0")
    settings = GatewaySettings()
    assert settings.town_name == "Chantilly"
    assert settings.session_cache_seconds == 0


def test_session_cache_is_at_most_five_seconds():
    with pytest.raises(ValidationError):
        GatewaySettings(session_cache_seconds=30)


@pytest.mark.parametrize(("environment", "secure"), [("development", False), ("test", True), ("production", True)])
def test_cookies_are_secure_outside_development(environment, secure):
    settings = GatewaySettings(
        environment=environment, identity_secret="i" * 40, session_secret=STRONG, town_name="Chantilly"
    )
    assert settings.secure_cookies is secure
