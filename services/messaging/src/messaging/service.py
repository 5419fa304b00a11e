"""Use cases: one function per thing a parent, an agent or an event asks for.

HTTP handlers (api.py, admin_api.py) and event handlers (consumers.py) call these; each
write runs in one unit of work, with its events (outbox) and e-mails (emails table) in
the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import structlog
from servicekit.events import make_envelope
from servicekit.identity import Identity

from . import events, schemas
from .domain import threads as rules
from .domain.attachments import accept_attachment
from .domain.emails import display_name, is_plausible_address, mask_address
from .domain.errors import Forbidden, IdempotencyKeyReused, InvalidInput, NotFound, UnknownTheme
from .domain.text import slugify
from .mail.compose import MailComposer, format_duration_fr
from .store import Record, Store, UnitOfWork

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Messaging:
    """What the use cases need besides a transaction."""

    pool: asyncpg.Pool
    mail: MailComposer
    attachment_max_bytes: int


@dataclass(frozen=True)
class Upload:
    """A file as received, not yet checked."""

    filename: str | None
    content: bytes


@dataclass(frozen=True)
class IdempotencyKey:
    key: str
    request_hash: str


@dataclass(frozen=True)
class Answer:
    """A creation's answer: replayed as is for a repeated Idempotency-Key."""

    status: int
    body: dict[str, Any]


def request_fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


# --- parents -----------------------------------------------------------------------------


async def list_themes(ctx: Messaging) -> schemas.ThemeList:
    async with ctx.pool.acquire() as conn:
        rows = await Store(conn).active_themes()
    return schemas.ThemeList(themes=[schemas.ThemeOut(id=r["id"], code=r["code"], label=r["label"]) for r in rows])


async def start_thread(
    ctx: Messaging, caller: Identity, cmd: schemas.NewThread, upload: Upload | None, idem: IdempotencyKey | None
) -> Answer:
    """« Envoyer »: a new thread with its first message (and attachment)."""
    attachment = _accept(ctx, upload)
    async with UnitOfWork(ctx.pool) as uow:
        store = uow.store
        if (replay := await _replay(store, caller, idem)) is not None:
            return replay
        theme = await store.theme(cmd.theme_id)
        if theme is None or not theme["active"]:
            raise UnknownTheme(field="theme_id")
        thread_id, message_id = uuid.uuid4(), uuid.uuid4()
        await store.add_thread(
            thread_id, theme_id=theme["id"], user_id=caller.user_id, dossier_id=caller.dossier_id, subject=cmd.subject
        )
        message = await store.add_message(
            message_id, thread_id=thread_id, author_kind="parent", author_id=caller.user_id, body=cmd.body
        )
        if attachment is not None:
            await store.add_attachment(uuid.uuid4(), message_id=message_id, thread_id=thread_id, attachment=attachment)
        thread = await store.thread(thread_id)
        await _parent_wrote(ctx, store, thread, message, attachment.filename if attachment else None, cmd.email_copy)
        answer = Answer(201, schemas.dump(await _parent_view(store, thread)))
        await _remember(store, caller, idem, answer)
        await uow.commit()
    log.info("thread_started", thread_id=str(thread_id), theme_id=str(theme["id"]), attachment=attachment is not None)
    return answer


async def add_parent_message(
    ctx: Messaging,
    caller: Identity,
    thread_id: uuid.UUID,
    cmd: schemas.NewMessage,
    upload: Upload | None,
    idem: IdempotencyKey | None,
) -> Answer:
    """« Répondre »: the parent continues their thread (not once it is closed)."""
    attachment = _accept(ctx, upload)
    async with UnitOfWork(ctx.pool) as uow:
        store = uow.store
        if (replay := await _replay(store, caller, idem)) is not None:
            return replay
        thread = await _own_thread(store, caller, thread_id, for_update=True)
        rules.ensure_open(thread["state"])
        message_id = uuid.uuid4()
        message = await store.add_message(
            message_id, thread_id=thread_id, author_kind="parent", author_id=caller.user_id, body=cmd.body
        )
        if attachment is not None:
            await store.add_attachment(uuid.uuid4(), message_id=message_id, thread_id=thread_id, attachment=attachment)
        await _parent_wrote(ctx, store, thread, message, attachment.filename if attachment else None, cmd.email_copy)
        answer = Answer(201, schemas.dump(await _parent_view(store, await store.thread(thread_id))))
        await _remember(store, caller, idem, answer)
        await uow.commit()
    log.info("parent_message_added", thread_id=str(thread_id), message_id=str(message_id))
    return answer


