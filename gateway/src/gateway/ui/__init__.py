"""The parents' pages, one module per area; ``forms`` holds what they share."""

from __future__ import annotations

from aiohttp import web

from ..settings import SETTINGS
from . import account, auth, basket, billing, dossier, messaging, planning, qf, registration, treasury


def setup(app: web.Application) -> None:
    for area in (auth, registration, dossier, account, messaging, planning, basket, billing, qf):
        area.setup(app)
    if app[SETTINGS].simulated_treasury:
        # A stand-in of the Treasury: only where payments are simulated (never in production).
        treasury.setup(app)
