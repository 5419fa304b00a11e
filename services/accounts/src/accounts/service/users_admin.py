"""Staff work on accounts: staff users, roles, activation links, deactivation."""

from __future__ import annotations

import uuid

import asyncpg
import structlog
from servicekit.idempotency import IdempotencyKey

from .. import events
from ..domain import roles as role_rules
from ..domain.audit import Actor
from ..domain.errors import Conflict, FieldError, Forbidden, invalid, not_found
from ..schemas.admin import StaffUserCreation, UserDetail
from ..store import views
from ..store.tokens import ACTIVATION
from .common import issue_activation_link
from .deps import Accounts
from .registration import USERNAME_TAKEN

log = structlog.get_logger(__name__)

ONLY_ADMIN = "Seul un administrateur peut attribuer ou retirer le rôle administrateur."


async def create_staff_user(
    acc: Accounts,
    actor: Actor,
    actor_roles: frozenset[str],
    cmd: StaffUserCreation,
    *,
    idempotency: IdempotencyKey | None = None,
) -> UserDetail:
    """The new staff member gets the activation e-mail and chooses their own password."""
    wanted = sorted(set(cmd.roles))
    if not role_rules.may_change_roles(actor_roles, [], wanted):
        raise Forbidden("admin_role_reserved", ONLY_ADMIN)
    now = acc.now()
    async with acc.uow() as uow:
        if await uow.users.taken_usernames([cmd.username]):
            raise invalid(FieldError("username", "username_taken", USERNAME_TAKEN))
        try:
            user_id = await uow.users.insert(
                username=cmd.username,
                email=cmd.email,
                last_name=cmd.last_name,
                first_name=cmd.first_name,
                password_hash=None,
                roles=wanted,
                dossier_id=None,
                mobile_display=False,
                now=now,
            )
        except asyncpg.UniqueViolationError:
            raise invalid(FieldError("username", "username_taken", USERNAME_TAKEN)) from None
        user = await uow.users.get(user_id)
        await issue_activation_link(uow, user, events.UserRegistered, now)
        await uow.audit.write(
            at=now, actor=actor, entity="user", entity_id=user_id, action="staff_created", after={"roles": wanted}
        )
        result = UserDetail.model_validate(dict(await views.user(uow.conn, user_id)))
        await uow.remember(idempotency, result)
        await uow.commit()
    log.info("staff_user_created", user_id=str(user_id), by=str(actor.user_id))
    return result


async def set_roles(
    acc: Accounts, actor: Actor, actor_roles: frozenset[str], user_id: uuid.UUID, wanted_roles: list[str]
) -> UserDetail:
    wanted = sorted(set(wanted_roles))
    if user_id == actor.user_id:
        raise Forbidden("own_roles", "Vous ne pouvez pas modifier vos propres rôles.")
    now = acc.now()
    async with acc.uow() as uow:
        user = await uow.users.get(user_id, for_update=True)
        if user is None:
            raise not_found()
        if not role_rules.may_change_roles(actor_roles, user["roles"], wanted):
            raise Forbidden("admin_role_reserved", ONLY_ADMIN)
        before = sorted(user["roles"])
        if before != wanted:
            await uow.users.set_roles(user_id, wanted, now)
            await uow.audit.write(
                at=now,
                actor=actor,
                entity="user",
                entity_id=user_id,
                action="roles_changed",
                dossier_id=user["dossier_id"],
                before={"roles": before},
                after={"roles": wanted},
            )
        result = UserDetail.model_validate(dict(await views.user(uow.conn, user_id)))
        await uow.commit()
    log.info("roles_changed", user_id=str(user_id), by=str(actor.user_id), changed=before != wanted)
    return result


async def resend_activation(acc: Accounts, actor: Actor, user_id: uuid.UUID) -> UserDetail:
    now = acc.now()
    async with acc.uow() as uow:
        user = await uow.users.get(user_id, for_update=True)
        if user is None:
            raise not_found()
        if user["status"] != "pending_activation":
            raise Conflict("not_pending", "Ce compte n'est pas en attente d'activation.")
        await issue_activation_link(uow, user, events.UserActivationResent, now)
        await uow.audit.write(
            at=now,
            actor=actor,
            entity="user",
            entity_id=user_id,
            action="activation_resent",
            dossier_id=user["dossier_id"],
        )
        result = UserDetail.model_validate(dict(await views.user(uow.conn, user_id)))
        await uow.commit()
    log.info("activation_resent", user_id=str(user_id), by=str(actor.user_id))
    return result


async def deactivate(acc: Accounts, actor: Actor, actor_roles: frozenset[str], user_id: uuid.UUID) -> UserDetail:
    if user_id == actor.user_id:
        raise Forbidden("own_account", "Vous ne pouvez pas désactiver votre propre compte.")
    now = acc.now()
    async with acc.uow() as uow:
        user = await uow.users.get(user_id, for_update=True)
        if user is None:
            raise not_found()
        if role_rules.ADMIN in user["roles"] and role_rules.ADMIN not in actor_roles:
            raise Forbidden("admin_role_reserved", "Seul un administrateur peut désactiver un administrateur.")
        if user["status"] != "disabled":
            await uow.users.disable(user_id, now)
            revoked = len(await uow.sessions.revoke_all(user_id, now))
            await uow.tokens.delete_unused(user_id, ACTIVATION)
            await uow.audit.write(
                at=now,
                actor=actor,
                entity="user",
                entity_id=user_id,
                action="deactivated",
                dossier_id=user["dossier_id"],
                before={"status": user["status"]},
                after={"status": "disabled"},
            )
            await uow.publish(events.UserDeactivated(user_id=user_id))
            log.info("user_deactivated", user_id=str(user_id), by=str(actor.user_id), sessions_revoked=revoked)
        result = UserDetail.model_validate(dict(await views.user(uow.conn, user_id)))
        await uow.commit()
    return result
