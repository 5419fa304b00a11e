"""Composition root of the gateway: ``create_app(settings)`` and the ``portail-gateway`` command.

Middleware order, outermost first: servicekit's request context (request id), metrics and
problem+json, then the French error pages for browser paths, then authentication (who is
calling, see ``auth``) and the CSRF check (``csrf``), so that their refusals get the same
French page or problem document as any other error. A page's form is parsed before the
CSRF check reads it (``bodies``), so that a body aiohttp cannot parse is a 400, not a 500.
``probes`` keeps ``/metrics`` off the public port (it has its own) and ``/ready`` terse;
``throttle`` brakes login attempts per client address (``forwarding``) before accounts. Security headers, the request id
header and the cookies set on the way out are added by ``on_response_prepare`` hooks.
Routes: the gateway's own session endpoints and pages first, the API proxy last.
"""

from __future__ import annotations

import argparse

from aiohttp import web
from servicekit.logging import configure_logging
from servicekit.settings import load_settings
from servicekit.web import READY_CHECKS, create_base_app

from . import apidocs, auth, bodies, csrf, pages, probes, security, server, throttle, ui, upstream
from .settings import SETTINGS, GatewaySettings


def create_app(settings: GatewaySettings) -> web.Application:
    app = create_base_app(
        "gateway",
        middlewares=[
            pages.html_error_middleware,
            probes.public_probes_middleware,
            auth.auth_middleware,
            throttle.login_throttle_middleware,
            bodies.form_middleware,
            csrf.csrf_middleware,
        ],
        # Forms carry files (« Envoyer un message »: 5 Mo at messaging); aiohttp spools them
        # to disk past 1 MiB. The same cap as the API proxy's.
        client_max_size=upstream.MAX_REQUEST_BODY_BYTES,
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.append(upstream.http_client_ctx)
    app[READY_CHECKS].extend(upstream.ready_checks())
    security.setup(app)
    probes.setup(app)
    server.setup(app)
    throttle.setup(app)
    csrf.setup(app)
    auth.setup(app)
    pages.setup(app)
    ui.setup(app)
    apidocs.setup(app)
    upstream.setup_routes(app)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="portail-gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the parents' web UI and route /api/<service>/... to the services")
    args = parser.parse_args(argv)

    settings = load_settings(GatewaySettings)
    configure_logging(settings.log_format, settings.log_level, "gateway")
    if args.command == "serve":
        server.serve(create_app(settings), settings)