async def read_thread_as_parent(ctx: Messaging, caller: Identity, thread_id: uuid.UUID) -> schemas.ThreadOut:
    """The thread as the parent sees it; the town's replies become read.

    The view is taken before marking: a reply with ``read_at: null`` is new to the parent.
    """
    async with UnitOfWork(ctx.pool) as uow:
        thread = await _own_thread(uow.store, caller, thread_id)
        view = await _parent_view(uow.store, thread)
        await uow.store.mark_read(thread_id, "staff")
        await uow.commit()
    return view


async def list_parent_threads(
    ctx: Messaging, caller: Identity, query: schemas.ParentThreadsQuery
) -> schemas.ThreadPage:
    async with ctx.pool.acquire() as conn:
        rows, next_cursor = await Store(conn).parent_threads(
            caller.user_id, box=query.box, limit=query.limit, cursor=query.cursor
        )
    return schemas.ThreadPage(threads=[_summary(r) for r in rows], next_cursor=next_cursor)


async def hide_thread(ctx: Messaging, caller: Identity, thread_id: uuid.UUID) -> None:
    """« Supprimer »: gone from the parent's box; the town keeps the record."""
    async with UnitOfWork(ctx.pool) as uow:
        await _own_thread(uow.store, caller, thread_id, include_hidden=True)
        await uow.store.hide_for_parent(thread_id)
        await uow.commit()
    log.info("thread_hidden_by_parent", thread_id=str(thread_id))


async def parent_attachment(ctx: Messaging, caller: Identity, thread_id: uuid.UUID, attachment_id: uuid.UUID) -> Record:
    async with ctx.pool.acquire() as conn:
        store = Store(conn)
        await _own_thread(store, caller, thread_id)
        row = await store.attachment(thread_id, attachment_id)
    if row is None:
        raise NotFound()
    return row


async def notifications(ctx: Messaging, caller: Identity) -> schemas.Notifications:
    async with ctx.pool.acquire() as conn:
        return schemas.Notifications(unread_replies=await Store(conn).unread_replies(caller.user_id))


# --- staff: inboxes and replies ------------------------------------------------------------


async def staff_threads(ctx: Messaging, caller: Identity, query: schemas.StaffThreadsQuery) -> schemas.StaffThreadPage:
    roles = rules.handled_roles(caller.roles)
    async with ctx.pool.acquire() as conn:
        store = Store(conn)
        if query.theme_id is not None:
            theme = await store.theme(query.theme_id)
            if theme is None:
                raise NotFound("Ce thème n'existe pas.")
            if not rules.can_handle_theme(caller.roles, theme["staff_role"]):
                raise Forbidden("Ce thème est traité par un autre service.")
        rows, next_cursor = await store.staff_threads(
            roles=roles,
            theme_id=query.theme_id,
            state=query.state,
            unread=query.unread,
            limit=query.limit,
            cursor=query.cursor,
        )
    return schemas.StaffThreadPage(threads=[_staff_summary(r) for r in rows], next_cursor=next_cursor)


async def read_thread_as_staff(ctx: Messaging, caller: Identity, thread_id: uuid.UUID) -> schemas.StaffThreadOut:
    """The thread for the theme's agents; the parent's messages become read by staff."""
    async with UnitOfWork(ctx.pool) as uow:
        thread = await _staff_thread(uow.store, caller, thread_id)
        view = await _staff_view(uow.store, thread)
        await uow.store.mark_read(thread_id, "parent")
        await uow.commit()
    return view


