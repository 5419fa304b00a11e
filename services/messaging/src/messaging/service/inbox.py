"""Staff use cases: the inboxes per theme and role, reading, replying, closing."""

from __future__ import annotations

import uuid

import structlog
from servicekit.idempotency import IdempotencyKey
from servicekit.identity import Identity

from .. import events, schemas
from ..domain import threads as rules
from ..domain.errors import Forbidden, InvalidInput, NotFound
from ..store import Record
from ..store.themes import Themes
from ..store.threads import Threads
from ..store.views import threads as views
from .deps import Messaging
from .emails import queue_for_contact

log = structlog.get_logger(__name__)

OTHER_SERVICE = "Ce thème est traité par un autre service."


async def staff_threads(ctx: Messaging, caller: Identity, query: schemas.StaffThreadsQuery) -> schemas.StaffThreadPage:
    roles = rules.handled_roles(caller.roles)
    async with ctx.read() as conn:
        if query.theme_id is not None:
            theme = await Themes(conn).get(query.theme_id)
            if theme is None:
                raise NotFound("Ce thème n'existe pas.")
            if not rules.can_handle_theme(caller.roles, theme["staff_role"]):
                raise Forbidden(OTHER_SERVICE)
        return await views.staff_threads(
            conn,
            ctx.cursors,
            roles=roles,
            theme_id=query.theme_id,
            state=query.state,
            unread=query.unread,
            limit=query.limit,
            cursor=query.cursor,
        )


async def read_thread_as_staff(ctx: Messaging, caller: Identity, thread_id: uuid.UUID) -> schemas.StaffThreadOut:
    """The thread for the theme's agents; the parent's messages become read by staff."""
    async with ctx.uow() as uow:
        thread = await _staff_thread(uow.threads, caller, thread_id)
        view = await views.staff_thread(uow.conn, thread)
        await uow.messages.mark_read(thread_id, "parent")
        await uow.commit()
    return view


async def reply(
    ctx: Messaging, caller: Identity, thread_id: uuid.UUID, cmd: schemas.StaffReply, key: IdempotencyKey | None
) -> schemas.StaffThreadOut:
    """An agent answers: the parent sees an unread reply and gets an e-mail notice."""
    async with ctx.uow() as uow:
        thread = await _staff_thread(uow.threads, caller, thread_id, for_update=True)
        rules.ensure_open(thread["state"])
        body = cmd.body
        if cmd.template_id is not None:
            template = await uow.templates.get(cmd.template_id)
            if template is None or template["theme_id"] not in (None, thread["theme_id"]):
                raise InvalidInput(
                    "Ce modèle de réponse n'existe pas pour ce thème.", field="template_id", code="unknown_template"
                )
            body = body or template["body"]
        message_id = uuid.uuid4()
        await uow.messages.add(
            message_id,
            thread_id=thread_id,
            author_kind="staff",
            author_id=caller.user_id,
            body=body,
            template_id=cmd.template_id,
        )
        # Answering is reading: the parent's messages so far are no longer "unread".
        await uow.messages.mark_read(thread_id, "parent")
        await uow.publish(
            events.ReplySent(
                thread_id=thread_id, message_id=message_id, dossier_id=thread["dossier_id"], user_id=thread["user_id"]
            )
        )
        await queue_for_contact(
            ctx,
            uow,
            "reply_notice",
            user_id=thread["user_id"],
            dedupe_key=f"reply_notice:{message_id}",
            thread_id=thread_id,
            context={
                "theme_label": thread["theme_label"],
                "message_subject": thread["subject"],
                "link": ctx.mail.link(f"/messagerie/{thread_id}"),
            },
        )
        answer = await views.staff_thread(uow.conn, await uow.threads.get(thread_id))
        await uow.remember(key, answer)
        await uow.commit()
    log.info(
        "staff_reply_sent", thread_id=str(thread_id), message_id=str(message_id), template=cmd.template_id is not None
    )
    return answer


async def set_thread_state(
    ctx: Messaging, caller: Identity, thread_id: uuid.UUID, state: str
) -> schemas.StaffThreadOut:
    async with ctx.uow() as uow:
        await _staff_thread(uow.threads, caller, thread_id, for_update=True)
        await uow.threads.set_state(thread_id, state, caller.user_id)
        view = await views.staff_thread(uow.conn, await uow.threads.get(thread_id))
        await uow.commit()
    log.info("thread_state_changed", thread_id=str(thread_id), state=state)
    return view


async def staff_attachment(ctx: Messaging, caller: Identity, thread_id: uuid.UUID, attachment_id: uuid.UUID) -> Record:
    async with ctx.read() as conn:
        await _staff_thread(Threads(conn), caller, thread_id)
        row = await views.attachment(conn, thread_id, attachment_id)
    if row is None:
        raise NotFound()
    return row


async def _staff_thread(
    threads: Threads, caller: Identity, thread_id: uuid.UUID, *, for_update: bool = False
) -> Record:
    rules.handled_roles(caller.roles)
    thread = await threads.get(thread_id, for_update=for_update)
    if thread is None:
        raise NotFound("Ce message n'existe pas.")
    if not rules.can_handle_theme(caller.roles, thread["staff_role"]):
        raise Forbidden(OTHER_SERVICE)
    return thread
