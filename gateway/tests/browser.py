"""A browser stand-in over aiohttp's test client: pages as text, forms filled in by name.

Forms are submitted the way a browser would: the page is fetched first, and its hidden
``csrf_token`` goes back with the fields.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie

from aiohttp.test_utils import TestClient

from .fake_accounts import PASSWORD


@dataclass
class Page:
    status: int
    html: str
    location: str | None
    headers: dict
    cookies: dict

    @property
    def text(self) -> str:
        """The page's text content, entities decoded and whitespace collapsed."""
        without_tags = re.sub(r"<[^>]+>", " ", self.html)
        return " ".join(html_lib.unescape(without_tags).split())


def csrf_in(html: str, action: str | None = None) -> str:
    """The CSRF token of the form posting to ``action`` (or of the first form)."""
    forms = re.findall(r"<form[^>]*>.*?</form>", html, flags=re.DOTALL)
    for form in forms:
        if action is None or f'action="{action}"' in form:
            match = re.search(r'name="csrf_token" value="([^"]+)"', form)
            if match:
                return match.group(1)
    raise AssertionError(f"no form posting to {action} with a CSRF token")


def set_cookies(resp) -> dict[str, SimpleCookie]:
    """Each Set-Cookie header of a response, by cookie name, with its attributes."""
    cookies = {}
    for header in resp.headers.getall("Set-Cookie", []):
        cookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            cookies[name] = cookie[name]
    return cookies


class Browser:
    def __init__(self, client: TestClient):
        self.client = client

    async def page(self, resp) -> Page:
        return Page(resp.status, await resp.text(), resp.headers.get("Location"), dict(resp.headers), set_cookies(resp))

    async def get(self, path: str, **kwargs) -> Page:
        kwargs.setdefault("allow_redirects", False)
        return await self.page(await self.client.get(path, **kwargs))

    async def submit(self, page_path: str, action: str, fields: dict[str, str] | None = None, **kwargs) -> Page:
        """Open ``page_path``, then post its form ``action`` with ``fields``."""
        form_page = await self.get(page_path, allow_redirects=True)
        assert form_page.status == 200, (page_path, form_page.status, form_page.text[:300])
        data = {"csrf_token": csrf_in(form_page.html, action), **(fields or {})}
        return await self.post(action, data, **kwargs)

    async def post(self, action: str, data: dict[str, str], **kwargs) -> Page:
        kwargs.setdefault("allow_redirects", False)
        return await self.page(await self.client.post(action, data=data, **kwargs))

    async def login(self, username: str = "lederf", password: str = PASSWORD) -> Page:
        page = await self.submit("/connexion", "/connexion", {"username": username, "password": password})
        assert page.status == 303, page.text[:500]
        return page

    def cookie(self, name: str) -> str | None:
        for cookie in self.client.session.cookie_jar:
            if cookie.key == name:
                return cookie.value
        return None
