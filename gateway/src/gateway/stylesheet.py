"""The parents' stylesheet: written in parts (``static/css/``), served as one file.

Pages link one stylesheet, ``/static/portail.css``, and make one CSS request. The gateway
builds it when the application is created, by joining the parts in the order of ``PARTS``
(the order of the cascade: a later rule of equal specificity wins, so a part may rely on
the ones before it), and serves it from memory with a strong ETag (a hash of the content)
and ``Cache-Control: no-cache``: the address has no version in it, so a browser asks again
on each page and gets a 304 while the stylesheet is unchanged. The other files under
``/static/`` get the same Cache-Control.

A part listed but absent, or a ``.css`` file in the folder that is not listed, stops the
gateway at start-up (``StylesheetError``) rather than serving a partial stylesheet.
The reverse proxy (deploy/kubernetes/proxy/nginx.conf, also Compose's) passes /static/ to
the gateway like every other path: nothing is read from disk there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

PARTS_DIR = Path(__file__).parent / "static" / "css"
URL = "/static/portail.css"

# The cascade's order: the frame first, then components, tables last.
PARTS = (
    "base.css",  # colours, page frame, links, focus ring, headings, utilities
    "layout.css",  # header, account links, main menu and its badge, footer
    "home.css",  # the home page's zones, the error pages
    "forms.css",  # notices, fields, errors, buttons, « ergonomie mobile »
    "details.css",  # registration steps, read-only details, lists of cards, links, entries
    "messaging.css",  # tabs, threads, tags, pagination, breadcrumb, messages
    "tables.css",  # scrolling tables, basket, payment history, /api/docs
    "planning.css",  # the month grid, its legend and navigation
)

CACHE_CONTROL = "no-cache"


class StylesheetError(RuntimeError):
    """The stylesheet's parts do not match ``PARTS``: the gateway does not start."""


@dataclass(frozen=True)
class Stylesheet:
    body: bytes
    etag: str  # strong: a quoted hash of the body


def build(folder: Path, parts: tuple[str, ...]) -> Stylesheet:
    """The parts joined in order, a blank line between two; each part's text unchanged."""
    missing = [name for name in parts if not (folder / name).is_file()]
    if missing:
        raise StylesheetError(
            f"stylesheet parts missing from {folder}: {', '.join(missing)} (listed in stylesheet.PARTS)"
        )
    unlisted = sorted(p.name for p in folder.glob("*.css") if p.name not in parts)
    if unlisted:
        raise StylesheetError(f"{folder} has parts that stylesheet.PARTS does not list: {', '.join(unlisted)}")
    body = "\n".join((folder / name).read_text(encoding="utf-8") for name in parts).encode()
    return Stylesheet(body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"')


def _matches(if_none_match: str, etag: str) -> bool:
    # If-None-Match compares weakly (RFC 9110 §13.1.2): a W/ prefix does not matter.
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def handler(sheet: Stylesheet):
    async def stylesheet(request: web.Request) -> web.Response:
        headers = {"ETag": sheet.etag, "Cache-Control": CACHE_CONTROL}
        if _matches(request.headers.get("If-None-Match", ""), sheet.etag):
            return web.Response(status=304, headers=headers)
        return web.Response(body=sheet.body, content_type="text/css", charset="utf-8", headers=headers)

    return stylesheet


async def _static_cache_control(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith("/static/") and response.status in (200, 304):
        response.headers.setdefault("Cache-Control", CACHE_CONTROL)


def setup(app: web.Application) -> None:
    """Before the static files' route, which would otherwise answer for ``URL``."""
    app.router.add_get(URL, handler(build(PARTS_DIR, PARTS)), name="stylesheet")
    app.on_response_prepare.append(_static_cache_control)
