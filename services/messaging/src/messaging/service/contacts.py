"""accounts' events: the local contact copy and the e-mails they ask for.

Called by consumers.py inside the consumer's transaction (a joined unit of work), so the
change, its e-mail and the inbox row that records the event commit together.
"""

from __future__ import annotations

from ..domain.emails import display_name
from ..mail.compose import format_duration_fr
from ..store import UnitOfWork
from .deps import Event, Messaging
from .emails import queue


async def user_registered(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """accounts.user.registered / .activation_resent: the activation e-mail (never a password)."""
    await uow.contacts.apply_profile(
        data.user_id, event.occurred_at, email=data.email, first_name=data.first_name, last_name=data.last_name
    )
    await uow.contacts.apply_status(data.user_id, event.occurred_at, "pending")
    validity = (data.expires_at - event.occurred_at).total_seconds()
    await queue(
        ctx,
        uow,
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
    await contact_changed(ctx, uow, event, data)
    await uow.contacts.apply_status(data.user_id, event.occurred_at, "active")


async def contact_changed(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    await uow.contacts.apply_profile(
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
    await uow.contacts.apply_status(data.user_id, event.occurred_at, "inactive")
    await uow.emails.suppress_pending(data.user_id, "contact_inactive")


async def user_purged(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """A pending account deleted after 24 h: forget the person, keep anonymous records."""
    await uow.contacts.purge(data.user_id, event.occurred_at)
    await uow.emails.forget_user(data.user_id)


async def password_reset_requested(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    await uow.contacts.apply_profile(
        data.user_id, event.occurred_at, email=data.email, first_name=data.first_name, last_name=data.last_name
    )
    await queue(
        ctx,
        uow,
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


async def _notice(ctx: Messaging, uow: UnitOfWork, event: Event, data, kind: str, context: dict) -> None:
    """An e-mail to the account's own address about its account (no token in it)."""
    await queue(
        ctx,
        uow,
        kind,
        user_id=data.user_id,
        to_address=data.email,
        to_name=display_name(data.first_name, data.last_name),
        dedupe_key=f"{kind}:{event.id}",
        context=context,
    )


async def password_changed(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    context = {"changed_at": event.occurred_at, "forgot_link": ctx.mail.link("/mot-de-passe-oublie")}
    await _notice(ctx, uow, event, data, "password_changed", context)


async def registration_duplicate_attempted(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """Someone typed this address to register: its holder is told, with nothing of the attempt."""
    await _notice(
        ctx, uow, event, data, "registration_duplicate", {"forgot_link": ctx.mail.link("/mot-de-passe-oublie")}
    )


async def email_change_requested(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """To the NEW address; the contact copy changes only once accounts confirms it."""
    await queue(
        ctx,
        uow,
        "email_change",
        user_id=data.user_id,
        to_address=data.new_email,
        to_name=display_name(data.first_name, data.last_name),
        dedupe_key=f"email_change:{event.id}",
        context={"link": ctx.mail.link("/email/confirmer", token=data.confirm_token), "expires_at": data.expires_at},
    )


async def dossier_updated(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    await uow.dossiers.apply(
        data.dossier_id,
        event.occurred_at,
        number=data.number,
        family_name=data.family_name,
        invoices_by_email=data.invoices_by_email,
    )
