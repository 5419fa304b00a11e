"""Staff HTTP entrypoints under /api/accounts/admin (role ``accounts_staff`` or ``admin``)."""

from __future__ import annotations

from aiohttp import web
from servicekit.idempotency import IDEMPOTENCY_PARAM, idempotent
from servicekit.identity import Identity, require_role
from servicekit.openapi import Param, Route
from servicekit.pagination import parse_limit
from servicekit.problems import Problem
from servicekit.requests import path_uuid, read_json
from servicekit.web import model_response

from .api import PAGINATION, query_text
from .domain.audit import Actor
from .schemas import admin as a
from .schemas import public as p
from .service import dossier_changes, dossiers, imports, queries, users_admin
from .web import STAFF, accounts

ROLE = "accounts_staff"
TAG = "Staff: accounts"
CSV_TYPES = ("text/csv", "application/csv", "text/plain")


def staff(request: web.Request) -> tuple[Identity, Actor]:
    identity = require_role(request, ROLE)
    return identity, Actor(identity.user_id, "staff")


async def list_dossiers(request: web.Request) -> web.Response:
    staff(request)
    q = query_text(request, "q")
    limit = parse_limit(request.query.get("limit"))
    result = await queries.search_dossiers(accounts(request), q=q, limit=limit, cursor=request.query.get("cursor"))
    return model_response(result)


async def create_dossier(request: web.Request) -> web.Response:
    _, actor = staff(request)
    cmd = await read_json(request, a.DossierCreation)
    acc = accounts(request)
    return await idempotent(
        request, lambda key: dossiers.create_dossier(acc, actor, cmd, idempotency=key), pool=acc.pool
    )


async def import_dossiers(request: web.Request) -> web.Response:
    _, actor = staff(request)
    if request.content_type not in CSV_TYPES:
        raise Problem(415, "unsupported_media_type", "Envoyez le fichier au format CSV (text/csv).")
    dry_run = request.query.get("dry_run", "false").lower()
    if dry_run not in ("true", "false", "1", "0"):
        raise Problem(400, "invalid_dry_run", "Le paramètre dry_run vaut true ou false.")
    data = await request.read()
    result = await imports.import_dossiers(accounts(request), actor, data, dry_run=dry_run in ("true", "1"))
    return model_response(result)


async def get_dossier(request: web.Request) -> web.Response:
    staff(request)
    return model_response(await queries.staff_dossier(accounts(request), path_uuid(request, "dossier_id")))


async def patch_dossier(request: web.Request) -> web.Response:
    _, actor = staff(request)
    dossier_id = path_uuid(request, "dossier_id")
    cmd = await read_json(request, a.StaffDossierChange)
    return model_response(await dossier_changes.update_dossier_by_staff(accounts(request), actor, dossier_id, cmd))


async def get_dossier_history(request: web.Request) -> web.Response:
    staff(request)
    dossier_id = path_uuid(request, "dossier_id")
    limit = parse_limit(request.query.get("limit"))
    acc = accounts(request)
    await queries.staff_dossier(acc, dossier_id)  # 404 for an unknown dossier
    return model_response(
        await queries.dossier_history(acc, dossier_id, limit=limit, cursor=request.query.get("cursor"))
    )


async def add_child(request: web.Request) -> web.Response:
    _, actor = staff(request)
    dossier_id = path_uuid(request, "dossier_id")
    cmd = await read_json(request, a.ChildInput)
    acc = accounts(request)
    return await idempotent(
        request, lambda key: dossiers.add_child(acc, actor, dossier_id, cmd, idempotency=key), pool=acc.pool
    )


async def add_adult(request: web.Request) -> web.Response:
    _, actor = staff(request)
    dossier_id = path_uuid(request, "dossier_id")
    cmd = await read_json(request, a.AdultInput)
    acc = accounts(request)
    return await idempotent(
        request, lambda key: dossiers.add_adult(acc, actor, dossier_id, cmd, idempotency=key), pool=acc.pool
    )


async def patch_child(request: web.Request) -> web.Response:
    _, actor = staff(request)
    child_id = path_uuid(request, "child_id")
    cmd = await read_json(request, a.ChildChange)
    return model_response(await dossier_changes.update_child(accounts(request), actor, child_id, cmd))


async def list_users(request: web.Request) -> web.Response:
    staff(request)
    q = query_text(request, "q")
    limit = parse_limit(request.query.get("limit"))
    return model_response(
        await queries.search_users(accounts(request), q=q, limit=limit, cursor=request.query.get("cursor"))
    )


async def get_user(request: web.Request) -> web.Response:
    staff(request)
    return model_response(await queries.staff_user(accounts(request), path_uuid(request, "user_id")))


async def resend_activation(request: web.Request) -> web.Response:
    _, actor = staff(request)
    return model_response(await users_admin.resend_activation(accounts(request), actor, path_uuid(request, "user_id")))


async def deactivate_user(request: web.Request) -> web.Response:
    identity, actor = staff(request)
    user_id = path_uuid(request, "user_id")
    return model_response(await users_admin.deactivate(accounts(request), actor, identity.roles, user_id))


async def put_user_roles(request: web.Request) -> web.Response:
    identity, actor = staff(request)
    user_id = path_uuid(request, "user_id")
    cmd = await read_json(request, a.RolesChange)
    return model_response(
        await users_admin.set_roles(accounts(request), actor, identity.roles, user_id, list(cmd.roles))
    )


