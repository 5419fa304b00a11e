"""Staff HTTP entry points under /api/messaging/admin/: inboxes, replies, configuration.

Threads are reached through their theme's role (``admin``: every theme). The messaging
configuration (themes, reply templates, the e-mail delivery log) is ``messaging_staff``'s;
bounced addresses are shown to ``accounts_staff`` too, who fix parents' addresses.
"""

from __future__ import annotations

import structlog
from aiohttp import web
from servicekit.idempotency import IDEMPOTENCY_PARAM, idempotent
from servicekit.identity import require_role
from servicekit.openapi import Route
from servicekit.requests import path_uuid, read_json, read_query
from servicekit.web import model_response

from . import schemas
from .domain.threads import CLOSED, MESSAGING_STAFF, OPEN, THEME_ROLES
from .service import configuration, emails, inbox
from .web import ATTACHMENT_TYPES, attachment_response, messaging

ADMIN = "/api/messaging/admin"
THEME_ROLE = "Staff holding the thread's theme role, or admin (403 otherwise)."
CONFIG = "messaging_staff or admin."


def staff(request: web.Request):
    """Any agent with a theme role (403 for parents before anything is parsed)."""
    identity = require_role(request, *THEME_ROLES)
    structlog.contextvars.bind_contextvars(user_id=str(identity.user_id))
    return identity


async def list_threads(request: web.Request) -> web.Response:
    who = staff(request)
    query = read_query(request, schemas.StaffThreadsQuery)
    return model_response(await inbox.staff_threads(messaging(request), who, query))


async def get_thread(request: web.Request) -> web.Response:
    return model_response(await inbox.read_thread_as_staff(messaging(request), staff(request), path_uuid(request)))


async def reply(request: web.Request) -> web.Response:
    who = staff(request)
    thread_id = path_uuid(request)
    cmd = await read_json(request, schemas.StaffReply)
    ctx = messaging(request)
    return await idempotent(request, lambda key: inbox.reply(ctx, who, thread_id, cmd, key), pool=ctx.pool)


async def close_thread(request: web.Request) -> web.Response:
    return model_response(await inbox.set_thread_state(messaging(request), staff(request), path_uuid(request), CLOSED))


async def reopen_thread(request: web.Request) -> web.Response:
    return model_response(await inbox.set_thread_state(messaging(request), staff(request), path_uuid(request), OPEN))


async def download_attachment(request: web.Request) -> web.Response:
    row = await inbox.staff_attachment(
        messaging(request), staff(request), path_uuid(request), path_uuid(request, "attachment_id")
    )
    return attachment_response(row)


async def list_themes(request: web.Request) -> web.Response:
    require_role(request, MESSAGING_STAFF)
    return model_response(await configuration.admin_themes(messaging(request)))


async def create_theme(request: web.Request) -> web.Response:
    require_role(request, MESSAGING_STAFF)
    cmd = await read_json(request, schemas.ThemeCreate)
    return model_response(await configuration.create_theme(messaging(request), cmd), status=201)


async def update_theme(request: web.Request) -> web.Response:
    require_role(request, MESSAGING_STAFF)
    theme_id = path_uuid(request)
    cmd = await read_json(request, schemas.ThemeUpdate)
    return model_response(await configuration.update_theme(messaging(request), theme_id, cmd))


async def list_reply_templates(request: web.Request) -> web.Response:
    return model_response(await configuration.reply_templates(messaging(request), staff(request)))


async def create_reply_template(request: web.Request) -> web.Response:
    require_role(request, MESSAGING_STAFF)
    cmd = await read_json(request, schemas.ReplyTemplateCreate)
    return model_response(await configuration.create_reply_template(messaging(request), cmd), status=201)


async def update_reply_template(request: web.Request) -> web.Response:
    require_role(request, MESSAGING_STAFF)
    template_id = path_uuid(request)
    cmd = await read_json(request, schemas.ReplyTemplateUpdate)
    return model_response(await configuration.update_reply_template(messaging(request), template_id, cmd))


async def delete_reply_template(request: web.Request) -> web.Response:
    require_role(request, MESSAGING_STAFF)
    await configuration.delete_reply_template(messaging(request), path_uuid(request))
    return web.Response(status=204)


async def list_emails(request: web.Request) -> web.Response:
    require_role(request, MESSAGING_STAFF)
    query = read_query(request, schemas.EmailLogQuery)
    return model_response(await emails.email_log(messaging(request), query))


async def list_bounced_addresses(request: web.Request) -> web.Response:
    require_role(request, MESSAGING_STAFF, "accounts_staff")
    query = read_query(request, schemas.PageQuery)
    return model_response(await emails.bounced_addresses(messaging(request), query))


async def lift_bounced_address(request: web.Request) -> web.Response:
    require_role(request, MESSAGING_STAFF, "accounts_staff")
    await emails.lift_bounced_address(messaging(request), path_uuid(request))
    return web.Response(status=204)


T = ADMIN + "/threads"
STAFF_TAG = "staff"
CONF = "staff configuration"

