"""The e-mail outbox: queue an e-mail with the change that causes it; the delivery log.

An e-mail is rendered when its cause is recorded and written to the ``emails`` table in
that same transaction; the mail sender (mail/sender.py) delivers it later.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from .. import schemas
from ..domain.emails import display_name, is_plausible_address
from ..domain.errors import NotFound
from ..mail.compose import Attachment
from ..store import UnitOfWork
from ..store.views import emails as views
from .deps import Messaging

log = structlog.get_logger(__name__)


async def queue_for_contact(ctx: Messaging, uow: UnitOfWork, kind: str, *, user_id: uuid.UUID, **kwargs) -> None:
    """An e-mail to a user at the address of the local contact copy."""
    contact = await uow.contacts.get(user_id)
    address = contact["email"] if contact is not None else None
    name = display_name(contact["first_name"], contact["last_name"]) if contact is not None else ""
    status = contact["status"] if contact is not None else None
    await queue(ctx, uow, kind, user_id=user_id, to_address=address, to_name=name, contact_status=status, **kwargs)


async def queue_for_dossier(
    ctx: Messaging,
    uow: UnitOfWork,
    kind: str,
    *,
    dossier_id: uuid.UUID,
    event_id: uuid.UUID,
    context: dict[str, Any],
    attachment: Attachment | None = None,
) -> None:
    """One e-mail to each contact of a family file (by the contact copies accounts feeds).

    A family with no contact known yet still gets a row, recorded as suppressed
    (``no_address``), so that staff see the e-mail that could not go.
    """
    contacts = await uow.contacts.of_dossier(dossier_id)
    if not contacts:
        await queue(
            ctx, uow, kind, user_id=None, to_address=None, to_name="", dedupe_key=f"{kind}:{event_id}", context=context,
            attachment=attachment,
        )  # fmt: skip
    for contact in contacts:
        await queue(
            ctx,
            uow,
            kind,
            user_id=contact["user_id"],
            to_address=contact["email"],
            to_name=display_name(contact["first_name"], contact["last_name"]),
            contact_status=contact["status"],
            dedupe_key=f"{kind}:{event_id}:{contact['user_id']}",
            context=context,
            attachment=attachment,
        )


async def queue(
    ctx: Messaging,
    uow: UnitOfWork,
    kind: str,
    *,
    user_id: uuid.UUID | None,
    to_address: str | None,
    to_name: str,
    dedupe_key: str,
    context: dict[str, Any],
    thread_id: uuid.UUID | None = None,
    contact_status: str | None = None,
    attachment: Attachment | None = None,
) -> None:
    """Render and queue one e-mail, or record why it is not sent (visible to staff)."""
    if contact_status is None and user_id is not None:
        contact = await uow.contacts.get(user_id)
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
        attachment=attachment,
    )
    if await uow.emails.add(email, suppressed_because=reason):
        log.info(
            "email_queued" if reason is None else "email_suppressed", email_id=str(email.id), kind=kind, reason=reason
        )


# --- staff: the delivery log ---------------------------------------------------------------


async def email_log(ctx: Messaging, query: schemas.EmailLogQuery) -> schemas.EmailLogPage:
    async with ctx.read() as conn:
        return await views.email_log(
            conn,
            ctx.cursors,
            state=query.state,
            kind=query.kind,
            user_id=query.user_id,
            limit=query.limit,
            cursor=query.cursor,
        )


async def bounced_addresses(ctx: Messaging, query: schemas.PageQuery) -> schemas.BouncedAddressPage:
    async with ctx.read() as conn:
        return await views.bounced_addresses(conn, ctx.cursors, limit=query.limit, cursor=query.cursor)


async def lift_bounced_address(ctx: Messaging, bounce_id: uuid.UUID) -> None:
    """The parent fixed their mailbox: e-mails to the address may be attempted again."""
    async with ctx.uow() as uow:
        if not await uow.bounces.lift(bounce_id):
            raise NotFound()
        await uow.commit()
    log.info("bounced_address_lifted", bounce_id=str(bounce_id))
