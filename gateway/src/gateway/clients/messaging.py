"""The messaging service, as the gateway calls it: one function per call of its contract.

The parents' half of docs/messaging.md (« Messagerie / nous contacter »). Each function
returns the parsed JSON or raises ``UpstreamProblem`` (4xx) / ``Problem`` (5xx, timeout),
like every client of ``clients/``. Two calls differ from plain JSON ones:
- a message with an attachment goes as multipart/form-data, the file streamed from the
  copy aiohttp spooled while parsing the parent's form (messaging checks type and size);
- an attachment download is handed back still unread (``open_attachment``), so that the
  page streams it to the browser instead of holding it in memory.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import IO, Any, Literal
from urllib.parse import urlencode

import aiohttp
import structlog
from aiohttp import hdrs, web
from servicekit.problems import Problem

from ..settings import SETTINGS
from ..upstream import headers_for_call, open_upstream
from .base import MAX_RESPONSE_BYTES, UpstreamProblem, call

log = structlog.get_logger(__name__)

SERVICE = "messaging"
THREADS = "/api/messaging/threads"

# The unread count is a badge on pages about something else: past this delay the page
# goes without it rather than wait for the full upstream timeout.
COUNT_TIMEOUT_SECONDS = 2.0

Box = Literal["inbox", "sent"]


@dataclass(frozen=True)
class Attachment:
    """A file chosen in a form, passed on as it came (name, declared type, content)."""

    filename: str
    content_type: str
    file: IO[bytes]


def _thread_path(thread_id: uuid.UUID, tail: str = "") -> str:
    # A UUID object, never the raw path segment: nothing else can end up in the URL.
    return f"{THREADS}/{uuid.UUID(str(thread_id))}{tail}"


async def list_themes(request: web.Request) -> list[dict[str, Any]]:
    """``[{id, code, label}]``: the themes a parent can write to, in the town's order."""
    doc = await call(request, SERVICE, "GET", "/api/messaging/themes")
    themes = (doc or {}).get("themes") if isinstance(doc, dict) else None
    return [t for t in themes or [] if isinstance(t, dict) and t.get("id") and t.get("label")]


async def list_threads(request: web.Request, box: Box, *, cursor: str | None = None, limit: int = 20) -> dict[str, Any]:
    """``{threads: [...], next_cursor}``: inbox (threads with a reply) or sent (all started)."""
    query = {"box": box, "limit": str(limit)}
    if cursor:
        query["cursor"] = cursor
    doc = await call(request, SERVICE, "GET", f"{THREADS}?{urlencode(query)}")
    return doc if isinstance(doc, dict) else {}


async def get_thread(request: web.Request, thread_id: uuid.UUID) -> dict[str, Any]:
    """The thread with its messages; messaging marks the town's replies read."""
    return await call(request, SERVICE, "GET", _thread_path(thread_id))