async def create_staff_user(request: web.Request) -> web.Response:
    identity, actor = staff(request)
    cmd = await read_json(request, a.StaffUserCreation)
    acc = accounts(request)
    return await idempotent(
        request,
        lambda key: users_admin.create_staff_user(acc, actor, identity.roles, cmd, idempotency=key),
        pool=acc.pool,
    )


_STAFF = {"access": STAFF, "roles": (ROLE,), "tag": TAG}
SEARCH = (Param("q", "part of the dossier number or family name"), *PAGINATION)

ROUTES = [
    Route(
        "GET",
        "/api/accounts/admin/dossiers",
        list_dossiers,
        "Search family files",
        response=a.DossierList,
        query=SEARCH,
        errors=(422,),
        **_STAFF,
    ),
    Route(
        "POST",
        "/api/accounts/admin/dossiers",
        create_dossier,
        "Create a family file with its adults and children",
        body=a.DossierCreation,
        response=a.StaffDossier,
        status=201,
        errors=(409,),
        headers=(IDEMPOTENCY_PARAM,),
        **_STAFF,
    ),
    Route(
        "POST",
        "/api/accounts/admin/dossiers/import",
        import_dossiers,
        "Import family files from the town's CSV",
        response=a.ImportResult,
        raw_body="text/csv",
        errors=(400, 413, 415, 422),
        **_STAFF,
        query=(Param("dry_run", "check only, write nothing", {"type": "boolean"}),),
        description="`;`-separated UTF-8 (BOM accepted), header `number;family_name;adult_last_name;adult_first_name;"
        "adult_email;adult_phone;child_first_name;child_last_name;child_birth_date;child_school;child_level`, one row "
        "per child. Every row is checked first: any rejected row → 422 with `report` [{line, reason}] and nothing "
        "imported.",
    ),
    Route(
        "GET",
        "/api/accounts/admin/dossiers/{dossier_id}",
        get_dossier,
        "One family file",
        response=a.StaffDossier,
        errors=(404,),
        **_STAFF,
    ),
    Route(
        "PATCH",
        "/api/accounts/admin/dossiers/{dossier_id}",
        patch_dossier,
        "Change a family file (audited)",
        body=a.StaffDossierChange,
        response=a.StaffDossier,
        errors=(404, 409),
        **_STAFF,
    ),
    Route(
        "GET",
        "/api/accounts/admin/dossiers/{dossier_id}/history",
        get_dossier_history,
        "The audit trail of a family file",
        response=p.History,
        query=PAGINATION,
        errors=(404, 422),
        **_STAFF,
    ),
    Route(
        "POST",
        "/api/accounts/admin/dossiers/{dossier_id}/children",
        add_child,
        "Add a child",
        body=a.ChildInput,
        response=p.Child,
        status=201,
        errors=(404,),
        headers=(IDEMPOTENCY_PARAM,),
        **_STAFF,
    ),
    Route(
        "POST",
        "/api/accounts/admin/dossiers/{dossier_id}/adults",
        add_adult,
        "Add a responsible adult",
        body=a.AdultInput,
        response=p.Adult,
        status=201,
        errors=(404,),
        headers=(IDEMPOTENCY_PARAM,),
        **_STAFF,
    ),
    Route(
        "PATCH",
        "/api/accounts/admin/children/{child_id}",
        patch_child,
        "Change a child",
        body=a.ChildChange,
        response=p.Child,
        errors=(404,),
        **_STAFF,
    ),
    Route(
        "GET",
        "/api/accounts/admin/users",
        list_users,
        "Search accounts",
        response=a.UserList,
        query=(Param("q", "part of the username, e-mail or last name"), *PAGINATION),
        errors=(422,),
        **_STAFF,
    ),
    Route(
        "GET",
        "/api/accounts/admin/users/{user_id}",
        get_user,
        "One account",
        response=a.UserDetail,
        errors=(404,),
        **_STAFF,
    ),
    Route(
        "POST",
        "/api/accounts/admin/users/{user_id}/activation-resend",
        resend_activation,
        "Send a new activation link (older ones stop working)",
        response=a.UserDetail,
        errors=(404, 409),
        **_STAFF,
    ),
    Route(
        "POST",
        "/api/accounts/admin/users/{user_id}/deactivate",
        deactivate_user,
        "Deactivate an account (sessions closed)",
        response=a.UserDetail,
        errors=(404,),
        **_STAFF,
    ),
    Route(
        "PUT",
        "/api/accounts/admin/users/{user_id}/roles",
        put_user_roles,
        "Set an account's staff roles",
        body=a.RolesChange,
        response=a.UserDetail,
        errors=(404,),
        **_STAFF,
        description="Only an admin grants or removes `admin`; nobody changes their own roles.",
    ),
    Route(
        "POST",
        "/api/accounts/admin/staff-users",
        create_staff_user,
        "Create a staff account (activation e-mail)",
        body=a.StaffUserCreation,
        response=a.UserDetail,
        status=201,
        headers=(IDEMPOTENCY_PARAM,),
        **_STAFF,
        description="The new staff member chooses their password when activating: nobody else ever sets it.",
    ),
]
