"""CSRF: synchronizer tokens bound to the session or to the anonymous cookie, Origin checks."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from .browser import Browser, csrf_in, set_cookies
from .fake_accounts import PASSWORD
from .standins import SESSION_SECRET

FORGED = "Votre formulaire a expiré ou n'a pas pu être vérifié."
PROBLEM = "application/problem+json"


@pytest.fixture
def family(accounts):
    first = accounts.add_user("lederf", dossier_id=accounts.add_dossier("404", "LE DERF"))
    second = accounts.add_user("martin", first_name="Claire", dossier_id=accounts.add_dossier("405", "MARTIN"))
    return first, second


async def signed_in(make_gateway, username: str = "lederf") -> Browser:
    browser = Browser(await make_gateway())
    await browser.login(username)
    return browser


async def edit_token(browser: Browser) -> str:
    return csrf_in((await browser.get("/dossier/modifier")).html, "/dossier/modifier")


async def test_anonymous_forms_get_an_httponly_strict_cookie(browser):
    resp = await browser.client.get("/connexion")
    cookie = set_cookies(resp)["pf_csrf"]
    assert cookie["httponly"] is True and cookie["samesite"] == "Strict" and cookie["secure"] is True
    token = csrf_in(await resp.text())
    # Bound to the cookie by an HMAC under the gateway's secret: not the cookie itself.
    assert token != cookie.value
    assert (
        token
        == hmac.new(SESSION_SECRET.encode(), b"pf-csrf/anonymous\0" + cookie.value.encode(), hashlib.sha256).hexdigest()
    )
    # The next page reuses it.
    again = await browser.client.get("/mot-de-passe-oublie")
    assert "pf_csrf" not in set_cookies(again)


async def test_pages_without_a_form_set_no_cookie(browser):
    assert set_cookies(await browser.client.get("/")) == {}


async def test_login_without_token_is_refused(browser, family):
    await browser.get("/connexion")
    page = await browser.post("/connexion", {"username": "lederf", "password": PASSWORD})
    assert page.status == 403
    assert FORGED in page.text and '<html lang="fr">' in page.html
    assert browser.cookie("pf_session") is None


async def test_anonymous_token_without_its_cookie_is_refused(browser, make_gateway, family):
    token = csrf_in((await browser.get("/connexion")).html)
    other = Browser(await make_gateway())
    page = await other.post("/connexion", {"csrf_token": token, "username": "lederf", "password": PASSWORD})
    assert page.status == 403


async def test_anonymous_token_of_another_cookie_is_refused(browser, make_gateway, family):
    token = csrf_in((await browser.get("/connexion")).html)
    other = Browser(await make_gateway())
    await other.get("/connexion")
    page = await other.post("/connexion", {"csrf_token": token, "username": "lederf", "password": PASSWORD})
    assert page.status == 403


async def test_signed_in_form_without_token_is_refused(make_gateway, accounts, family):
    browser = await signed_in(make_gateway)
    page = await browser.post("/dossier/modifier", {"adults-0-phone_mobile": "07 00 00 00 00"})
    assert page.status == 403 and FORGED in page.text
    assert not [r for r in accounts.received if r["method"] == "PATCH"]


async def test_signed_in_form_with_a_wrong_token_is_refused(make_gateway, family):
    browser = await signed_in(make_gateway)
    page = await browser.post("/dossier/modifier", {"csrf_token": "0" * 64, "adults-0-phone_mobile": "0700000000"})
    assert page.status == 403


async def test_the_token_of_another_session_is_refused(make_gateway, family):
    first = await signed_in(make_gateway, "lederf")
    second = await signed_in(make_gateway, "martin")
    page = await second.post(
        "/dossier/modifier", {"csrf_token": await edit_token(first), "adults-0-phone_mobile": "0700000000"}
    )
    assert page.status == 403


async def test_the_anonymous_token_is_refused_once_signed_in(make_gateway, family):
    browser = Browser(await make_gateway())
    anonymous = csrf_in((await browser.get("/connexion")).html)
    await browser.login()
    page = await browser.post("/dossier/modifier", {"csrf_token": anonymous, "adults-0-phone_mobile": "0700000000"})
    assert page.status == 403


async def test_the_right_token_is_accepted(make_gateway, accounts, family):
    browser = await signed_in(make_gateway)
    token = await edit_token(browser)
    page = await browser.post(
        "/dossier/modifier",
        {"csrf_token": token, "adults-0-phone_mobile": "07 00 00 00 00"},
        headers={"Origin": str(browser.client.make_url("")).rstrip("/")},
    )
    assert page.status == 303, page.text[:400]
    # The token is the HMAC of the session token under the gateway's secret.
    session = browser.cookie("pf_session")
    assert (
        token == hmac.new(SESSION_SECRET.encode(), b"pf-csrf/session\0" + session.encode(), hashlib.sha256).hexdigest()
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
    ],
)
async def test_a_foreign_origin_is_refused_even_with_the_token(make_gateway, family, headers):
    browser = await signed_in(make_gateway)
    token = await edit_token(browser)
    page = await browser.post(
        "/dossier/modifier", {"csrf_token": token, "adults-0-phone_mobile": "0700000000"}, headers=headers
    )
    assert page.status == 403
    assert "ne vient pas du Portail Famille" in page.text


async def test_a_same_origin_referer_is_accepted(make_gateway, family):
    browser = await signed_in(make_gateway)
    token = await edit_token(browser)
    referer = str(browser.client.make_url("/dossier/modifier"))
    page = await browser.post(
        "/dossier/modifier", {"csrf_token": token, "adults-0-phone_mobile": "0700000000"}, headers={"Referer": referer}
    )
    assert page.status == 303


async def test_api_calls_with_the_cookie_need_the_header(make_gateway, accounts, family):
    browser = await signed_in(make_gateway)
    resp = await browser.client.post("/api/messaging/threads", json={"subject": "x"})
    assert resp.status == 403 and resp.content_type == PROBLEM
    assert (await resp.json(content_type=None))["type"].endswith("/csrf_failed")

    token = await edit_token(browser)
    resp = await browser.client.post("/api/messaging/threads", json={"subject": "x"}, headers={"X-CSRF-Token": token})
    assert resp.status == 200
    assert (await resp.json())["identity"] is not None


async def test_api_calls_with_the_cookie_from_another_origin_are_refused(make_gateway, family):
    browser = await signed_in(make_gateway)
    token = await edit_token(browser)
    resp = await browser.client.post(
        "/api/messaging/threads", json={}, headers={"X-CSRF-Token": token, "Origin": "https://evil.example"}
    )
    assert resp.status == 403 and resp.content_type == PROBLEM


async def test_bearer_calls_need_no_csrf_token(browser, family):
    token = (
        await (
            await browser.client.post("/api/accounts/sessions", json={"username": "lederf", "password": PASSWORD})
        ).json()
    )["token"]
    browser.client.session.cookie_jar.clear()
    resp = await browser.client.post("/api/messaging/threads", json={}, headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200


async def test_safe_methods_need_no_token(make_gateway, family):
    browser = await signed_in(make_gateway)
    assert (await browser.client.get("/api/planning/children")).status == 200


async def test_logged_in_pages_expose_the_token_for_scripts(make_gateway, family):
    browser = await signed_in(make_gateway)
    home = await browser.get("/")
    assert f'<meta name="csrf-token" content="{csrf_in(home.html, "/deconnexion")}">' in home.html


async def test_signing_out_of_an_ended_session_needs_no_token(make_gateway, accounts, family):
    browser = await signed_in(make_gateway)
    accounts.sessions.clear()
    page = await browser.post("/deconnexion", {"csrf_token": "stale"})
    assert page.status == 303


async def test_an_expired_session_behind_an_open_form_goes_to_the_login(make_gateway, accounts, family):
    browser = Browser(await make_gateway(session_cache_seconds=0))
    await browser.login()
    token = await edit_token(browser)
    accounts.sessions.clear()
    page = await browser.post("/dossier/modifier", {"csrf_token": token})
    assert page.status == 303 and page.location == "/connexion?next=/dossier/modifier"
