"""Signing in and out: the session cookie, the bearer token, the identity signed for services."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gateway.auth import SessionCache
from gateway.caller import SessionInfo
from servicekit.identity import IDENTITY_HEADER, verify_identity

from .browser import Browser, csrf_in, set_cookies
from .fake_accounts import BAD_CREDENTIALS, PASSWORD
from .standins import IDENTITY_SECRET

PROBLEM = "application/problem+json"


@pytest.fixture
def parent(accounts):
    dossier_id = accounts.add_dossier("404", "LE DERF")
    return accounts.add_user("lederf", dossier_id=dossier_id)


async def test_login_page_is_the_guide_s_form(browser):
    page = await browser.get("/connexion")
    assert page.status == 200
    assert 'for="f-username"' in page.html and 'for="f-password"' in page.html
    assert 'autocomplete="username"' in page.html and 'autocomplete="current-password"' in page.html
    # One word for one thing: « Nom d'utilisateur », as in the wizard and the e-mails.
    assert "Identifiant" not in page.text
    for words in ("Nom d'utilisateur", "Mot de passe", "Se connecter", "Mot de passe oublié ?", "Inscrivez-vous"):
        assert words in page.text, words
    assert '<a href="/mot-de-passe-oublie">' in page.html and 'href="/inscription"' in page.html
    # The anonymous CSRF cookie comes with the first form.
    cookie = set_cookies(await browser.client.get("/connexion"))
    assert cookie == {} or "pf_csrf" in cookie


async def test_login_sets_the_session_cookie_with_the_right_flags(browser, parent):
    page = await browser.submit("/connexion", "/connexion", {"username": "lederf", "password": PASSWORD})
    assert page.status == 303 and page.location == "/"
    cookie = page.cookies["pf_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["secure"] is True
    assert 3590 <= int(cookie["max-age"]) <= 3600

    home = await browser.get("/")
    assert "Bonjour Arnaud" in home.text
    assert '<a href="/compte">Mon compte</a>' in home.html
    assert "Se déconnecter" in home.text and "Se connecter" not in home.text.replace("Se connecter avec", "")


async def test_the_cookie_is_not_secure_on_a_development_machine(make_gateway, parent):
    browser = Browser(await make_gateway(environment="development"))
    form = await browser.get("/connexion")
    resp = await browser.client.post(
        "/connexion",
        data={"csrf_token": csrf_in(form.html), "username": "lederf", "password": PASSWORD},
        allow_redirects=False,
    )
    cookie = set_cookies(resp)["pf_session"]
    assert cookie["secure"] == ""
    assert cookie["httponly"] is True


async def test_wrong_password_shows_the_french_error_beside_the_field(browser, parent):
    page = await browser.submit("/connexion", "/connexion", {"username": "lederf", "password": "pas le bon"})
    assert page.status == 401
    # About both fields: said once, in the summary, leading to the username.
    assert page.text.count(BAD_CREDENTIALS) == 1
    assert 'role="alert"' in page.html and '<li id="erreur-1"><a href="#f-username">' in page.html
    assert 'class="error-message"' not in page.html
    assert (
        'id="f-username" name="username" type="text" value="lederf" autocomplete="username" spellcheck="false" required aria-describedby="erreur-1" aria-invalid="true"'
        in page.html
    )
    assert 'aria-describedby="erreur-1" aria-invalid="true"' in page.html.split('id="f-password"')[1].split(">")[0]
    assert 'value="lederf"' in page.html
    assert "pas le bon" not in page.html
    assert browser.cookie("pf_session") is None


async def test_unknown_user_gets_the_same_answer(browser, parent):
    page = await browser.submit("/connexion", "/connexion", {"username": "inconnu", "password": "pas le bon"})
    assert page.status == 401
    assert BAD_CREDENTIALS in page.text


async def test_empty_fields_are_named(browser):
    page = await browser.submit("/connexion", "/connexion", {"username": "", "password": ""})
    assert page.status == 422
    # A field's own error: under the field and once in the summary, no more.
    for name, sentence in (
        ("username", "Saisissez votre nom d'utilisateur."),
        ("password", "Saisissez votre mot de passe."),
    ):
        assert page.text.count(sentence) == 2, sentence
        assert f'id="f-{name}-error"' in page.html


async def test_a_pending_account_is_told_to_activate(browser, accounts):
    accounts.add_user("attente", status="pending_activation")
    page = await browser.submit("/connexion", "/connexion", {"username": "attente", "password": PASSWORD})
    assert page.status == 403
    assert "Votre compte n'est pas encore activé" in page.text
    assert '<a href="/inscription/bienvenue">Recevoir un nouvel e-mail d\'activation</a>' in page.html


async def test_throttled_login_says_when_to_try_again(browser):
    page = await browser.submit("/connexion", "/connexion", {"username": "trop", "password": "x"})
    assert page.status == 429
    assert page.headers["Retry-After"] == "120"
    assert "Merci de réessayer dans 2 minutes." in page.text


async def test_login_goes_back_to_the_page_asked_for(browser, parent):
    page = await browser.get("/dossier/modifier")
    assert page.status == 303
    assert page.location == "/connexion?next=/dossier/modifier"
    page = await browser.submit(
        page.location, "/connexion", {"username": "lederf", "password": PASSWORD, "next": "/dossier/modifier"}
    )
    assert page.location == "/dossier/modifier"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:evil.example",
        "/\t/evil.example",
        "",
    ],
)
async def test_next_never_leads_to_another_site(browser, parent, target):
    form = await browser.get("/connexion?next=" + target.replace("\t", "%09"))
    assert 'name="next" value="/"' in form.html
    page = await browser.post(
        "/connexion",
        {"csrf_token": csrf_in(form.html), "username": "lederf", "password": PASSWORD, "next": target},
    )
    assert page.status == 303
    assert page.location == "/"


async def test_logout_revokes_the_session_and_clears_the_cookie(browser, accounts, parent):
    await browser.login()
    token = browser.cookie("pf_session")
    assert token in accounts.sessions
    home = await browser.get("/")
    resp = await browser.client.post(
        "/deconnexion", data={"csrf_token": csrf_in(home.html, "/deconnexion")}, allow_redirects=False
    )
    assert resp.status == 303 and resp.headers["Location"] == "/connexion?message=deconnecte"
    cleared = set_cookies(resp)["pf_session"]
    assert cleared.value == "" and cleared["max-age"] == "0"
    assert token not in accounts.sessions
    page = await browser.get("/connexion?message=deconnecte")
    assert "Vous êtes déconnecté." in page.text and "Se déconnecter" not in page.text


async def test_a_revoked_session_is_anonymous_and_its_cookie_cleared(make_gateway, accounts, parent):
    browser = Browser(await make_gateway(session_cache_seconds=0))
    await browser.login()
    accounts.sessions.clear()
    resp = await browser.client.get("/")
    assert "Bienvenue sur le Portail Famille" in await resp.text()
    assert set_cookies(resp)["pf_session"]["max-age"] == "0"


async def test_api_login_returns_the_token_and_sets_the_cookie(browser, parent):
    resp = await browser.client.post("/api/accounts/sessions", json={"username": "lederf", "password": PASSWORD})
    assert resp.status == 200
    doc = await resp.json()
    assert set(doc) == {"token", "expires_at"}
    cookie = set_cookies(resp)["pf_session"]
    assert cookie.value == doc["token"]
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax" and cookie["secure"] is True


async def test_api_login_refusals_pass_through_as_problems(browser, parent):
    resp = await browser.client.post("/api/accounts/sessions", json={"username": "lederf", "password": "non"})
    assert resp.status == 401 and resp.content_type == PROBLEM
    assert (await resp.json(content_type=None))["title"] == BAD_CREDENTIALS
    assert "Set-Cookie" not in resp.headers

    resp = await browser.client.post("/api/accounts/sessions", json={"username": "trop", "password": "non"})
    assert resp.status == 429 and resp.headers["Retry-After"] == "120"

    resp = await browser.client.post("/api/accounts/sessions", json={"username": "lederf"})
    assert resp.status == 422
    assert [e["field"] for e in (await resp.json(content_type=None))["errors"]] == ["password"]

    resp = await browser.client.post(
        "/api/accounts/sessions", data="{oops", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400


async def test_api_logout_forwards_the_token_and_clears_the_cookie(browser, accounts, parent):
    await browser.login()
    token = browser.cookie("pf_session")
    home = await browser.get("/")
    csrf = csrf_in(home.html, "/deconnexion")
    resp = await browser.client.delete("/api/accounts/sessions/current", headers={"X-CSRF-Token": csrf})
    assert resp.status == 204
    assert set_cookies(resp)["pf_session"]["max-age"] == "0"
    assert token not in accounts.sessions
    sent = [r for r in accounts.received if r["path"] == "/api/accounts/sessions/current"]
    assert sent[-1]["headers"]["X-Session-Token"] == token


async def test_api_logout_with_a_bearer_token(browser, accounts, parent):
    token = (
        await (
            await browser.client.post("/api/accounts/sessions", json={"username": "lederf", "password": PASSWORD})
        ).json()
    )["token"]
    browser.client.session.cookie_jar.clear()
    resp = await browser.client.delete("/api/accounts/sessions/current", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 204
    assert token not in accounts.sessions


async def test_the_cookie_becomes_a_signed_identity_and_is_never_forwarded(browser, parent):
    await browser.login()
    resp = await browser.client.get("/api/planning/basket")
    doc = await resp.json()
    assert doc["identity"] == {"user_id": parent.id, "roles": ["parent"], "dossier_id": parent.dossier_id}
    headers = {k.lower(): v for k, v in doc["headers"]}
    assert "cookie" not in headers
    assert browser.cookie("pf_session") not in str(doc)


async def test_a_bearer_token_becomes_a_signed_identity(browser, accounts, parent):
    token = (
        await (
            await browser.client.post("/api/accounts/sessions", json={"username": "lederf", "password": PASSWORD})
        ).json()
    )["token"]
    browser.client.session.cookie_jar.clear()
    resp = await browser.client.get("/api/billing/account", headers={"Authorization": f"Bearer {token}"})
    doc = await resp.json()
    assert doc["identity"]["user_id"] == parent.id
    assert "authorization" not in {k.lower() for k, _ in doc["headers"]}


async def test_a_bad_bearer_token_is_a_401_problem(browser):
    resp = await browser.client.get("/api/billing/account", headers={"Authorization": "Bearer nope"})
    assert resp.status == 401
    assert resp.content_type == PROBLEM
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_pages_ask_accounts_through_the_internal_call_with_the_request_id(browser, accounts, parent):
    await browser.login()
    await browser.client.get("/", headers={"X-Request-ID": "trace-me"})
    resolves = [r for r in accounts.received if r["path"] == "/internal/sessions/resolve"]
    assert resolves[-1]["headers"]["X-Request-ID"] == "trace-me"
    assert IDENTITY_HEADER not in resolves[-1]["headers"]


async def test_resolutions_are_cached_for_a_few_seconds(browser, accounts, parent):
    await browser.login()
    before = accounts.resolves
    for _ in range(3):
        await browser.client.get("/")
    assert accounts.resolves - before == 1


async def test_a_change_through_the_accounts_api_drops_the_cached_resolution(browser, accounts, parent):
    resp = await browser.client.post("/api/accounts/sessions", json={"username": "lederf", "password": PASSWORD})
    token = (await resp.json())["token"]
    headers = {"Authorization": f"Bearer {token}"}
    await browser.client.get("/api/accounts/me", headers=headers)
    before = accounts.resolves
    await browser.client.get("/api/accounts/me", headers=headers)
    assert accounts.resolves == before  # cached
    await browser.client.post(
        "/api/accounts/dossier/link", json={"dossier_number": "1", "family_name": "X"}, headers=headers
    )
    await browser.client.get("/api/accounts/me", headers=headers)
    assert accounts.resolves - before == 1  # asked again after the change


async def test_no_cache_when_its_lifetime_is_zero(make_gateway, accounts, parent):
    browser = Browser(await make_gateway(session_cache_seconds=0))
    await browser.login()
    before = accounts.resolves
    for _ in range(3):
        await browser.client.get("/")
    assert accounts.resolves - before == 3


def session_info(expires_in: float = 3600) -> SessionInfo:
    return SessionInfo(
        user_id=uuid.uuid4(),
        roles=frozenset({"parent"}),
        dossier_id=None,
        username="lederf",
        first_name="Arnaud",
        mobile_display=False,
        expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
    )


def test_session_cache_keeps_entries_for_its_ttl_only():
    now = [100.0]
    cache = SessionCache(5, clock=lambda: now[0])
    info = session_info()
    cache.put("secret-token", info)
    assert cache.get("secret-token") is info
    assert "secret-token" not in repr(cache._entries)
    now[0] += 4.9
    assert cache.get("secret-token") is info
    now[0] += 0.2
    assert cache.get("secret-token") is None
    assert len(cache) == 0


def test_session_cache_never_outlives_the_session_and_forgets_on_demand():
    now = [0.0]
    cache = SessionCache(5, clock=lambda: now[0])
    cache.put("short", session_info(expires_in=1))
    now[0] += 1.5
    assert cache.get("short") is None
    cache.put("t", session_info())
    cache.forget("t")
    assert cache.get("t") is None


async def test_session_cache_refreshes_ahead_without_outliving_its_answer():
    now = [0.0]
    cache = SessionCache(4, clock=lambda: now[0])
    first, second = session_info(), session_info()
    cache.put("t", first)
    now[0] = 2.9
    assert not cache.lookup("t")[1], "an entry within three quarters of its life is not refreshed"
    now[0] = 3.0
    assert cache.lookup("t")[1] and not cache.lookup("t")[1], "one refresh at a time"

    answered = asyncio.get_running_loop().create_future()
    cache.refresh_in_background("t", answered)
    assert cache.get("t") is first, "served while the refresh runs"
    answered.set_result(second)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert cache.get("t") is second
    now[0] = 6.9
    assert cache.get("t") is second, "the new answer's deadline: 3 + 4"
    now[0] = 7.1
    assert cache.get("t") is None


async def test_a_refresh_started_before_a_logout_does_not_bring_the_session_back():
    now = [3.0]
    cache = SessionCache(4, clock=lambda: now[0])
    cache.put("t", session_info())
    now[0] = 6.0
    assert cache.lookup("t")[1]
    answered = asyncio.get_running_loop().create_future()
    cache.refresh_in_background("t", answered)
    cache.forget("t")  # logout through this replica while accounts is answering
    answered.set_result(session_info())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert cache.get("t") is None


async def test_a_refresh_answered_no_session_forgets_it_and_a_failed_one_lets_it_expire():
    now = [0.0]
    cache = SessionCache(4, clock=lambda: now[0])
    cache.put("revoked", session_info())
    cache.put("flaky", session_info())
    now[0] = 3.0
    assert cache.lookup("revoked")[1] and cache.lookup("flaky")[1]
    revoked, flaky = (asyncio.get_running_loop().create_future() for _ in range(2))
    cache.refresh_in_background("revoked", revoked)
    cache.refresh_in_background("flaky", flaky)
    revoked.set_result(None)
    flaky.set_exception(ConnectionError())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert cache.get("revoked") is None
    assert cache.get("flaky") is not None, "kept until its deadline"
    assert cache.lookup("flaky")[1], "and tried again by the next request"
    now[0] = 4.0
    assert cache.get("flaky") is None
    await cache.close()


def test_session_cache_is_bounded():
    cache = SessionCache(5, max_entries=3)
    for n in range(5):
        cache.put(f"t{n}", session_info())
    assert len(cache) == 3
    assert cache.get("t0") is None and cache.get("t4") is not None


async def test_tokens_never_reach_the_logs(browser, parent, capsys):
    await browser.login()
    token = browser.cookie("pf_session")
    await browser.client.get("/api/planning/basket")
    home = await browser.get("/")
    await browser.client.post("/deconnexion", data={"csrf_token": csrf_in(home.html, "/deconnexion")})
    out = capsys.readouterr()
    assert token not in out.out + out.err
    assert "request_completed" in out.out + out.err


async def test_the_identity_token_lives_one_minute(browser, parent):
    await browser.login()
    doc = await (await browser.client.get("/api/planning/basket")).json()
    raw = {k.lower(): v for k, v in doc["headers"]}[IDENTITY_HEADER.lower()]
    assert verify_identity(raw, IDENTITY_SECRET).user_id == uuid.UUID(parent.id)
