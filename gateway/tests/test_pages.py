"""The French web UI: home page, error pages, security headers, static files."""

from __future__ import annotations

import html as html_lib
import re

from aiohttp import web
from gateway.upstream import open_upstream

from .standins import unused_port

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def assert_security_headers(resp) -> None:
    assert resp.headers["Content-Security-Policy"] == CSP
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert "Server" not in resp.headers


def shown_reference(html: str) -> str:
    match = re.search(r"Référence de la demande\u00a0: <code>([^<]+)</code>", html)
    assert match, "the page shows no request reference"
    return match.group(1)


async def test_home_page_is_french_with_the_four_zones(gateway):
    resp = await gateway.get("/")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    html = html_lib.unescape(await resp.text())
    assert '<html lang="fr">' in html
    assert "Bienvenue sur le Portail Famille" in html
    assert 'href="#contenu">Aller au contenu</a>' in html and 'id="contenu"' in html
    assert '<nav class="main-nav" aria-label="Navigation principale">' in html
    for href, label in (
        ("/dossier", "Mon dossier"),
        ("/planning", "Planning"),
        ("/facturation", "Facturation"),
        ("/messagerie", "Messagerie / nous contacter"),
    ):
        assert f'<a href="{href}">{label}</a>' in html
    for item in (
        "Consulter mon dossier et mes démarches",
        "Modifier mes coordonnées",
        "Accéder à mes documents dématérialisés",
        "Consulter mes messages",
        "Communiquer avec un service de la Mairie",
        "Effectuer et/ou modifier les réservations",
        "Consulter l'historique de mon compte",
    ):
        assert item in html, item
    assert '<a href="/facturation/factures">Payer mes factures</a>' in html
    assert '<a href="/mon-dossier/documents">Accéder à mes documents dématérialisés</a>' in html
    assert '<a class="brand" href="/" aria-current="page">' in html


async def test_pages_carry_security_headers_and_are_not_cached(gateway):
    resp = await gateway.get("/")
    assert_security_headers(resp)
    assert resp.headers["Cache-Control"] == "no-store"


async def test_pages_need_no_script_nor_inline_style(gateway):
    html = html_lib.unescape(await (await gateway.get("/")).text())
    assert "<script" not in html
    assert "style=" not in html and "<style" not in html


async def test_stylesheet_is_served(gateway):
    resp = await gateway.get("/static/portail.css")
    assert resp.status == 200
    assert resp.content_type == "text/css"
    assert ":focus-visible" in await resp.text()
    assert_security_headers(resp)


async def test_unknown_pages_are_a_french_404_with_the_reference(gateway):
    for path in ("/nulle-part", "/planning/nulle-part", "/facturation/nulle-part"):
        resp = await gateway.get(path, headers={"X-Request-ID": "ref-404"})
        assert resp.status == 404, path
        assert resp.content_type == "text/html"
        html = html_lib.unescape(await resp.text())
        assert '<html lang="fr">' in html
        assert "Page introuvable" in html and "Cette page n'existe pas." in html
        assert shown_reference(html) == "ref-404" == resp.headers["X-Request-ID"]
        assert "Retour à l'accueil" in html
        assert resp.headers["Cache-Control"] == "no-store"
        assert_security_headers(resp)


async def test_nav_marks_the_current_section(gateway):
    html = html_lib.unescape(await (await gateway.get("/planning/nulle-part")).text())
    assert '<a href="/planning" aria-current="page">Planning</a>' in html
    assert 'aria-current="page">Mon dossier' not in html


async def test_a_crash_is_a_french_500_page_without_internals(make_gateway):
    async def broken(request):
        raise RuntimeError("secret internals")

    gateway = await make_gateway(setup=lambda app: app.router.add_get("/en-panne", broken))
    resp = await gateway.get("/en-panne")
    assert resp.status == 500
    html = html_lib.unescape(await resp.text())
    assert "Erreur inattendue" in html
    assert "secret internals" not in html and "Traceback" not in html
    assert shown_reference(html) == resp.headers["X-Request-ID"]


def page_needing_accounts(app: web.Application) -> None:
    """A browser page that calls a service, as the section pages will."""

    async def handler(request):
        async with open_upstream(request.app, "accounts", "GET", "/api/accounts/slow?seconds=1", headers={}) as resp:
            return web.Response(text=await resp.text())

    app.router.add_get("/page-avec-service", handler)


async def test_slow_service_behind_a_page_is_a_french_504_page(make_gateway):
    gateway = await make_gateway(setup=page_needing_accounts, upstream_timeout_seconds=0.2)
    resp = await gateway.get("/page-avec-service")
    assert resp.status == 504
    assert resp.content_type == "text/html"
    html = html_lib.unescape(await resp.text())
    assert "Le service met trop de temps à répondre." in html
    assert shown_reference(html) == resp.headers["X-Request-ID"]


async def test_unreachable_service_behind_a_page_is_a_french_502_page(make_gateway):
    gateway = await make_gateway(setup=page_needing_accounts, accounts_url=f"http://127.0.0.1:{unused_port()}")
    resp = await gateway.get("/page-avec-service")
    assert resp.status == 502
    assert resp.content_type == "text/html"
    assert "Service indisponible" in await resp.text()


async def test_wrong_method_on_a_page_is_a_french_405_page(gateway):
    resp = await gateway.post("/")
    assert resp.status == 405
    assert resp.content_type == "text/html"
    assert resp.headers["Allow"] == "GET,HEAD"
    assert "Cette action n'est pas permise ici." in html_lib.unescape(await resp.text())


async def test_probes_stay_json(gateway):
    resp = await gateway.get("/health")
    assert resp.status == 200 and (await resp.json())["status"] == "ok"
    assert_security_headers(resp)


async def test_header_names_the_town_and_offers_to_sign_in(make_gateway):
    gateway = await make_gateway()  # in development and tests, the demo data's town
    html = html_lib.unescape(await (await gateway.get("/")).text())
    assert '<span class="brand-town">Puiseux-en-France</span>' in html
    assert '<a href="/connexion">Se connecter</a>' in html
    assert 'href="/inscription">Inscrivez-vous</a>' in html
    assert "Se déconnecter" not in html
