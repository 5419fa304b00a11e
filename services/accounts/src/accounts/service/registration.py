"""First connection: username suggestions, registration, activation, linking a dossier."""

from __future__ import annotations

import uuid

import asyncpg
import structlog
from servicekit.idempotency import IdempotencyKey

from .. import events
from ..domain import throttle, tokens
from ..domain.audit import Actor
from ..domain.errors import (
    DossierAlreadyLinked,
    FieldError,
    Gone,
    Invalid,
    NotFound,
    TooManyRegistrations,
    invalid,
)
from ..domain.password_policy import normalise_password, password_errors
from ..domain.usernames import candidates
from ..schemas.public import LinkedDossier, Registration, RegistrationRequest
from ..store import UnitOfWork
from ..store.attempts import REGISTER_CLIENT
from ..store.tokens import ACTIVATION
from . import queries
from .common import (
    match_dossier,
    subscriptions,
)
from .deps import Accounts

log = structlog.get_logger(__name__)

SUGGESTIONS = 5
USERNAME_TAKEN = "Ce nom d'utilisateur est déjà pris."


async def suggest_usernames(acc: Accounts, last_name: str, first_name: str, wanted: str = "") -> list[str]:
    """Free usernames, best first: the one typed (``wanted``) itself when it is free."""
    options = candidates(last_name, first_name, wanted=wanted)
    async with acc.uow() as uow:
        taken = await uow.users.taken_usernames(options)
    return [name for name in options if name not in taken][:SUGGESTIONS]


async def check_terms(acc: Accounts, accepted_version: str) -> tuple[str | None, list[FieldError]]:
    """The current terms version, and an error unless ``accepted_version`` is it."""
    current = await queries.current_terms_version(acc)
    if current is not None and accepted_version == current:
        return current, []
    return current, [
        FieldError(
            "terms_version",
            "terms_outdated",
            "Les conditions d'utilisation ont été mises à jour : merci de les relire et de les accepter.",
        )
    ]


async def identity_errors(acc: Accounts, *, username: str, email: str, password: str) -> list[FieldError]:
    """What is wrong with the « Mes informations » step: the password policy, a taken username."""
    errors = password_errors(normalise_password(password), username=username, email=email)
    async with acc.uow() as uow:
        if await uow.users.taken_usernames([username]):
            errors.append(FieldError("username", "username_taken", USERNAME_TAKEN))
    return errors


async def check_registration_rate(acc: Accounts, uow: UnitOfWork, client: str) -> None:
    """Refuse past the per-client cap; count this registration (in the caller's transaction)."""
    now = acc.now()
    limits = acc.limits
    since = limits.window_start(now)
    nth = await uow.attempts.nth_most_recent(REGISTER_CLIENT, client, since, limits.registrations_per_client)
    wait = throttle.window_retry_after(nth, now, limits)
    if wait is not None:
        log.info("registration_throttled")
        raise TooManyRegistrations(retry_after=wait)
    await uow.attempts.record(REGISTER_CLIENT, client, now)


async def register(
    acc: Accounts, cmd: RegistrationRequest, *, client: str, idempotency: IdempotencyKey | None = None
) -> Registration:
    terms_version, errors = await check_terms(acc, cmd.terms_version)
    if cmd.without_dossier:
        for name in ("dossier_number", "dossier_name"):
            if getattr(cmd, name) is not None:
                errors.append(
                    FieldError(
                        name,
                        "dossier_with_without",
                        "Indiquez les références du dossier ou « continuer sans », pas les deux.",
                    )
                )
    else:
        for name in ("dossier_number", "dossier_name"):
            if getattr(cmd, name) is None:
                errors.append(
                    FieldError(name, "missing", "Ce champ est obligatoire (ou choisissez « continuer sans »).")
                )
    errors += await identity_errors(acc, username=cmd.username, email=cmd.email, password=cmd.password)
    if errors:
        raise invalid(*errors)

    dossier = None
    if not cmd.without_dossier:
        dossier = await match_dossier(
            acc,
            cmd.dossier_number,
            cmd.dossier_name,
            client=client,
            number_field="dossier_number",
            name_field="dossier_name",
        )
    password_hash = await acc.hash_password(normalise_password(cmd.password))
    async with acc.uow() as uow:
        await check_registration_rate(acc, uow, client)
        result = await create_pending_user(
            acc,
            uow,
            username=cmd.username,
            email=cmd.email,
            last_name=cmd.last_name,
            first_name=cmd.first_name,
            mobile_display=cmd.mobile_display,
            password_hash=password_hash,
            dossier=dossier,
            terms_version=terms_version,
        )
        await uow.remember(idempotency, result)
        await uow.commit()
    return result


