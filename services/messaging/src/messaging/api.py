"""Parents' HTTP entry points (« Messagerie / nous contacter »): parse → use case → answer."""

from __future__ import annotations

from aiohttp import web
from servicekit.idempotency import IDEMPOTENCY_PARAM, idempotent
from servicekit.openapi import Route
from servicekit.requests import path_uuid, read_query
from servicekit.web import model_response

from . import schemas
from .service import configuration, threads
from .web import (
    ATTACHMENT,
    ATTACHMENT_TYPES,
    attachment_response,
    caller,
    fingerprint_of,
    messaging,
    read_message,
)

PARENT = (
    "Any signed-in user; a parent reaches only the threads they started (others: 404). "
    "A thread they removed (« Supprimer ») answers 410 thread_deleted to them alone."
)


async def list_themes(request: web.Request) -> web.Response:
    # Public: the themes are no secret, and a « nous contacter » page may show them first.
    return model_response(await configuration.list_themes(messaging(request)))


async def start_thread(request: web.Request) -> web.Response:
    ctx = messaging(request)
    who = caller(request)
    cmd, upload = await read_message(request, schemas.NewThread, ctx)
    return await idempotent(
        request,
        lambda key: threads.start_thread(ctx, who, cmd, upload, key),
        pool=ctx.pool,
        fingerprint=fingerprint_of(cmd, upload),
    )


async def list_threads(request: web.Request) -> web.Response:
    query = read_query(request, schemas.ParentThreadsQuery)
    return model_response(await threads.list_parent_threads(messaging(request), caller(request), query))


async def get_thread(request: web.Request) -> web.Response:
    who = caller(request)
    return model_response(await threads.read_thread_as_parent(messaging(request), who, path_uuid(request)))


async def add_message(request: web.Request) -> web.Response:
    ctx = messaging(request)
    who = caller(request)
    thread_id = path_uuid(request)
    cmd, upload = await read_message(request, schemas.NewMessage, ctx)
    return await idempotent(
        request,
        lambda key: threads.add_parent_message(ctx, who, thread_id, cmd, upload, key),
        pool=ctx.pool,
        fingerprint=fingerprint_of(cmd, upload),
    )


async def delete_thread(request: web.Request) -> web.Response:
    await threads.hide_thread(messaging(request), caller(request), path_uuid(request))
    return web.Response(status=204)


async def download_attachment(request: web.Request) -> web.Response:
    who = caller(request)
    row = await threads.parent_attachment(
        messaging(request), who, path_uuid(request), path_uuid(request, "attachment_id")
    )
    return attachment_response(row)


async def get_notifications(request: web.Request) -> web.Response:
    return model_response(await threads.notifications(messaging(request), caller(request)))


THREADS = "/api/messaging/threads"

ROUTES = (
    Route(
        "GET",
        "/api/messaging/themes",
        list_themes,
        "The themes a parent can write to",
        "parents",
        response=schemas.ThemeList,
        access="Public.",
        public=True,
    ),
    Route(
        "POST",
        THREADS,
        start_thread,
        "« Envoyer un message »: a new thread (JSON, or multipart with an attachment)",
        "parents",
        body=schemas.NewThread,
        multipart=ATTACHMENT,
        response=schemas.ThreadOut,
        status=201,
        errors=(400, 413, 415, 422),
        headers=(IDEMPOTENCY_PARAM,),
        access=PARENT,
    ),
    Route(
        "GET",
        THREADS,
        list_threads,
        "The parent's threads: inbox (with replies) or sent",
        "parents",
        query=schemas.ParentThreadsQuery,
        response=schemas.ThreadPage,
        errors=(422,),
        access=PARENT,
    ),
    Route(
        "GET",
        THREADS + "/{id}",
        get_thread,
        "One thread; marks the town's replies read",
        "parents",
        response=schemas.ThreadOut,
        errors=(404, 410),
        access=PARENT,
    ),
    Route(
        "POST",
        THREADS + "/{id}/messages",
        add_message,
        "« Répondre »: continue the thread (409 once closed)",
        "parents",
        body=schemas.NewMessage,
        multipart=ATTACHMENT,
        response=schemas.ThreadOut,
        status=201,
        errors=(400, 404, 409, 410, 413, 415, 422),
        headers=(IDEMPOTENCY_PARAM,),
        access=PARENT,
    ),
    Route(
        "DELETE",
        THREADS + "/{id}",
        delete_thread,
        "« Supprimer »: remove from the parent's box (the town keeps it)",
        "parents",
        status=204,
        errors=(404,),
        access=PARENT,
    ),
    Route(
        "GET",
        THREADS + "/{id}/attachments/{attachment_id}",
        download_attachment,
        "Download an attachment",
        "parents",
        download=ATTACHMENT_TYPES,
        errors=(404, 410),
        access=PARENT,
    ),
    Route(
        "GET",
        "/api/messaging/notifications",
        get_notifications,
        "Unread replies, for the home page",
        "parents",
        response=schemas.Notifications,
        access=PARENT,
    ),
)
