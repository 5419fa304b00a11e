"""Malformed credentials: never a 500, never a browser locked out by a cookie it cannot use."""

from __future__ import annotations

import pytest

from .browser import set_cookies

PROBLEM = "application/problem+json"

# Printable tokens accounts refuses with 422 (a space, too long, punctuation): the gateway
# must take them for what they are, no session.
MALFORMED_TOKENS = ["abc def", "x" * 201, "x" * 400, "tok.en!", "a" * 199 + "é"]


@pytest.mark.parametrize("token", MALFORMED_TOKENS)
async def test_a_malformed_bearer_token_is_401_problem(gateway, token):
    resp = await gateway.get("/api/accounts/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 401
    assert resp.content_type == PROBLEM
    assert "invalid_token" in resp.headers["WWW-Authenticate"]


@pytest.mark.parametrize("token", MALFORMED_TOKENS[:4])
@pytest.mark.parametrize("path", ["/", "/connexion", "/mot-de-passe-oublie"])
async def test_a_malformed_session_cookie_is_cleared_and_the_page_shown_to_a_visitor(gateway, token, path):
    resp = await gateway.get(path, headers={"Cookie": f'pf_session="{token}"'}, allow_redirects=False)
    assert resp.status == 200, await resp.text()
    assert "Se connecter" in await resp.text()
    cleared = set_cookies(resp)["pf_session"]
    assert cleared.value == "" and cleared["max-age"] == "0"


async def test_the_gateway_does_not_ask_accounts_about_a_token_of_the_wrong_shape(gateway, accounts):
    await gateway.get("/api/accounts/me", headers={"Authorization": "Bearer " + "x" * 300})
    await gateway.get("/", headers={"Cookie": 'pf_session="a b"'})
    assert accounts.resolves == 0


ODD_LOGIN_BODIES = [
    ("lone surrogate", b'{"username": "\\ud800", "password": "x"}'),
    ("escaped NUL", b'{"username": "a\\u0000b", "password": "x"}'),
    ("deep nesting", b'{"username": ' + b"[" * 100_000 + b"]" * 100_000 + b', "password": "x"}'),
    ("deep nesting, no object", b"[" * 100_000 + b"]" * 100_000),
    ("not UTF-8", b'{"username": "caf\xe9", "password": "x"}'),
    ("UTF-16", '{"username": "a", "password": "b"}'.encode("utf-16")),
    ("numbers", b'{"username": 1e999999, "password": -0}'),
    ("huge number", b'{"username": ' + b"9" * 50_000 + b', "password": "x"}'),
    ("duplicate keys", b'{"username": "a", "username": {"b": []}, "password": "x"}'),
    ("a huge string", b'{"username": "' + b"x" * 200_000 + b'", "password": "x"}'),
    ("a bare string", b'"lederf"'),
    ("empty", b""),
    ("NaN", b'{"username": NaN, "password": Infinity}'),
]


@pytest.mark.parametrize(("label", "body"), ODD_LOGIN_BODIES, ids=[label for label, _ in ODD_LOGIN_BODIES])
async def test_odd_json_to_the_login_is_a_4xx_problem(gateway, label, body):
    resp = await gateway.post("/api/accounts/sessions", data=body, headers={"Content-Type": "application/json"})
    assert 400 <= resp.status < 500, (resp.status, await resp.text())
    assert resp.content_type == PROBLEM
    assert "Set-Cookie" not in resp.headers or "pf_session" not in resp.headers["Set-Cookie"]


async def test_the_login_s_415_is_in_french(gateway):
    resp = await gateway.post("/api/accounts/sessions", data=b"username=a&password=b")
    assert resp.status == 415 and resp.content_type == PROBLEM
    doc = await resp.json(content_type=None)
    assert "JSON" in doc["title"] and "Send" not in doc.get("detail", "")
    assert doc["title"].startswith("Ce format n'est pas accepté")
