"""Forgotten password, password change, e-mail change (confirmed from the new address)."""

from __future__ import annotations

import uuid

import structlog

from .. import events
from ..domain import tokens
from ..domain.audit import Actor
from ..domain.contact import same_email
from ..domain.errors import BAD_CREDENTIALS, FieldError, Gone, NotFound, invalid
from ..domain.password_policy import normalise_password, password_errors
from ..schemas.public import PasswordChanged as PasswordChangedAnswer
from ..store.attempts import LOGIN_PAIR, LOGIN_USER, RESET_CLIENT, RESET_EMAIL
from ..store.tokens import EMAIL_CHANGE, PASSWORD_RESET
from .deps import Accounts
from .sessions import claim_password_try, password_was_right

log = structlog.get_logger(__name__)

RESET_UNKNOWN = "Ce lien de réinitialisation n'est pas valide. Vous pouvez demander un nouveau lien."
RESET_USED = "Ce lien de réinitialisation a déjà été utilisé. Vous pouvez demander un nouveau lien."
RESET_EXPIRED = "Ce lien de réinitialisation a expiré (il était valable 1 heure). Vous pouvez demander un nouveau lien."
EMAIL_UNKNOWN = "Ce lien de confirmation n'est pas valide. Vous pouvez refaire la demande depuis votre compte."
EMAIL_USED = "Ce lien de confirmation a déjà été utilisé."
EMAIL_EXPIRED = "Ce lien de confirmation a expiré (il était valable 24 heures). Vous pouvez refaire la demande."


async def request_password_reset(acc: Accounts, email: str, *, client: str) -> int:
    """Send a reset link to each active account with this address; say nothing either way.

    Returns how many links were made (for tests and logs, never for the answer)."""
    now = acc.now()
    since = acc.limits.window_start(now)
    email_key = email.casefold()
    made = 0
    async with acc.uow() as uow:
        by_email, _ = await uow.attempts.count_and_last(RESET_EMAIL, email_key, since)
        by_client, _ = await uow.attempts.count_and_last(RESET_CLIENT, client, since)
        await uow.attempts.record(RESET_EMAIL, email_key, now)
        await uow.attempts.record(RESET_CLIENT, client, now)
        if by_email >= acc.limits.reset_per_email or by_client >= acc.limits.reset_per_client:
            await uow.commit()
            log.info("password_reset_throttled")
            return 0
        for user in await uow.users.active_by_email(email):
            token, expires_at = await uow.tokens.issue(user["id"], PASSWORD_RESET, now, tokens.PASSWORD_RESET_TTL)
            await uow.publish(
                events.PasswordResetRequested(
                    user_id=user["id"],
                    email=user["email"],
                    first_name=user["first_name"],
                    last_name=user["last_name"],
                    reset_token=token,
                    expires_at=expires_at,
                ),
            )
            made += 1
            log.info("password_reset_requested", user_id=str(user["id"]))
        await uow.commit()
    return made


async def _take_token(uow, token: str, purpose: str, now, unknown: str, used: str, expired: str, code: str):
    if not tokens.plausible_token(token):
        raise NotFound(f"{code}_token_unknown", unknown)
    row = await uow.tokens.take(tokens.token_hash(token), purpose)
    if row is None:
        raise NotFound(f"{code}_token_unknown", unknown)
    if row["used_at"] is not None:
        raise Gone(f"{code}_token_used", used)
    if now >= row["expires_at"]:
        raise Gone(f"{code}_token_expired", expired)
    return row


async def _password_changed(uow, user, now, new_hash: str, actor: Actor) -> None:
    await uow.users.set_password_hash(user["id"], new_hash, now, changed=True)
    await uow.audit.write(
        at=now,
        actor=actor,
        entity="user",
        entity_id=user["id"],
        action="password_changed",
        dossier_id=user["dossier_id"],
    )
    await uow.publish(
        events.PasswordChanged(
            user_id=user["id"], email=user["email"], first_name=user["first_name"], last_name=user["last_name"]
        ),
    )


async def confirm_password_reset(acc: Accounts, token: str, new_password: str) -> None:
    now = acc.now()
    async with acc.uow() as uow:
        row = await _take_token(uow, token, PASSWORD_RESET, now, RESET_UNKNOWN, RESET_USED, RESET_EXPIRED, "reset")
        user = await uow.users.get(row["user_id"], for_update=True)
        if user["status"] != "active":
            raise Gone("reset_token_used", RESET_USED)
        password = normalise_password(new_password)
        problems = password_errors(password, username=user["username"], email=user["email"], field="new_password")
        if problems:
            raise invalid(*problems)
        new_hash = await acc.hash_password(password)
        await uow.tokens.use_up_all(user["id"], PASSWORD_RESET, now)
        await _password_changed(uow, user, now, new_hash, Actor(user["id"], "staff" if user["roles"] else "parent"))
        revoked = len(await uow.sessions.revoke_all(user["id"], now))
        # The owner of the address proved who they are: every guess on the username is forgiven.
        await uow.attempts.clear(LOGIN_USER, user["username"].lower())
        await uow.attempts.clear_pairs(LOGIN_PAIR, user["username"].lower())
        await uow.commit()
    log.info("password_reset_done", user_id=str(user["id"]), sessions_revoked=revoked)