async def reply(
    ctx: Messaging, caller: Identity, thread_id: uuid.UUID, cmd: schemas.StaffReply, idem: IdempotencyKey | None
) -> Answer:
    """An agent answers: the parent sees an unread reply and gets an e-mail notice."""
    async with UnitOfWork(ctx.pool) as uow:
        store = uow.store
        if (replay := await _replay(store, caller, idem)) is not None:
            return replay
        thread = await _staff_thread(store, caller, thread_id, for_update=True)
        rules.ensure_open(thread["state"])
        body = cmd.body
        if cmd.template_id is not None:
            template = await store.reply_template(cmd.template_id)
            if template is None or template["theme_id"] not in (None, thread["theme_id"]):
                raise InvalidInput(
                    "Ce modèle de réponse n'existe pas pour ce thème.", field="template_id", code="unknown_template"
                )
            body = body or template["body"]
        message_id = uuid.uuid4()
        await store.add_message(
            message_id,
            thread_id=thread_id,
            author_kind="staff",
            author_id=caller.user_id,
            body=body,
            template_id=cmd.template_id,
        )
        # Answering is reading: the parent's messages so far are no longer "unread".
        await store.mark_read(thread_id, "parent")
        await store.publish(
            make_envelope(
                events.REPLY_SENT,
                events.ReplySent(
                    thread_id=thread_id,
                    message_id=message_id,
                    dossier_id=thread["dossier_id"],
                    user_id=thread["user_id"],
                ),
                source=events.SOURCE,
            )
        )
        await _queue_for_contact(
            ctx,
            store,
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
        answer = Answer(201, schemas.dump(await _staff_view(store, await store.thread(thread_id))))
        await _remember(store, caller, idem, answer)
        await uow.commit()
    log.info(
        "staff_reply_sent", thread_id=str(thread_id), message_id=str(message_id), template=cmd.template_id is not None
    )
    return answer


async def set_thread_state(
    ctx: Messaging, caller: Identity, thread_id: uuid.UUID, state: str
) -> schemas.StaffThreadOut:
    async with UnitOfWork(ctx.pool) as uow:
        await _staff_thread(uow.store, caller, thread_id, for_update=True)
        await uow.store.set_thread_state(thread_id, state, caller.user_id)
        view = await _staff_view(uow.store, await uow.store.thread(thread_id))
        await uow.commit()
    log.info("thread_state_changed", thread_id=str(thread_id), state=state)
    return view


async def staff_attachment(ctx: Messaging, caller: Identity, thread_id: uuid.UUID, attachment_id: uuid.UUID) -> Record:
    async with ctx.pool.acquire() as conn:
        store = Store(conn)
        await _staff_thread(store, caller, thread_id)
        row = await store.attachment(thread_id, attachment_id)
    if row is None:
        raise NotFound()
    return row


# --- staff: configuration ------------------------------------------------------------------


async def admin_themes(ctx: Messaging) -> schemas.AdminThemeList:
    async with ctx.pool.acquire() as conn:
        rows = await Store(conn).all_themes()
    return schemas.AdminThemeList(themes=[_admin_theme(r) for r in rows])


async def create_theme(ctx: Messaging, cmd: schemas.ThemeCreate) -> schemas.AdminThemeOut:
    role = rules.ensure_theme_role(cmd.staff_role)
    async with UnitOfWork(ctx.pool) as uow:
        row = await uow.store.add_theme(cmd.code or slugify(cmd.label), cmd.label, role, cmd.position)
        await uow.commit()
    log.info("theme_created", theme_id=str(row["id"]))
    return _admin_theme(row)


async def update_theme(ctx: Messaging, theme_id: uuid.UUID, cmd: schemas.ThemeUpdate) -> schemas.AdminThemeOut:
    changes = cmd.model_dump(exclude_unset=True)
    if changes.get("staff_role") is not None:
        rules.ensure_theme_role(changes["staff_role"])
    changes = {k: v for k, v in changes.items() if v is not None}
    async with UnitOfWork(ctx.pool) as uow:
        row = await uow.store.update_theme(theme_id, changes)
        if row is None:
            raise NotFound("Ce thème n'existe pas.")
        await uow.commit()
    log.info("theme_updated", theme_id=str(theme_id), fields=sorted(changes))
    return _admin_theme(row)


async def reply_templates(ctx: Messaging, caller: Identity) -> schemas.ReplyTemplateList:
    """Messaging staff see every template; a theme's agents those of their themes."""
    async with ctx.pool.acquire() as conn:
        store = Store(conn)
        theme_ids = None
        if not caller.has_role(rules.MESSAGING_STAFF):
            roles = rules.handled_roles(caller.roles)
            theme_ids = [t["id"] for t in await store.all_themes() if roles is None or t["staff_role"] in roles]
        rows = await store.reply_templates(theme_ids)
    return schemas.ReplyTemplateList(templates=[_template(r) for r in rows])


async def create_reply_template(ctx: Messaging, cmd: schemas.ReplyTemplateCreate) -> schemas.ReplyTemplateOut:
    async with UnitOfWork(ctx.pool) as uow:
        await _check_template_theme(uow.store, cmd.theme_id)
        row = await uow.store.add_reply_template(cmd.title, cmd.body, cmd.theme_id)
        await uow.commit()
    log.info("reply_template_created", template_id=str(row["id"]))
    return _template(row)


async def update_reply_template(
    ctx: Messaging, template_id: uuid.UUID, cmd: schemas.ReplyTemplateUpdate
) -> schemas.ReplyTemplateOut:
    changes = cmd.model_dump(exclude_unset=True)
    if changes.get("title", "") is None or changes.get("body", "") is None:
        raise InvalidInput("Le titre et le texte ne peuvent pas être vides.", code="required")
    async with UnitOfWork(ctx.pool) as uow:
        await _check_template_theme(uow.store, changes.get("theme_id"))
        row = await uow.store.update_reply_template(template_id, changes)
        if row is None:
            raise NotFound("Ce modèle de réponse n'existe pas.")
        await uow.commit()
    log.info("reply_template_updated", template_id=str(template_id))
    return _template(row)


async def delete_reply_template(ctx: Messaging, template_id: uuid.UUID) -> None:
    async with UnitOfWork(ctx.pool) as uow:
        if not await uow.store.delete_reply_template(template_id):
            raise NotFound("Ce modèle de réponse n'existe pas.")
        await uow.commit()
    log.info("reply_template_deleted", template_id=str(template_id))


async def email_log(ctx: Messaging, query: schemas.EmailLogQuery) -> schemas.EmailLogPage:
    async with ctx.pool.acquire() as conn:
        rows, next_cursor = await Store(conn).email_log(
            state=query.state, kind=query.kind, user_id=query.user_id, limit=query.limit, cursor=query.cursor
        )
    return schemas.EmailLogPage(
        emails=[
            schemas.EmailLogEntry(
                id=r["id"],
                kind=r["kind"],
                state=r["state"],
                to=mask_address(r["to_address"]),
                user_id=r["user_id"],
                thread_id=r["thread_id"],
                attempts=r["attempts"],
                last_error=r["last_error"],
                created_at=r["created_at"],
                updated_at=r["updated_at"],
                sent_at=r["sent_at"],
                next_attempt_at=r["next_attempt_at"] if r["state"] == "pending" else None,
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )


async def bounced_addresses(ctx: Messaging, query: schemas.PageQuery) -> schemas.BouncedAddressPage:
    async with ctx.pool.acquire() as conn:
        rows, next_cursor = await Store(conn).bounced_addresses(limit=query.limit, cursor=query.cursor)
    return schemas.BouncedAddressPage(
        addresses=[
            schemas.BouncedAddressOut(
                id=r["id"],
                address=mask_address(r["address"]),
                user_id=r["user_id"],
                bounces=r["bounces"],
                first_bounced_at=r["first_bounced_at"],
                last_bounced_at=r["last_bounced_at"],
                last_error=r["last_error"],
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )


async def lift_bounced_address(ctx: Messaging, bounce_id: uuid.UUID) -> None:
    """The parent fixed their mailbox: e-mails to the address may be attempted again."""
    async with UnitOfWork(ctx.pool) as uow:
        if not await uow.store.lift_bounced_address(bounce_id):
            raise NotFound()
        await uow.commit()
    log.info("bounced_address_lifted", bounce_id=str(bounce_id))


# --- accounts' events: the contact copy and the e-mails they ask for -----------------------


@dataclass(frozen=True)
class Event:
    """What a use case needs to know of the event that asked for it."""

    id: uuid.UUID
    occurred_at: datetime


async def user_registered(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """accounts.user.registered / .activation_resent: the activation e-mail (never a password)."""
    store = uow.store
    await store.apply_contact_profile(
        data.user_id, event.occurred_at, email=data.email, first_name=data.first_name, last_name=data.last_name
    )
    await store.apply_contact_status(data.user_id, event.occurred_at, "pending")
    validity = (data.expires_at - event.occurred_at).total_seconds()
    await _queue(
        ctx,
        store,
        "activation",
        user_id=data.user_id,
        to_address=data.email,
        to_name=display_name(data.first_name, data.last_name),
        dedupe_key=f"activation:{event.id}",
        context={
            "username": data.username,
            "dossier_number": data.dossier_number,
            "link": ctx.mail.link("/activation", token=data.activation_token),
            "expires_at": data.expires_at,
            "validity_hours": max(1, round(validity / 3600)),
        },
    )


async def user_activated(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    await uow.store.apply_contact_profile(
        data.user_id,
        event.occurred_at,
        email=data.email,
        first_name=data.first_name,
        last_name=data.last_name,
        dossier_id=data.dossier_id,
        set_dossier=True,
    )
    await uow.store.apply_contact_status(data.user_id, event.occurred_at, "active")


async def contact_changed(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    await uow.store.apply_contact_profile(
        data.user_id,
        event.occurred_at,
        email=data.email,
        first_name=data.first_name,
        last_name=data.last_name,
        dossier_id=data.dossier_id,
        set_dossier=True,
    )


async def user_deactivated(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """No more e-mails: what is still pending for them is not sent."""
    await uow.store.apply_contact_status(data.user_id, event.occurred_at, "inactive")
    await uow.store.suppress_pending_emails(data.user_id, "contact_inactive")


async def user_purged(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """A pending account deleted after 24 h: forget the person, keep anonymous records."""
    await uow.store.purge_contact(data.user_id, event.occurred_at)


async def password_reset_requested(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    await uow.store.apply_contact_profile(
        data.user_id, event.occurred_at, email=data.email, first_name=data.first_name, last_name=data.last_name
    )
    await _queue(
        ctx,
        uow.store,
        "password_reset",
        user_id=data.user_id,
        to_address=data.email,
        to_name=display_name(data.first_name, data.last_name),
        dedupe_key=f"password_reset:{event.id}",
        context={
            "link": ctx.mail.link("/mot-de-passe/nouveau", token=data.reset_token),
            "expires_at": data.expires_at,
            "validity": format_duration_fr((data.expires_at - event.occurred_at).total_seconds()),
        },
    )


async def password_changed(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    await _queue(
        ctx,
        uow.store,
        "password_changed",
        user_id=data.user_id,
        to_address=data.email,
        to_name=display_name(data.first_name, data.last_name),
        dedupe_key=f"password_changed:{event.id}",
        context={"changed_at": event.occurred_at, "forgot_link": ctx.mail.link("/mot-de-passe-oublie")},
    )


async def email_change_requested(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """To the NEW address; the contact copy changes only once accounts confirms it."""
    await _queue(
        ctx,
        uow.store,
        "email_change",
        user_id=data.user_id,
        to_address=data.new_email,
        to_name=display_name(data.first_name, data.last_name),
        dedupe_key=f"email_change:{event.id}",
        context={"link": ctx.mail.link("/email/confirmer", token=data.confirm_token), "expires_at": data.expires_at},
    )


async def dossier_updated(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    await uow.store.apply_dossier(
        data.dossier_id,
        event.occurred_at,
        number=data.number,
        family_name=data.family_name,
        invoices_by_email=data.invoices_by_email,
    )


# --- helpers -------------------------------------------------------------------------------


def _accept(ctx: Messaging, upload: Upload | None):
    if upload is None:
        return None
    return accept_attachment(upload.filename, upload.content, max_bytes=ctx.attachment_max_bytes)


async def _replay(store: Store, caller: Identity, idem: IdempotencyKey | None) -> Answer | None:
    if idem is None:
        return None
    stored = await store.claim_idempotency_key(caller.user_id, idem.key, idem.request_hash)
    if stored is None:
        return None
    if stored["request_hash"] != idem.request_hash or stored["status"] is None:
        raise IdempotencyKeyReused(field="Idempotency-Key")
    log.info("idempotent_replay")
    return Answer(stored["status"], stored["response"])


async def _remember(store: Store, caller: Identity, idem: IdempotencyKey | None, answer: Answer) -> None:
    if idem is not None:
        await store.save_idempotent_response(caller.user_id, idem.key, answer.status, answer.body)


async def _own_thread(
    store: Store, caller: Identity, thread_id: uuid.UUID, *, for_update: bool = False, include_hidden: bool = False
) -> Record:
    thread = await store.thread(thread_id, for_update=for_update)
    if thread is None or thread["user_id"] != caller.user_id:
        raise NotFound("Ce message n'existe pas.")
    if thread["hidden_by_parent_at"] is not None and not include_hidden:
        raise NotFound("Ce message n'existe pas.")
    return thread


async def _staff_thread(store: Store, caller: Identity, thread_id: uuid.UUID, *, for_update: bool = False) -> Record:
    rules.handled_roles(caller.roles)
    thread = await store.thread(thread_id, for_update=for_update)
    if thread is None:
        raise NotFound("Ce message n'existe pas.")
    if not rules.can_handle_theme(caller.roles, thread["staff_role"]):
        raise Forbidden("Ce thème est traité par un autre service.")
    return thread


async def _parent_wrote(
    ctx: Messaging, store: Store, thread: Record, message: Record, attachment_name, email_copy
) -> None:
    await store.publish(
        make_envelope(
            events.MESSAGE_RECEIVED,
            events.MessageReceived(
                thread_id=thread["id"],
                message_id=message["id"],
                theme_id=thread["theme_id"],
                dossier_id=thread["dossier_id"],
            ),
            source=events.SOURCE,
        )
    )
    if email_copy:
        await _queue_for_contact(
            ctx,
            store,
            "message_copy",
            user_id=thread["user_id"],
            dedupe_key=f"message_copy:{message['id']}",
            thread_id=thread["id"],
            context={
                "theme_label": thread["theme_label"],
                "message_subject": thread["subject"],
                "body": message["body"],
                "sent_at": message["created_at"],
                "attachment_name": attachment_name,
                "link": ctx.mail.link(f"/messagerie/{thread['id']}"),
            },
        )


async def _queue_for_contact(ctx: Messaging, store: Store, kind: str, *, user_id: uuid.UUID, **kwargs) -> None:
    """An e-mail to a user at the address of the local contact copy."""
    contact = await store.contact(user_id)
    address = contact["email"] if contact is not None else None
    name = display_name(contact["first_name"], contact["last_name"]) if contact is not None else ""
    status = contact["status"] if contact is not None else None
    await _queue(ctx, store, kind, user_id=user_id, to_address=address, to_name=name, contact_status=status, **kwargs)


async def _queue(
    ctx: Messaging,
    store: Store,
    kind: str,
    *,
    user_id: uuid.UUID | None,
    to_address: str | None,
    to_name: str,
    dedupe_key: str,
    context: dict[str, Any],
    thread_id: uuid.UUID | None = None,
    contact_status: str | None = None,
) -> None:
    """Render and queue one e-mail, or record why it is not sent (visible to staff)."""
    if contact_status is None and user_id is not None:
        contact = await store.contact(user_id)
        contact_status = contact["status"] if contact is not None else None
    reason = None
    if not to_address:
        reason = "no_address"
    elif contact_status in ("inactive", "purged"):
        reason = "contact_inactive"
    elif not is_plausible_address(to_address):
        reason = "invalid_address"
    email = ctx.mail.compose(
        kind,
        to_address=to_address,
        to_name=to_name,
        dedupe_key=dedupe_key,
        context=context,
        user_id=user_id,
        thread_id=thread_id,
    )
    if await store.add_email(email, suppressed_because=reason):
        log.info(
            "email_queued" if reason is None else "email_suppressed", email_id=str(email.id), kind=kind, reason=reason
        )


async def _check_template_theme(store: Store, theme_id: uuid.UUID | None) -> None:
    if theme_id is not None and await store.theme(theme_id) is None:
        raise UnknownTheme(field="theme_id")


def _group_attachments(rows: list[Record], url) -> dict[uuid.UUID, list[schemas.AttachmentOut]]:
    grouped: dict[uuid.UUID, list[schemas.AttachmentOut]] = defaultdict(list)
    for r in rows:
        grouped[r["message_id"]].append(
            schemas.AttachmentOut(
                id=r["id"],
                filename=r["filename"],
                content_type=r["content_type"],
                size_bytes=r["size_bytes"],
                url=url(r["id"]),
            )
        )
    return grouped


async def _parent_view(store: Store, thread: Record) -> schemas.ThreadOut:
    tid = thread["id"]
    files = _group_attachments(
        await store.attachments_of_thread(tid), lambda aid: f"/api/messaging/threads/{tid}/attachments/{aid}"
    )
    town = f"Mairie – {thread['theme_label']}"
    return schemas.ThreadOut(
        id=tid,
        theme_id=thread["theme_id"],
        theme_label=thread["theme_label"],
        subject=thread["subject"],
        state=thread["state"],
        created_at=thread["created_at"],
        last_message_at=thread["last_message_at"],
        messages=[
            schemas.MessageOut(
                id=m["id"],
                author=m["author_kind"],
                author_label="Vous" if m["author_kind"] == "parent" else town,
                body=m["body"],
                created_at=m["created_at"],
                read_at=m["read_at"],
                attachments=files.get(m["id"], []),
            )
            for m in await store.messages(tid)
        ],
    )


def _parent_info(r: Record) -> schemas.ParentInfo:
    return schemas.ParentInfo(
        user_id=r["user_id"],
        name=display_name(r["first_name"], r["last_name"]) or None,
        dossier_id=r["dossier_id"],
        dossier_number=r["dossier_number"],
        family_name=r["family_name"],
    )


def _staff_fields(r: Record) -> dict[str, Any]:
    """A staff thread row as the staff models read it (extra columns are ignored)."""
    return {**r, "hidden_by_parent": r["hidden_by_parent_at"] is not None, "parent": _parent_info(r)}


def _staff_summary(r: Record) -> schemas.StaffThreadSummary:
    return schemas.StaffThreadSummary.model_validate(_staff_fields(r))


async def _staff_view(store: Store, thread: Record) -> schemas.StaffThreadOut:
    tid = thread["id"]
    files = _group_attachments(
        await store.attachments_of_thread(tid), lambda aid: f"/api/messaging/admin/threads/{tid}/attachments/{aid}"
    )
    parent_label = display_name(thread["first_name"], thread["last_name"]) or "Parent"
    town = f"Mairie – {thread['theme_label']}"
    messages = [
        schemas.StaffMessageOut(
            id=m["id"],
            author=m["author_kind"],
            author_label=parent_label if m["author_kind"] == "parent" else town,
            author_id=m["author_id"],
            template_id=m["template_id"],
            body=m["body"],
            created_at=m["created_at"],
            read_at=m["read_at"],
            attachments=files.get(m["id"], []),
        )
        for m in await store.messages(tid)
    ]
    return schemas.StaffThreadOut.model_validate({**_staff_fields(thread), "messages": messages})


def _summary(r: Record) -> schemas.ThreadSummary:
    return schemas.ThreadSummary.model_validate({**r, "has_reply": r["replies_count"] > 0})


def _admin_theme(r: Record) -> schemas.AdminThemeOut:
    return schemas.AdminThemeOut.model_validate(dict(r))


def _template(r: Record) -> schemas.ReplyTemplateOut:
    return schemas.ReplyTemplateOut(
        id=r["id"],
        title=r["title"],
        body=r["body"],
        theme_id=r["theme_id"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )
