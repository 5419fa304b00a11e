"""Public HTTP entrypoints of « Mon dossier »: the family file its parent sees and changes."""

from __future__ import annotations

from aiohttp import web
from servicekit.identity import require_dossier, require_identity
from servicekit.openapi import Route
from servicekit.pagination import parse_limit
from servicekit.requests import client_address, path_uuid, read_json
from servicekit.web import model_response

from .api import PAGINATION
from .domain.audit import Actor
from .schemas import public as s
from .service import dossier_changes, queries, registration
from .web import DOSSIER, USER, accounts

DOSSIER_TAG = "Mon dossier"


async def get_my_dossier(request: web.Request) -> web.Response:
    identity = require_identity(request)
    dossier_id = require_dossier(request)
    return model_response(await queries.parent_dossier(accounts(request), dossier_id, identity.user_id))


async def patch_my_dossier(request: web.Request) -> web.Response:
    identity = require_identity(request)
    dossier_id = require_dossier(request)
    cmd = await read_json(request, s.DossierChange)
    acc = accounts(request)
    await dossier_changes.update_own_dossier(acc, Actor(identity.user_id, "parent"), dossier_id, cmd)
    return model_response(await queries.parent_dossier(acc, dossier_id, identity.user_id))


async def get_my_dossier_history(request: web.Request) -> web.Response:
    dossier_id = require_dossier(request)
    limit = parse_limit(request.query.get("limit"))
    history = await queries.dossier_history(
        accounts(request), dossier_id, limit=limit, cursor=request.query.get("cursor")
    )
    return model_response(history)


async def link_my_dossier(request: web.Request) -> web.Response:
    identity = require_identity(request)
    cmd = await read_json(request, s.LinkDossierRequest)
    linked = await registration.link_dossier(
        accounts(request), identity.user_id, cmd.dossier_number, cmd.family_name, client=client_address(request)
    )
    return model_response(linked)


async def get_dossier_by_id(request: web.Request) -> web.Response:
    identity = require_identity(request)
    dossier_id = require_dossier(request, path_uuid(request, "dossier_id"))
    return model_response(await queries.parent_dossier(accounts(request), dossier_id, identity.user_id))


async def get_child_by_id(request: web.Request) -> web.Response:
    dossier_id = require_dossier(request)
    child = await queries.parent_child(accounts(request), path_uuid(request, "child_id"), dossier_id)
    return model_response(child)


ROUTES = [
    Route(
        "GET",
        "/api/accounts/dossier",
        get_my_dossier,
        "My family file",
        DOSSIER_TAG,
        access=DOSSIER,
        response=s.Dossier,
        errors=(403,),
    ),
    Route(
        "PATCH",
        "/api/accounts/dossier",
        patch_my_dossier,
        "Change phones, e-mails and « factures par e-mail »",
        DOSSIER_TAG,
        access=DOSSIER,
        body=s.DossierChange,
        response=s.Dossier,
        errors=(403, 404),
        description='Only the listed fields; a field left out is unchanged, null or "" clears it. Audited.',
    ),
    Route(
        "GET",
        "/api/accounts/dossier/history",
        get_my_dossier_history,
        "The audit trail of my family file",
        DOSSIER_TAG,
        access=DOSSIER,
        response=s.History,
        query=PAGINATION,
        errors=(403, 422),
    ),
    Route(
        "POST",
        "/api/accounts/dossier/link",
        link_my_dossier,
        "Link my account to my family file",
        DOSSIER_TAG,
        access=USER,
        body=s.LinkDossierRequest,
        response=s.LinkedDossier,
        errors=(409, 429),
    ),
    Route(
        "GET",
        "/api/accounts/dossiers/{dossier_id}",
        get_dossier_by_id,
        "My family file, by id",
        DOSSIER_TAG,
        access=DOSSIER,
        response=s.Dossier,
        errors=(403, 404),
    ),
    Route(
        "GET",
        "/api/accounts/children/{child_id}",
        get_child_by_id,
        "One of my children",
        DOSSIER_TAG,
        access=DOSSIER,
        response=s.Child,
        errors=(403, 404),
    ),
]
