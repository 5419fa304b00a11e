"""The client's address: from X-Forwarded-For only behind a trusted proxy; login brakes per client."""

from __future__ import annotations

import pytest
from gateway.forwarding import resolve_client
from gateway.settings import GatewaySettings, parse_networks
from gateway.throttle import RateLimiter
from pydantic import ValidationError
from servicekit.identity import verify_client

from .fake_accounts import PASSWORD
from .standins import IDENTITY_SECRET

PROXIES = parse_networks("10.0.0.0/8, 192.168.1.7")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # No trusted proxy in between: the socket's peer, whatever the header says.
        ("203.0.113.5", ["6.6.6.6"], "203.0.113.5"),
        ("203.0.113.5", [], "203.0.113.5"),
        # Behind a trusted proxy: the entry it added.
        ("10.1.2.3", ["198.51.100.7"], "198.51.100.7"),
        # A client's own claim further left is ignored; trusted hops are skipped.
        ("10.1.2.3", ["6.6.6.6, 198.51.100.7, 192.168.1.7"], "198.51.100.7"),
        ("10.1.2.3", ["6.6.6.6", "198.51.100.7"], "198.51.100.7"),
        # Every hop trusted: the farthest one known.
        ("10.1.2.3", ["10.9.9.9"], "10.9.9.9"),
        # Garbage where an address should be: the last hop known for sure.
        ("10.1.2.3", ["198.51.100.7, not-an-ip"], "10.1.2.3"),
        ("10.1.2.3", [], "10.1.2.3"),
        # IPv4 through an IPv6 socket.
        ("::ffff:203.0.113.5", ["6.6.6.6"], "203.0.113.5"),
        ("2001:db8::1", [], "2001:db8::1"),
    ],
)
def test_resolve_client(peer, forwarded, expected):
    assert resolve_client(peer, forwarded, PROXIES) == expected


def test_no_proxy_is_trusted_by_default_and_the_list_is_checked(monkeypatch):
    monkeypatch.delenv("GATEWAY_TRUSTED_PROXIES", raising=False)
    assert GatewaySettings(environment="development").trusted_proxy_networks == ()
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8")
    assert [str(n) for n in GatewaySettings(environment="development").trusted_proxy_networks] == [
        "10.0.0.0/8",
        "fd00::/8",
    ]
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, the proxy")
    with pytest.raises(ValidationError, match="trusted_proxies"):
        GatewaySettings(environment="development")


async def forwarded_for_seen_by_service(gateway, header: str | None) -> str:
    headers = {"X-Forwarded-For": header} if header is not None else {}
    doc = await (await gateway.get("/api/accounts/profile", headers=headers)).json()
    return {k.lower(): v for k, v in doc["headers"]}["x-forwarded-for"]


async def test_an_untrusted_peer_s_forwarded_for_is_replaced(gateway):
    assert await forwarded_for_seen_by_service(gateway, "6.6.6.6") == "127.0.0.1"


async def test_behind_a_trusted_proxy_the_service_gets_the_real_client(make_gateway):
    gateway = await make_gateway(trusted_proxies="127.0.0.1/32")
    assert await forwarded_for_seen_by_service(gateway, "6.6.6.6, 198.51.100.7") == "198.51.100.7"
    assert await forwarded_for_seen_by_service(gateway, None) == "127.0.0.1"


def test_the_rate_limiter_refills_over_time():
    now = [0.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == pytest.approx(20)
    assert limiter.take("b") == 0, "another client is not slowed"
    now[0] += 20
    assert limiter.take("a") == 0


async def test_login_attempts_are_braked_per_client(make_gateway, accounts):
    accounts.add_user("lederf")
    gateway = await make_gateway(trusted_proxies="127.0.0.1/32", login_attempts_per_minute=3)

    async def attempt(client: str, password: str = "wrong") -> int:
        resp = await gateway.post(
            "/api/accounts/sessions",
            json={"username": "lederf", "password": password},
            headers={"X-Forwarded-For": client},
        )
        if resp.status == 429:
            assert int(resp.headers["Retry-After"]) >= 1
            assert (await resp.json(content_type=None))["title"].startswith("Trop de tentatives")
        gateway.session.cookie_jar.clear()
        return resp.status

    assert [await attempt("198.51.100.7") for _ in range(4)] == [401, 401, 401, 429]
    # The real user, elsewhere, is not locked out by the guesser.
    assert await attempt("203.0.113.5", PASSWORD) == 200
    # The brake is on the client, the form included.
    page = await gateway.post("/connexion", data={"username": "lederf"}, headers={"X-Forwarded-For": "198.51.100.7"})
    assert page.status == 429 and page.content_type == "text/html"


def test_the_brake_can_be_turned_off():
    from gateway.app import create_app
    from gateway.throttle import LOGIN_LIMITER

    app = create_app(GatewaySettings(environment="development", login_attempts_per_minute=0))
    assert LOGIN_LIMITER not in app


async def test_services_get_the_client_address_signed(make_gateway):
    # accounts' throttles count per client from this header, never from X-Forwarded-For.
    gateway = await make_gateway(trusted_proxies="127.0.0.1/32")
    doc = await (await gateway.get("/api/accounts/profile", headers={"X-Forwarded-For": "198.51.100.7"})).json()
    seen = {k.lower(): v for k, v in doc["headers"]}
    assert verify_client(seen["x-portail-client"], IDENTITY_SECRET) == "198.51.100.7"
    forged = await (await gateway.get("/api/accounts/profile", headers={"X-Portail-Client": "forged"})).json()
    seen = {k.lower(): v for k, v in forged["headers"]}
    assert verify_client(seen["x-portail-client"], IDENTITY_SECRET) == "127.0.0.1"