ROUTES = (
    Route(
        "GET",
        T,
        list_threads,
        "Inbox per theme and role (?theme_id=&state=open|closed&unread=true)",
        STAFF_TAG,
        query=schemas.StaffThreadsQuery,
        response=schemas.StaffThreadPage,
        errors=(403, 404, 422),
        access="Staff with a theme role; lists the themes of their roles (admin: all).",
        operation_id="staff_list_threads",  # api.list_threads is the parents' one
    ),
    Route(
        "GET",
        T + "/{id}",
        get_thread,
        "One thread; marks the parent's messages read by staff",
        STAFF_TAG,
        response=schemas.StaffThreadOut,
        errors=(403, 404),
        access=THEME_ROLE,
        operation_id="staff_get_thread",  # api.get_thread is the parents' one
    ),
    Route(
        "POST",
        T + "/{id}/replies",
        reply,
        "Reply to the parent (unread for them; e-mail notice)",
        STAFF_TAG,
        body=schemas.StaffReply,
        response=schemas.StaffThreadOut,
        status=201,
        errors=(400, 403, 404, 409, 415, 422),
        headers=(IDEMPOTENCY_PARAM,),
        access=THEME_ROLE,
    ),
    Route(
        "POST",
        T + "/{id}/close",
        close_thread,
        "Close the thread (the parent can no longer answer)",
        STAFF_TAG,
        response=schemas.StaffThreadOut,
        errors=(403, 404),
        access=THEME_ROLE,
    ),
    Route(
        "POST",
        T + "/{id}/reopen",
        reopen_thread,
        "Reopen a closed thread",
        STAFF_TAG,
        response=schemas.StaffThreadOut,
        errors=(403, 404),
        access=THEME_ROLE,
    ),
    Route(
        "GET",
        T + "/{id}/attachments/{attachment_id}",
        download_attachment,
        "Download an attachment",
        STAFF_TAG,
        download=ATTACHMENT_TYPES,
        errors=(403, 404),
        access=THEME_ROLE,
        operation_id="staff_download_attachment",  # api.download_attachment is the parents' one
    ),
    Route(
        "GET",
        ADMIN + "/themes",
        list_themes,
        "Every theme, active or not, with its role",
        CONF,
        response=schemas.AdminThemeList,
        errors=(403,),
        access=CONFIG,
        operation_id="staff_list_themes",  # api.list_themes is the parents' one
    ),
    Route(
        "POST",
        ADMIN + "/themes",
        create_theme,
        "Create a theme routed to a staff role",
        CONF,
        body=schemas.ThemeCreate,
        response=schemas.AdminThemeOut,
        status=201,
        errors=(400, 403, 409, 415, 422),
        access=CONFIG,
    ),
    Route(
        "PATCH",
        ADMIN + "/themes/{id}",
        update_theme,
        "Rename, reorder, route to another role, (de)activate",
        CONF,
        body=schemas.ThemeUpdate,
        response=schemas.AdminThemeOut,
        errors=(400, 403, 404, 415, 422),
        access=CONFIG,
    ),
    Route(
        "GET",
        ADMIN + "/reply-templates",
        list_reply_templates,
        "Reply templates (for the caller's themes)",
        CONF,
        response=schemas.ReplyTemplateList,
        errors=(403,),
        access="messaging_staff (all) or a theme role (theirs).",
    ),
    Route(
        "POST",
        ADMIN + "/reply-templates",
        create_reply_template,
        "Create a reply template",
        CONF,
        body=schemas.ReplyTemplateCreate,
        response=schemas.ReplyTemplateOut,
        status=201,
        errors=(400, 403, 415, 422),
        access=CONFIG,
    ),
    Route(
        "PATCH",
        ADMIN + "/reply-templates/{id}",
        update_reply_template,
        "Edit a reply template",
        CONF,
        body=schemas.ReplyTemplateUpdate,
        response=schemas.ReplyTemplateOut,
        errors=(400, 403, 404, 415, 422),
        access=CONFIG,
    ),
    Route(
        "DELETE",
        ADMIN + "/reply-templates/{id}",
        delete_reply_template,
        "Delete a reply template",
        CONF,
        status=204,
        errors=(403, 404),
        access=CONFIG,
    ),
    Route(
        "GET",
        ADMIN + "/emails",
        list_emails,
        "E-mail delivery log (?state=&kind=&user_id=), addresses masked",
        CONF,
        query=schemas.EmailLogQuery,
        response=schemas.EmailLogPage,
        errors=(403, 422),
        access=CONFIG,
    ),
    Route(
        "GET",
        ADMIN + "/bounced-addresses",
        list_bounced_addresses,
        "Addresses refused for good, masked",
        CONF,
        query=schemas.PageQuery,
        response=schemas.BouncedAddressPage,
        errors=(403, 422),
        access="messaging_staff, accounts_staff or admin.",
    ),
    Route(
        "DELETE",
        ADMIN + "/bounced-addresses/{id}",
        lift_bounced_address,
        "Lift a bounced address: e-mails to it are attempted again",
        CONF,
        status=204,
        errors=(403, 404),
        access="messaging_staff, accounts_staff or admin.",
    ),
)
