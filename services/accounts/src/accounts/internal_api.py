"""For the gateway only (never proxied under /api): who holds a session token, and the
registration wizard's drafts."""

from __future__ import annotations

from aiohttp import web
from servicekit.openapi import Route
from servicekit.requests import client_address, read_json
from servicekit.web import model_response

from .schemas import internal as i
from .schemas import public as s
from .service import drafts, sessions
from .web import accounts, no_store


async def resolve_session(request: web.Request) -> web.Response:
    cmd = await read_json(request, i.SessionToken)
    return no_store(await sessions.resolve(accounts(request), cmd.token))


async def revoke_session(request: web.Request) -> web.Response:
    cmd = await read_json(request, i.SessionToken)
    await sessions.revoke(accounts(request), cmd.token)
    return web.Response(status=204)


def _draft_id(request: web.Request) -> str:
    return request.match_info["draft_id"]


async def create_draft(request: web.Request) -> web.Response:
    return model_response(await drafts.create(accounts(request)), status=201)


async def get_draft(request: web.Request) -> web.Response:
    return model_response(await drafts.get(accounts(request), _draft_id(request)))


async def save_draft_identity(request: web.Request) -> web.Response:
    step = await read_json(request, i.DraftIdentity)
    return model_response(await drafts.save_identity(accounts(request), _draft_id(request), step))


async def save_draft_dossier(request: web.Request) -> web.Response:
    step = await read_json(request, i.DraftDossier)
    summary = await drafts.save_dossier(accounts(request), _draft_id(request), step, client=client_address(request))
    return model_response(summary)


async def save_draft_terms(request: web.Request) -> web.Response:
    step = await read_json(request, i.DraftTerms)
    return model_response(await drafts.save_terms(accounts(request), _draft_id(request), step))


async def submit_draft(request: web.Request) -> web.Response:
    return model_response(
        await drafts.submit(accounts(request), _draft_id(request), client=client_address(request)), status=201
    )


async def cancel_draft(request: web.Request) -> web.Response:
    await drafts.cancel(accounts(request), _draft_id(request))
    return web.Response(status=204)


DRAFT = "/internal/registration-drafts/{draft_id}"

ROUTES = [
    Route(
        "POST",
        "/internal/sessions/resolve",
        resolve_session,
        "Resolve a session token",
        "Internal",
        body=i.SessionToken,
        response=i.ResolvedSession,
        errors=(401,),
    ),
    Route(
        "POST",
        "/internal/sessions/revoke",
        revoke_session,
        "Revoke a session token",
        "Internal",
        body=i.SessionToken,
        status=204,
    ),
    Route(
        "POST",
        "/internal/registration-drafts",
        create_draft,
        "Start a registration wizard draft",
        "Internal",
        response=i.DraftCreated,
        status=201,
    ),
    Route(
        "GET",
        DRAFT,
        get_draft,
        "A draft's summary (never the password)",
        "Internal",
        response=i.DraftSummary,
        errors=(404,),
    ),
    Route(
        "PUT",
        DRAFT + "/identity",
        save_draft_identity,
        "Step 1: my information",
        "Internal",
        body=i.DraftIdentity,
        response=i.DraftSummary,
        errors=(404, 422),
    ),
    Route(
        "PUT",
        DRAFT + "/dossier",
        save_draft_dossier,
        "Step 2: my dossier references (or without)",
        "Internal",
        body=i.DraftDossier,
        response=i.DraftSummary,
        errors=(404, 409, 422, 429),
    ),
    Route(
        "PUT",
        DRAFT + "/terms",
        save_draft_terms,
        "Step 3: terms of use accepted",
        "Internal",
        body=i.DraftTerms,
        response=i.DraftSummary,
        errors=(404, 422),
    ),
    Route(
        "POST",
        DRAFT + "/submit",
        submit_draft,
        "Step 4: create the pending account",
        "Internal",
        response=s.Registration,
        status=201,
        errors=(404, 409, 422, 429),
    ),
    Route("DELETE", DRAFT, cancel_draft, "« Annuler »: forget the draft", "Internal", status=204),
]