async def start_thread(
    request: web.Request,
    *,
    theme_id: str,
    subject: str,
    body: str,
    email_copy: bool,
    attachment: Attachment | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """« Envoyer un message »: 201 the new thread; 422 per field, 413/415 for the file."""
    fields = {"theme_id": theme_id, "subject": subject, "body": body, "email_copy": email_copy}
    return await _send(request, "POST", THREADS, fields, attachment, idempotency_key)


async def add_message(
    request: web.Request,
    thread_id: uuid.UUID,
    *,
    body: str,
    email_copy: bool,
    attachment: Attachment | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """« Répondre »: 201 the thread; 409 ``thread_closed`` once the town closed it."""
    fields = {"body": body, "email_copy": email_copy}
    return await _send(request, "POST", _thread_path(thread_id, "/messages"), fields, attachment, idempotency_key)


async def delete_thread(request: web.Request, thread_id: uuid.UUID) -> None:
    """« Supprimer »: gone from the parent's box (the town keeps it); idempotent."""
    await call(request, SERVICE, "DELETE", _thread_path(thread_id))


async def unread_replies(request: web.Request) -> int:
    """How many replies of the town the parent has not read yet."""
    doc = await call(request, SERVICE, "GET", "/api/messaging/notifications")
    try:
        return max(0, int(doc["unread_replies"]))
    except (KeyError, TypeError, ValueError):
        log.warning("upstream_answer_malformed", service=SERVICE, call="notifications")
        raise Problem(502) from None


async def unread_replies_for_badge(request: web.Request) -> int | None:
    """The count for a badge on a page about something else: ``None`` when messaging
    cannot tell quickly (down, slow, refusing). Such a page never fails for a badge."""
    try:
        async with asyncio.timeout(COUNT_TIMEOUT_SECONDS):
            return await unread_replies(request)
    except (Problem, UpstreamProblem, TimeoutError) as exc:
        log.info("unread_count_unavailable", error=type(exc).__name__)
        return None


@asynccontextmanager
async def open_attachment(
    request: web.Request, thread_id: uuid.UUID, attachment_id: uuid.UUID
) -> AsyncIterator[aiohttp.ClientResponse]:
    """The download's response, body unread; refusals raise like any other call."""
    headers = headers_for_call(request, request.app[SETTINGS])
    headers[hdrs.ACCEPT] = "*/*"
    path = _thread_path(thread_id, f"/attachments/{uuid.UUID(str(attachment_id))}")
    async with open_upstream(request.app, SERVICE, "GET", path, headers=headers) as response:
        if response.status != 200:
            await _raise_for(response, "GET")
        yield response


async def _send(
    request: web.Request,
    method: str,
    path: str,
    fields: dict[str, Any],
    attachment: Attachment | None,
    idempotency_key: str | None,
) -> dict[str, Any]:
    """JSON without a file; multipart/form-data (the file streamed) with one."""
    extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    if attachment is None:
        return await call(request, SERVICE, method, path, fields, headers=extra)
    form = aiohttp.MultipartWriter("form-data")
    for name, value in fields.items():
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        form.append(text).set_content_disposition("form-data", name=name)
    part = form.append(attachment.file, {hdrs.CONTENT_TYPE: attachment.content_type or "application/octet-stream"})
    part.set_content_disposition("form-data", name="attachment", filename=attachment.filename or "piece-jointe")
    headers = headers_for_call(request, request.app[SETTINGS])
    # Set here: open_upstream keeps aiohttp from adding a Content-Type of its own.
    headers[hdrs.CONTENT_TYPE] = form.content_type
    headers.update(extra)
    # open_upstream hands ``body`` to aiohttp as ``data``, which streams a multipart
    # payload; its annotation (bytes) predates this first non-JSON call.
    upstream = open_upstream(request.app, SERVICE, method, path, headers=headers, body=form)  # type: ignore[arg-type]
    async with upstream as response:
        if not 200 <= response.status < 300:
            await _raise_for(response, method)
        raw = await response.content.read(MAX_RESPONSE_BYTES + 1)
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    if len(raw) > MAX_RESPONSE_BYTES or not isinstance(doc, dict):
        log.warning("upstream_answer_not_json", service=SERVICE, method=method, status=response.status)
        raise Problem(502)
    return doc


async def _raise_for(response: aiohttp.ClientResponse, method: str) -> None:
    """A non-2xx answer as ``call`` reports it: 4xx with its problem, else 502/503/504."""
    status = response.status
    if 400 <= status < 500:
        raw = await response.content.read(MAX_RESPONSE_BYTES + 1)
        try:
            doc = json.loads(raw) if len(raw) <= MAX_RESPONSE_BYTES else None
        except ValueError:
            doc = None
        problem = UpstreamProblem(
            status, doc if isinstance(doc, dict) else None, retry_after=response.headers.get(hdrs.RETRY_AFTER)
        )
        log.info("upstream_refused", service=SERVICE, method=method, status=status, problem=problem.type_name)
        raise problem
    log.warning("upstream_failed", service=SERVICE, method=method, status=status)
    raise Problem(status if status in (503, 504) else 502)
