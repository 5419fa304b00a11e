"""Cookies added from ``on_response_prepare`` hooks.

aiohttp serialises ``response.set_cookie`` into headers *before* it runs the prepare
hooks, so a hook that decides on a cookie (a new anonymous CSRF secret, clearing a dead
session) must write the ``Set-Cookie`` header itself. The attributes are those that
``set_cookie`` would write.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from aiohttp import web


def add_set_cookie(
    response: web.StreamResponse,
    name: str,
    value: str,
    *,
    path: str = "/",
    max_age: int | None = None,
    httponly: bool = True,
    samesite: str = "Lax",
    secure: bool = True,
) -> None:
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = path
    if max_age is not None:
        morsel["max-age"] = str(max_age)
        if max_age == 0:
            morsel["expires"] = "Thu, 01 Jan 1970 00:00:00 GMT"
    morsel["httponly"] = httponly
    morsel["samesite"] = samesite
    morsel["secure"] = secure
    response.headers.add("Set-Cookie", morsel.OutputString())
