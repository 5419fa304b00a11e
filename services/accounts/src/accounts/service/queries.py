"""What parents and staff read: terms, « Mon dossier », the history, searches."""

from __future__ import annotations

import uuid

from ..domain.errors import NotFound, not_found
from ..domain.names import name_key
from ..schemas.admin import DossierList, StaffDossier, UserDetail, UserList
from ..schemas.public import Child, Dossier, History, Me, Terms
from ..store import views
from .common import subscriptions
from .deps import Accounts


async def current_terms(acc: Accounts) -> Terms:
    async with acc.pool.acquire() as conn:
        row = await views.current_terms(conn)
    if row is None:
        raise NotFound("no_terms", "Les conditions d'utilisation ne sont pas encore publiées.")
    return Terms(version=row["version"], text=row["text"])


async def current_terms_version(acc: Accounts) -> str | None:
    async with acc.pool.acquire() as conn:
        row = await views.current_terms(conn)
    return row["version"] if row else None


async def me(acc: Accounts, user_id: uuid.UUID) -> Me:
    async with acc.pool.acquire() as conn:
        user = await views.user(conn, user_id)
        if user is None:
            raise NotFound("not_found", "Ce compte n'existe pas.")
        summary = await views.dossier_summary(conn, user["dossier_id"]) if user["dossier_id"] else None
    return Me(
        user=dict(user),
        roles=sorted(user["roles"]),
        dossier=dict(summary) if summary else None,
        subscriptions=subscriptions(summary["number"] if summary else None, user["status"]),
    )


async def parent_dossier(acc: Accounts, dossier_id: uuid.UUID, user_id: uuid.UUID) -> Dossier:
    async with acc.pool.acquire() as conn:
        data = await views.dossier(conn, dossier_id)
        user = await views.user(conn, user_id)
    if data is None:
        raise not_found()
    status = user["status"] if user is not None else "active"
    return Dossier.model_validate({**data, "subscriptions": subscriptions(data["number"], status)})


async def parent_child(acc: Accounts, child_id: uuid.UUID, dossier_id: uuid.UUID) -> Child:
    async with acc.pool.acquire() as conn:
        row = await views.child(conn, child_id)
    # Someone else's child answers exactly like a child that does not exist.
    if row is None or row["dossier_id"] != dossier_id:
        raise not_found()
    return Child.model_validate(dict(row))


async def dossier_history(acc: Accounts, dossier_id: uuid.UUID, *, limit: int, cursor: str | None) -> History:
    after = acc.cursors.decode(cursor, int)
    async with acc.pool.acquire() as conn:
        rows = await views.history(conn, dossier_id, limit=limit + 1, before_id=after[0] if after else None)
    items, next_cursor = acc.cursors.page(rows, limit, key=lambda r: (r["id"],))
    return History(items=[dict(r) for r in items], next_cursor=next_cursor)


async def staff_dossier(acc: Accounts, dossier_id: uuid.UUID) -> StaffDossier:
    async with acc.pool.acquire() as conn:
        data = await views.dossier(conn, dossier_id)
    if data is None:
        raise not_found()
    return StaffDossier.model_validate(data)


async def search_dossiers(acc: Accounts, *, q: str | None, limit: int, cursor: str | None) -> DossierList:
    after = acc.cursors.decode(cursor, str, str)
    q = (q or "").strip() or None
    async with acc.pool.acquire() as conn:
        rows = await views.search_dossiers(conn, q=q, name_q=name_key(q) if q else None, limit=limit + 1, after=after)
    items, next_cursor = acc.cursors.page(rows, limit, key=lambda r: (r["family_name_key"], r["number"]))
    return DossierList(items=items, next_cursor=next_cursor)


async def staff_user(acc: Accounts, user_id: uuid.UUID) -> UserDetail:
    async with acc.pool.acquire() as conn:
        row = await views.user(conn, user_id)
    if row is None:
        raise not_found()
    return UserDetail.model_validate(dict(row))


async def search_users(acc: Accounts, *, q: str | None, limit: int, cursor: str | None) -> UserList:
    after = acc.cursors.decode(cursor, str, str)
    q = (q or "").strip() or None
    async with acc.pool.acquire() as conn:
        rows = await views.search_users(conn, q=q, limit=limit + 1, after=after)
    items, next_cursor = acc.cursors.page(rows, limit, key=lambda r: (r["username"].lower(), str(r["id"])))
    return UserList(items=[dict(r) for r in items], next_cursor=next_cursor)
