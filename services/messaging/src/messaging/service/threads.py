"""Parents' use cases (« Messagerie / nous contacter »): write to a theme, read, answer, remove."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import structlog
from servicekit.idempotency import IdempotencyKey
from servicekit.identity import Identity

from .. import events, schemas
from ..domain import threads as rules
from ..domain.attachments import Attachment, accept_attachment
from ..domain.emails import MESSAGE_COPY_KEY
from ..domain.errors import NotFound, ThreadDeleted, UnknownTheme
from ..store import Record, UnitOfWork
from ..store.threads import Threads
from ..store.views import threads as views
from .deps import Messaging, Upload
from .emails import queue_for_contact

log = structlog.get_logger(__name__)


async def start_thread(
    ctx: Messaging, caller: Identity, cmd: schemas.NewThread, upload: Upload | None, key: IdempotencyKey | None
) -> schemas.ThreadOut:
    """« Envoyer »: a new thread with its first message (and attachment).

    ``key`` (an Idempotency-Key) stores the answer in this transaction, for a retry to replay.
    """
    attachment = _accept(ctx, upload)
    async with ctx.uow() as uow:
        theme = await uow.themes.get(cmd.theme_id)
        if theme is None or not theme["active"]:
            raise UnknownTheme(field="theme_id")
        thread_id = uuid.uuid4()
        await uow.threads.add(
            thread_id, theme_id=theme["id"], user_id=caller.user_id, dossier_id=caller.dossier_id, subject=cmd.subject
        )
        # What the new thread's first message needs to know of it, without reading it back.
        thread = {
            "id": thread_id,
            "theme_id": theme["id"],
            "theme_label": theme["label"],
            "subject": cmd.subject,
            "user_id": caller.user_id,
            "dossier_id": caller.dossier_id,
        }
        await _parent_writes(ctx, uow, caller, thread, cmd.body, attachment, cmd.email_copy)
        answer = await views.parent_thread(uow.conn, await uow.threads.get(thread_id))
        await uow.remember(key, answer)
        await uow.commit()
    log.info("thread_started", thread_id=str(thread_id), theme_id=str(theme["id"]), attachment=attachment is not None)
    return answer


async def add_parent_message(
    ctx: Messaging,
    caller: Identity,
    thread_id: uuid.UUID,
    cmd: schemas.NewMessage,
    upload: Upload | None,
    key: IdempotencyKey | None,
) -> schemas.ThreadOut:
    """« Répondre »: the parent continues their thread (not once it is closed)."""
    attachment = _accept(ctx, upload)
    async with ctx.uow() as uow:
        thread = await _own_thread(uow.threads, caller, thread_id, for_update=True)
        rules.ensure_open(thread["state"])
        message_id = await _parent_writes(ctx, uow, caller, thread, cmd.body, attachment, cmd.email_copy)
        answer = await views.parent_thread(uow.conn, await uow.threads.get(thread_id))
        await uow.remember(key, answer)
        await uow.commit()
    log.info("parent_message_added", thread_id=str(thread_id), message_id=str(message_id))
    return answer


async def read_thread_as_parent(ctx: Messaging, caller: Identity, thread_id: uuid.UUID) -> schemas.ThreadOut:
    """The thread as the parent sees it; the town's replies become read.

    The view is taken before marking: a reply with ``read_at: null`` is new to the parent.
    """
    async with ctx.uow() as uow:
        thread = await _own_thread(uow.threads, caller, thread_id)
        view = await views.parent_thread(uow.conn, thread)
        await uow.messages.mark_read(thread_id, "staff")
        await uow.commit()
    return view


async def list_parent_threads(
    ctx: Messaging, caller: Identity, query: schemas.ParentThreadsQuery
) -> schemas.ThreadPage:
    async with ctx.read() as conn:
        return await views.parent_threads(
            conn, ctx.cursors, caller.user_id, box=query.box, limit=query.limit, cursor=query.cursor
        )


async def hide_thread(ctx: Messaging, caller: Identity, thread_id: uuid.UUID) -> None:
    """« Supprimer »: gone from the parent's box; the town keeps the record."""
    async with ctx.uow() as uow:
        await _own_thread(uow.threads, caller, thread_id, include_hidden=True)
        await uow.threads.hide_for_parent(thread_id)
        await uow.commit()
    log.info("thread_hidden_by_parent", thread_id=str(thread_id))


async def parent_attachment(ctx: Messaging, caller: Identity, thread_id: uuid.UUID, attachment_id: uuid.UUID) -> Record:
    async with ctx.read() as conn:
        await _own_thread(Threads(conn), caller, thread_id)
        row = await views.attachment(conn, thread_id, attachment_id)
    if row is None:
        raise NotFound()
    return row


async def notifications(ctx: Messaging, caller: Identity) -> schemas.Notifications:
    async with ctx.read() as conn:
        return await views.unread_replies(conn, caller.user_id)


# --- helpers -------------------------------------------------------------------------------


def _accept(ctx: Messaging, upload: Upload | None) -> Attachment | None:
    if upload is None:
        return None
    return accept_attachment(upload.filename, upload.content, max_bytes=ctx.attachment_max_bytes)


async def _own_thread(
    threads: Threads, caller: Identity, thread_id: uuid.UUID, *, for_update: bool = False, include_hidden: bool = False
) -> Record:
    """The caller's thread: another's, or none, is a 404; their own once deleted, a 410."""
    thread = await threads.get(thread_id, for_update=for_update)
    if thread is None or thread["user_id"] != caller.user_id:
        raise NotFound("Ce message n'existe pas.")
    if thread["hidden_by_parent_at"] is not None and not include_hidden:
        raise ThreadDeleted()
    return thread


async def _parent_writes(
    ctx: Messaging,
    uow: UnitOfWork,
    caller: Identity,
    thread: Mapping[str, Any],
    body: str,
    attachment: Attachment | None,
    email_copy: bool,
) -> uuid.UUID:
    """The parent's message (and file) in ``thread``: the event, and the copy they asked for."""
    message_id = uuid.uuid4()
    message = await uow.messages.add(
        message_id, thread_id=thread["id"], author_kind="parent", author_id=caller.user_id, body=body
    )
    if attachment is not None:
        await uow.attachments.add(uuid.uuid4(), message_id=message_id, thread_id=thread["id"], attachment=attachment)
    await uow.publish(
        events.MessageReceived(
            thread_id=thread["id"], message_id=message_id, theme_id=thread["theme_id"], dossier_id=thread["dossier_id"]
        )
    )
    if email_copy:
        await queue_for_contact(
            ctx,
            uow,
            "message_copy",
            user_id=thread["user_id"],
            dedupe_key=f"{MESSAGE_COPY_KEY}{message_id}",
            thread_id=thread["id"],
            context={
                "theme_label": thread["theme_label"],
                "message_subject": thread["subject"],
                "body": message["body"],
                "sent_at": message["created_at"],
                "attachment_name": attachment.filename if attachment else None,
                "link": ctx.mail.link(f"/messagerie/{thread['id']}"),
            },
        )
    return message_id
