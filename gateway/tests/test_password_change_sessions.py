"""A password change closes the user's other sessions at once here, and keeps the caller's."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from .browser import Browser
from .fake_accounts import PASSWORD

NEW_PASSWORD = "Un-tout-nouveau-mot-2027"


@pytest.fixture
def parent(accounts):
    dossier_id = accounts.add_dossier("404", "LE DERF")
    return accounts.add_user("lederf", dossier_id=dossier_id)


async def signed_in(browser: Browser) -> bool:
    return "Bonjour Arnaud" in (await browser.get("/")).text


async def test_through_the_ui(make_gateway, parent):
    gateway = await make_gateway()
    # A second browser on the same gateway replica, with its own cookie jar.
    origin = str(gateway.server.make_url("/")).rstrip("/")
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[origin])
    other_client = TestClient(gateway.server, cookie_jar=jar)
    await other_client.start_server()
    here, elsewhere = Browser(gateway), Browser(other_client)
    try:
        await here.login()
        await elsewhere.login()
        assert await signed_in(here) and await signed_in(elsewhere)  # both resolutions now cached

        page = await here.submit(
            "/compte/mot-de-passe",
            "/compte/mot-de-passe",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
        )
        assert page.status == 303, page.text[:300]

        assert not await signed_in(elsewhere), "the other session is closed at once, not after the cache delay"
        assert await signed_in(here), "the session that changed the password is kept"
    finally:
        await other_client.session.close()


async def test_through_the_api(gateway, parent):
    async def open_session() -> str:
        resp = await gateway.post("/api/accounts/sessions", json={"username": "lederf", "password": PASSWORD})
        assert resp.status == 200
        return (await resp.json())["token"]

    mine = await open_session()
    gateway.session.cookie_jar.clear()  # API clients, not a browser: no cookie
    other = await open_session()
    gateway.session.cookie_jar.clear()

    async def me(token: str) -> int:
        return (await gateway.get("/api/accounts/me", headers={"Authorization": f"Bearer {token}"})).status

    assert await me(mine) == 200 and await me(other) == 200  # both cached
    resp = await gateway.post(
        "/api/accounts/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {mine}", "X-Session-Token": other},
    )
    assert resp.status == 200, await resp.text()
    assert await me(other) == 401, "the other session is closed at once"
    assert await me(mine) == 200, "the caller's own session is kept (the doc: other sessions are closed)"