async def create_pending_user(
    acc: Accounts,
    uow: UnitOfWork,
    *,
    username: str,
    email: str,
    last_name: str,
    first_name: str,
    mobile_display: bool,
    password_hash: str,
    dossier: asyncpg.Record | None,
    terms_version: str,
) -> Registration:
    """Insert the pending account, its terms acceptance and activation token, and the
    ``accounts.user.registered`` event, in the caller's unit of work (not committed).

    An address that an active account already has gets no second account: its holder is
    told (``accounts.registration.duplicate_attempted``) and the answer is the one a new
    registration gets, so that the form cannot tell who has an account."""
    now = acc.now()
    holders = await uow.users.active_by_email(email)
    if holders:
        holder = holders[0]
        await uow.publish(
            events.RegistrationDuplicateAttempted(
                user_id=holder["id"],
                email=holder["email"],
                first_name=holder["first_name"],
                last_name=holder["last_name"],
            )
        )
        log.info("registration_duplicate_email", holder_id=str(holder["id"]))
        return Registration(
            user_id=uuid.uuid4(),
            username=username,
            status="pending_activation",
            subscriptions=subscriptions(dossier["number"] if dossier else None, "pending_activation"),
        )
    try:
        user_id = await uow.users.insert(
            username=username,
            email=email,
            last_name=last_name,
            first_name=first_name,
            password_hash=password_hash,
            roles=[],
            dossier_id=dossier["id"] if dossier else None,
            mobile_display=mobile_display,
            now=now,
        )
    except asyncpg.UniqueViolationError:
        raise invalid(FieldError("username", "username_taken", USERNAME_TAKEN)) from None
    await uow.reference.accept_terms(user_id, terms_version, now)
    token, expires_at = await uow.tokens.issue(user_id, ACTIVATION, now, tokens.ACTIVATION_TTL)
    await uow.publish(
        events.UserRegistered(
            user_id=user_id,
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            dossier_number=dossier["number"] if dossier else None,
            activation_token=token,
            expires_at=expires_at,
        ),
    )
    log.info("user_registered", user_id=str(user_id), with_dossier=dossier is not None)
    return Registration(
        user_id=user_id,
        username=username,
        status="pending_activation",
        subscriptions=subscriptions(dossier["number"] if dossier else None, "pending_activation"),
    )


ACTIVATION_UNKNOWN = (
    "Ce lien d'activation n'est pas valide ou n'existe plus. "
    "Un compte non activé sous 24 heures est supprimé : vous pouvez recommencer votre inscription."
)
ACTIVATION_EXPIRED = (
    "Ce lien d'activation a expiré (il était valable 24 heures). Merci de recommencer votre inscription."
)
ACTIVATION_USED = "Ce lien d'activation a déjà été utilisé. Votre compte est actif : vous pouvez vous connecter."


