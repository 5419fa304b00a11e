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
