"""The parents' web UI: templates, the home page and the French error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
import structlog
from aiohttp import web
from servicekit.problems import STATUS_TITLES, Problem
from servicekit.web import REQUEST_ID

from . import stylesheet
from .caller import current_caller
from .clients import messaging
from .clients.base import UpstreamProblem
from .csrf import token_getter
from .settings import SETTINGS

log = structlog.get_logger(__name__)

STATIC_DIR = Path(__file__).parent / "static"

# The headings of the error pages; the sentence under them is the problem's French title.
ERROR_HEADINGS = {
    400: "Demande incorrecte",
    401: "Connexion nécessaire",
    403: "Accès refusé",
    404: "Page introuvable",
    408: "Demande trop lente",
    409: "Action impossible",
    410: "Lien expiré",
    422: "Informations non valides",
    429: "Trop de tentatives",
    500: "Erreur inattendue",
    502: "Service indisponible",
    503: "Service indisponible",
    504: "Le service ne répond pas",
}


def setup(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("gateway", "templates"),
        # A misspelt variable fails the tests instead of rendering as an empty string.
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        # Compiled once: outside development, no stat() of each template (a page and the
        # ones it extends and imports: 6 for the « Planning » month) on every render.
        auto_reload=app[SETTINGS].environment == "development",
    )
    app.router.add_get("/", home, name="home")
    stylesheet.setup(app)  # /static/portail.css, built from static/css/ (before the static route)
    app.router.add_static("/static/", STATIC_DIR, name="static")


def render(
    request: web.Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> web.Response:
    """Render a page with what every page needs (town, caller, CSRF token, request id)."""
    page = {
        "town_name": request.app[SETTINGS].town_name,
        "current_path": request.path,
        "request_id": request.get(REQUEST_ID, ""),
        "caller": current_caller(request),
        "csrf_token": token_getter(request),
        **(context or {}),
    }
    return aiohttp_jinja2.render_template(template, request, page, status=status)


async def home(request: web.Request) -> web.Response:
    context = {}
    if current_caller(request) is not None:
        # New replies of the town (guide, chapter 5); without messaging, just no count.
        context["unread_replies"] = await messaging.unread_replies_for_badge(request)
    return render(request, "home.html", context)


def is_api(request: web.Request) -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


@web.middleware
async def html_error_middleware(request: web.Request, handler):
    """Errors on browser paths become French pages; /api errors stay problem+json.

    Placed inside servicekit's problem middleware, so it sees the error first and lets
    /api errors through to it untouched.
    """
    if is_api(request):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kept = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        return _error_page(request, exc.status, STATUS_TITLES.get(exc.status, (None, None))[1], kept)
    except Problem as problem:
        return _error_page(request, problem.status, problem.title, problem.headers)
    except UpstreamProblem as problem:
        # A refusal of a service that the page did not handle itself: its French sentence.
        page_error = problem.as_page_error()
        return _error_page(request, page_error.status, page_error.title, page_error.headers)
    except Exception:
        log.exception("unhandled_error")
        return _error_page(request, 500, None, {})


def _error_page(request: web.Request, status: int, sentence: str | None, headers: dict[str, str]) -> web.Response:
    response = render(
        request,
        "error.html",
        {
            "status": status,
            "heading": ERROR_HEADINGS.get(status, "Une erreur est survenue"),
            "sentence": sentence or STATUS_TITLES[500][1],
        },
        status=status,
    )
    response.headers.update(headers)
    return response