async def _confirm_password(
    acc: Accounts, user_id: uuid.UUID, password: str, client: str, now, field: str, message: str
):
    """The active user, once they typed their password again (throttled like a login)."""
    async with acc.uow() as uow:
        user = await uow.users.get(user_id)
    if user is None or user["status"] != "active":
        raise NotFound("not_found", "Ce compte n'existe pas.")
    attempt = await claim_password_try(acc, user["username"].lower(), client, now)
    if not await acc.verify_password(user["password_hash"], normalise_password(password)):
        raise invalid(FieldError(field, "wrong_password", message), code="wrong_password", title=BAD_CREDENTIALS)
    async with acc.uow() as uow:
        await password_was_right(uow, attempt)
        await uow.commit()
    return user


async def change_password(
    acc: Accounts,
    user_id: uuid.UUID,
    current_password: str,
    new_password: str,
    *,
    client: str,
    keep_session_id: uuid.UUID | None = None,
    keep_session_token: str | None = None,
) -> PasswordChangedAnswer:
    """Every OTHER session of the user is closed at once; the caller's is kept, named by
    the signed identity's ``session_id`` (API and UI through the gateway) or, failing
    that, by its token (``X-Session-Token``, the gateway's own calls)."""
    now = acc.now()
    user = await _confirm_password(
        acc, user_id, current_password, client, now, "current_password", "Le mot de passe actuel est incorrect."
    )
    password = normalise_password(new_password)
    problems = password_errors(password, username=user["username"], email=user["email"], field="new_password")
    if problems:
        raise invalid(*problems)
    new_hash = await acc.hash_password(password)
    async with acc.uow() as uow:
        user = await uow.users.get(user_id, for_update=True)
        kept = None
        if keep_session_id is not None:
            kept = await uow.sessions.open_id(user_id, session_id=keep_session_id)
        elif keep_session_token:
            kept = await uow.sessions.open_id(user_id, token_hash=tokens.token_hash(keep_session_token))
        await _password_changed(uow, user, now, new_hash, Actor(user_id, "staff" if user["roles"] else "parent"))
        # Nothing named, or a session that is not this user's open one: every session goes.
        closed = await uow.sessions.revoke_all(user_id, now, except_session_id=kept)
        await uow.commit()
    log.info("password_changed", user_id=str(user_id), other_sessions_revoked=len(closed), kept=kept is not None)
    return PasswordChangedAnswer(user_id=user_id, kept_session_id=kept, closed_session_ids=closed)


async def request_email_change(
    acc: Accounts, user_id: uuid.UUID, new_email: str, password: str, *, client: str
) -> None:
    now = acc.now()
    user = await _confirm_password(acc, user_id, password, client, now, "password", "Le mot de passe est incorrect.")
    if same_email(new_email, user["email"]):
        raise invalid(FieldError("new_email", "same_email", "C'est déjà votre adresse e-mail."))
    async with acc.uow() as uow:
        await uow.tokens.delete_unused(user_id, EMAIL_CHANGE)
        token, expires_at = await uow.tokens.issue(
            user_id, EMAIL_CHANGE, now, tokens.EMAIL_CHANGE_TTL, new_email=new_email
        )
        await uow.publish(
            events.EmailChangeRequested(
                user_id=user_id,
                new_email=new_email,
                first_name=user["first_name"],
                last_name=user["last_name"],
                confirm_token=token,
                expires_at=expires_at,
            ),
        )
        await uow.commit()
    log.info("email_change_requested", user_id=str(user_id))


async def confirm_email_change(acc: Accounts, token: str) -> str:
    now = acc.now()
    async with acc.uow() as uow:
        row = await _take_token(uow, token, EMAIL_CHANGE, now, EMAIL_UNKNOWN, EMAIL_USED, EMAIL_EXPIRED, "email_change")
        user = await uow.users.get(row["user_id"], for_update=True)
        if user["status"] != "active":
            raise Gone("email_change_token_used", EMAIL_USED)
        await uow.tokens.mark_used(row["token_hash"], now)
        await uow.users.set_email(user["id"], row["new_email"], now)
        await uow.audit.write(
            at=now,
            actor=Actor(user["id"], "staff" if user["roles"] else "parent"),
            entity="user",
            entity_id=user["id"],
            action="email_changed",
            dossier_id=user["dossier_id"],
            before={"email": user["email"]},
            after={"email": row["new_email"]},
        )
        await uow.publish(
            events.UserContactChanged(
                user_id=user["id"],
                email=row["new_email"],
                first_name=user["first_name"],
                last_name=user["last_name"],
                dossier_id=user["dossier_id"],
            ),
        )
        await uow.commit()
    log.info("email_changed", user_id=str(user["id"]))
    return row["new_email"]
