"""Security headers on every response the gateway sends.

Set from ``on_response_prepare`` rather than a middleware: that signal fires for every
response just before its headers leave, including the streamed API responses (already
sent when a middleware would see them) and the error responses made by servicekit's
outer middlewares.
"""

from __future__ import annotations

from aiohttp import web
from servicekit.logging import REQUEST_ID_HEADER
from servicekit.web import REQUEST_ID

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    # The gateway speaks for the whole site: its policy replaces whatever a service sent.
    response.headers.update(SECURITY_HEADERS)
    if response.content_type == "text/html":
        # Pages will carry a parent's personal data; no shared or browser cache keeps them.
        response.headers["Cache-Control"] = "no-store"
    # Which server software and version answers is of use to attackers only.
    response.headers.popall("Server", None)
    request_id = request.get(REQUEST_ID)
    if request_id:
        # servicekit's middleware sets it too, but only once a handler returns, which is
        # too late for a streamed response.
        response.headers[REQUEST_ID_HEADER] = request_id


def setup(app: web.Application) -> None:
    app.on_response_prepare.append(add_security_headers)
