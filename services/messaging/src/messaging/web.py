"""The HTTP shell of messaging: app keys, route-table constants, reading a message with
its attachment, attachment downloads. Handlers (api.py, admin_api.py) stay thin: parse →
one use case → response.

The plumbing is servicekit's (docs/servicekit.md): strict JSON and form reading and typed
path ids (``servicekit.requests``), Idempotency-Key replay (``servicekit.idempotency``),
signed cursors (``servicekit.pagination``); domain errors become problem documents in
servicekit's middleware. Each route is declared once, as a servicekit.openapi.Route in a
table next to its handlers: the table registers the route and feeds the OpenAPI document.
"""

from __future__ import annotations

import hashlib

import structlog
from aiohttp import web
from pydantic import BaseModel
from servicekit.files import download_response
from servicekit.identity import Identity, require_identity
from servicekit.openapi import FileField
from servicekit.requests import Upload, read_command
from servicekit.service import CURSORS, DB, RPC, SETTINGS

from .domain.attachments import attachment_too_large
from .mail.compose import MailComposer
from .service import Messaging

COMPOSER = web.AppKey("mail_composer", MailComposer)

FILE_FIELD = "attachment"

# What the route tables document: the file types an attachment may have (checked from the
# content, domain/attachments.py) and the optional file of a form.
ATTACHMENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
ATTACHMENT = FileField(
    FILE_FIELD, "optional PDF, JPEG or PNG (type checked from the content), size-limited", ATTACHMENT_TYPES
)


def messaging_of_app(app: web.Application) -> Messaging:
    """The use cases' dependencies; the pool exists once the app has started."""
    return Messaging(
        pool=app[DB],
        mail=app[COMPOSER],
        attachment_max_bytes=app[SETTINGS].attachment_max_bytes,
        cursors=app[CURSORS],
        rpc=app.get(RPC),
    )


def messaging(request: web.Request) -> Messaging:
    return messaging_of_app(request.app)


def caller(request: web.Request) -> Identity:
    identity = require_identity(request)
    structlog.contextvars.bind_contextvars(user_id=str(identity.user_id))
    return identity


async def read_message(request: web.Request, model: type[BaseModel], ctx: Messaging):
    """JSON, or a form with an optional ``attachment`` (413 ``attachment_too_large``)."""
    return await read_command(
        request,
        model,
        file_field=FILE_FIELD,
        max_file_bytes=ctx.attachment_max_bytes,
        too_large=lambda: attachment_too_large(ctx.attachment_max_bytes),
    )


def fingerprint_of(cmd: BaseModel, upload: Upload | None) -> tuple:
    """What identifies a message for Idempotency-Key (a form's raw body differs per retry)."""
    digest = hashlib.sha256(upload.content).hexdigest() if upload else None
    return (cmd.model_dump(mode="json"), upload.filename if upload else None, digest)


def attachment_response(row) -> web.Response:
    """The stored bytes as a download (servicekit.files: never inline, sniffed or cached)."""
    return download_response(row["content"], row["content_type"], row["filename"])