async def activate(acc: Accounts, token: str, *, password: str | None = None) -> None:
    now = acc.now()
    if not tokens.plausible_token(token):
        raise NotFound("activation_token_unknown", ACTIVATION_UNKNOWN)
    async with acc.uow() as uow:
        row = await uow.tokens.take(tokens.token_hash(token), ACTIVATION)
        if row is None:
            raise NotFound("activation_token_unknown", ACTIVATION_UNKNOWN)
        if row["used_at"] is not None:
            raise Gone("activation_token_used", ACTIVATION_USED)
        if now >= row["expires_at"]:
            raise Gone("activation_token_expired", ACTIVATION_EXPIRED)
        user = await uow.users.get(row["user_id"], for_update=True)
        if user["status"] != "pending_activation":
            raise Gone("activation_token_used", ACTIVATION_USED)
        new_hash = None
        if user["password_hash"] is None:
            # An account made by staff: its holder chooses the password now, never anyone else.
            if password is None:
                raise invalid(
                    FieldError(
                        "password", "password_required", "Choisissez votre mot de passe pour activer votre compte."
                    ),
                    code="password_required",
                )
            chosen = normalise_password(password)
            problems = password_errors(chosen, username=user["username"], email=user["email"])
            if problems:
                raise invalid(*problems)
            new_hash = await acc.hash_password(chosen)
        if user["dossier_id"] is not None and await uow.users.active_holder_of_dossier(user["dossier_id"]):
            raise DossierAlreadyLinked()
        await uow.tokens.mark_used(row["token_hash"], now)
        try:
            await uow.users.activate(user["id"], now, password_hash=new_hash)
        except asyncpg.UniqueViolationError:  # another account activated on this dossier meanwhile
            raise DossierAlreadyLinked() from None
        await uow.audit.write(
            at=now,
            actor=Actor(user["id"], "staff" if user["roles"] else "parent"),
            entity="user",
            entity_id=user["id"],
            action="activated",
            dossier_id=user["dossier_id"],
            before={"status": "pending_activation"},
            after={"status": "active"},
        )
        await uow.publish(
            events.UserActivated(
                user_id=user["id"],
                username=user["username"],
                email=user["email"],
                first_name=user["first_name"],
                last_name=user["last_name"],
                dossier_id=user["dossier_id"],
            ),
        )
        await uow.commit()
    log.info("user_activated", user_id=str(user["id"]))


async def link_dossier(
    acc: Accounts, user_id: uuid.UUID, number: str, family_name: str, *, client: str
) -> LinkedDossier:
    async with acc.uow() as uow:
        user = await uow.users.get(user_id)
    if user is None or user["status"] != "active":
        raise NotFound("not_found", "Ce compte n'existe pas.")
    if user["dossier_id"] is not None:
        raise Invalid(
            "dossier_already_set",
            "Votre compte est déjà rattaché à un dossier famille.",
            errors=[
                FieldError(
                    "dossier_number", "dossier_already_set", "Votre compte est déjà rattaché à un dossier famille."
                )
            ],
        )
    dossier = await match_dossier(
        acc, number, family_name, client=client, number_field="dossier_number", name_field="family_name"
    )
    now = acc.now()
    async with acc.uow() as uow:
        user = await uow.users.get(user_id, for_update=True)
        if user["dossier_id"] is not None:
            raise Invalid("dossier_already_set", "Votre compte est déjà rattaché à un dossier famille.")
        try:
            await uow.users.set_dossier(user_id, dossier["id"], now)
        except asyncpg.UniqueViolationError:
            raise DossierAlreadyLinked() from None
        await uow.audit.write(
            at=now,
            actor=Actor(user_id, "parent"),
            entity="user",
            entity_id=user_id,
            action="dossier_linked",
            dossier_id=dossier["id"],
            before={"dossier_id": None},
            after={"dossier_id": dossier["id"]},
        )
        await uow.publish(
            events.UserContactChanged(
                user_id=user_id,
                email=user["email"],
                first_name=user["first_name"],
                last_name=user["last_name"],
                dossier_id=dossier["id"],
            ),
        )
        await uow.commit()
    log.info("dossier_linked", user_id=str(user_id), dossier_id=str(dossier["id"]))
    return LinkedDossier(dossier_id=dossier["id"], subscriptions=subscriptions(dossier["number"], "active"))
