"""A hand-written corpus of malformed forms and multipart bodies, sent to every UI form route.

The routes come from the gateway's own route table, so a new page's form is covered the
day it is added. Whatever the body, the answer is never a 5xx: a French page (HTML), a
redirect, or the form again.
"""

from __future__ import annotations

import re
import uuid

import pytest
from gateway.app import create_app
from gateway.settings import SERVICES, GatewaySettings

from .browser import Browser, csrf_in
from .portal_fakes import serving_fakes

# aiohttp warns about the broken Content-Disposition headers of the corpus, as it should.
pytestmark = [
    pytest.mark.filterwarnings("ignore::aiohttp.multipart.BadContentDispositionHeader"),
    pytest.mark.filterwarnings("ignore::aiohttp.multipart.BadContentDispositionParam"),
]

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
B = "pf-boundary-1234"
# Fixed, so that the test ids stay the same from one run to the next.
MADE_UP_ID = uuid.uuid5(uuid.NAMESPACE_URL, "https://portail-famille.fr/tests/made-up-id")


def form_routes() -> list[tuple[str, str]]:
    """``(method, path)`` of every route of the UI that takes a body (the API is proxied)."""
    settings = GatewaySettings(
        **{f"{name}_url": "http://127.0.0.1:9" for name in SERVICES},
        environment="development",
    )
    routes = set()
    for route in create_app(settings).router.routes():
        info = route.resource.canonical if route.resource is not None else ""
        if route.method in UNSAFE and not info.startswith(("/api/", "/static/")):
            # Path parameters get a made-up id: the route's handler decides what it is.
            routes.add((route.method, re.sub(r"\{[^}]+\}", str(MADE_UP_ID), info)))
    return sorted(routes)


def multipart(*parts: bytes, closing: bool = True) -> bytes:
    body = b"".join(b"--" + B.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (b"--" + B.encode() + b"--\r\n" if closing else b"")


def field(name: str, value: bytes, *, headers: bytes = b"") -> bytes:
    return b'Content-Disposition: form-data; name="' + name.encode() + b'"\r\n' + headers + b"\r\n" + value


MULTIPART = f"multipart/form-data; boundary={B}"
URLENCODED = "application/x-www-form-urlencoded"


def corpus(csrf: str) -> list[tuple[str, str, bytes]]:
    """``(label, content type, body)``: each one is broken in its own way."""
    token = csrf.encode()
    good = field("csrf_token", token)
    return [
        ("multipart without a boundary", "multipart/form-data", multipart(good)),
        ("multipart with an empty boundary", "multipart/form-data; boundary=", b"--\r\n\r\n"),
        ("multipart of garbage", MULTIPART, b"this is not multipart at all"),
        ("multipart cut short", MULTIPART, multipart(good, field("subject", b"abc"), closing=False)[:-10]),
        ("multipart with no part headers", MULTIPART, multipart(good, b"\r\nno headers")),
        (
            "multipart part of an unknown charset",
            MULTIPART,
            multipart(good, field("subject", b"abc", headers=b"Content-Type: text/plain; charset=x-martian\r\n")),
        ),
        ("multipart with a non-UTF-8 value", MULTIPART, multipart(good, field("subject", b"caf\xe9 \xff\xfe"))),
        ("multipart with a non-UTF-8 field name", MULTIPART, multipart(good, field("sub\xffject", b"x"))),
        (
            "multipart with a bad transfer encoding",
            MULTIPART,
            multipart(good, field("body", b"%%%", headers=b"Content-Transfer-Encoding: base64\r\n")),
        ),
        (
            "multipart with a broken disposition",
            MULTIPART,
            multipart(good, b"Content-Disposition: form-data; name=\"x; filename*=utf-8''%ff%fe\r\n\r\nv"),
        ),
        (
            "multipart part with a huge header",
            MULTIPART,
            multipart(good, field("x", b"v", headers=b"X: " + b"a" * 70000 + b"\r\n")),
        ),
        ("urlencoded of an unknown charset", URLENCODED + "; charset=x-martian", b"csrf_token=" + token + b"&a=b"),
        ("urlencoded with raw non-UTF-8 bytes", URLENCODED, b"csrf_token=" + token + b"&username=caf\xe9\xff"),
        ("urlencoded with escaped non-UTF-8 bytes", URLENCODED, b"csrf_token=" + token + b"&username=%ff%fe%c3"),
        (
            "urlencoded with a NUL and odd unicode",
            URLENCODED,
            b"csrf_token=" + token + b"&username=a%00b&subject=%F0%9F%98%80%E2%80%AE&body=%ED%A0%80",
        ),
        ("urlencoded with a huge field", URLENCODED, b"csrf_token=" + token + b"&body=" + b"x" * 300_000),
        (
            "urlencoded with thousands of fields",
            URLENCODED,
            b"csrf_token=" + token + b"&" + b"&".join(b"f%d=1" % i for i in range(5000)),
        ),
        ("a body of another type", "text/plain", b"csrf_token=" + token),
        ("no content type at all", "", b"csrf_token=" + token + b"&\xff"),
    ]


@pytest.fixture
async def services():
    """Planning and billing speak their contracts here: an echo would make every page that
    reads their answer report a bad gateway, which is right for an upstream that answers
    nonsense but says nothing about the malformed form itself."""
    async with serving_fakes() as servers:
        yield servers


@pytest.fixture
def parent(accounts):
    dossier_id = accounts.add_dossier("404", "LE DERF")
    return accounts.add_user("lederf", dossier_id=dossier_id)


@pytest.mark.parametrize(("method", "path"), form_routes())
async def test_no_malformed_form_makes_a_5xx(browser: Browser, parent, method, path):
    anonymous_csrf = csrf_in((await browser.get("/connexion")).html)
    await browser.login()
    signed_in_csrf = csrf_in((await browser.get("/compte/mot-de-passe")).html)
    outcomes = []
    for caller, csrf in (("signed in", signed_in_csrf), ("anonymous", anonymous_csrf)):
        if caller == "anonymous":
            browser.client.session.cookie_jar.clear(lambda c: c.key == "pf_session")
        for label, content_type, body in corpus(csrf):
            headers = {"Content-Type": content_type} if content_type else {}
            resp = await browser.client.request(method, path, data=body, headers=headers, allow_redirects=False)
            text = await resp.text(errors="replace")
            if resp.status >= 500 or (resp.status >= 400 and resp.content_type != "text/html"):
                outcomes.append(f"{caller}, {label}: {resp.status} {resp.content_type} {text[:120]!r}")
    assert not outcomes, "\n".join(outcomes)
