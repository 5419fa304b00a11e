"""The parents' pages, one module per area; ``forms`` holds what they share."""

from __future__ import annotations

from aiohttp import web

from . import account, auth, dossier, messaging, registration


def setup(app: web.Application) -> None:
    for area in (auth, registration, dossier, account, messaging):
        area.setup(app)
