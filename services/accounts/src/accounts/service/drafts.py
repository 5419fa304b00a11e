"""The registration wizard (« Inscrivez-vous »), one step at a time, kept server-side.

The gateway holds a draft's random id in an HttpOnly cookie; each step is validated here
with the same rules as ``POST /api/accounts/registrations`` (same password policy, same
dossier matching and throttle) and saved; the password is hashed as soon as step 1 is
saved. « Valider mon inscription » turns the draft into the pending account in one
transaction, through the same code as the one-call registration.
"""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import structlog

from ..domain import tokens
from ..domain.errors import DossierAlreadyLinked, FieldError, Invalid, NotFound, invalid
from ..domain.password_policy import normalise_password
from ..schemas.internal import (
    DraftCreated,
    DraftDossier,
    DraftIdentity,
    DraftSteps,
    DraftSummary,
    DraftTerms,
)
from ..schemas.public import Registration
from ..store import UnitOfWork
from .common import match_dossier
from .deps import Accounts
from .registration import (
    check_registration_rate,
    check_terms,
    create_pending_user,
    identity_errors,
)

log = structlog.get_logger(__name__)

# Long enough to fetch the letter with the dossier number, short enough not to keep
# half-typed personal data around.
DRAFT_TTL = timedelta(hours=2)

DRAFT_GONE = "Votre inscription en cours a expiré. Merci de la recommencer."
STEP_MISSING = "Cette étape n'est pas encore remplie."


async def create(acc: Accounts) -> DraftCreated:
    draft_id = tokens.new_token()
    now = acc.now()
    async with acc.uow() as uow:
        await uow.drafts.create(tokens.token_hash(draft_id), now, now + DRAFT_TTL)
        await uow.commit()
    return DraftCreated(draft_id=draft_id)


async def _load(uow: UnitOfWork, draft_id: str, now, *, for_update: bool = False) -> asyncpg.Record:
    if not tokens.plausible_token(draft_id):
        raise NotFound("draft_unknown", DRAFT_GONE)
    row = await uow.drafts.find(tokens.token_hash(draft_id), now, for_update=for_update)
    if row is None:
        raise NotFound("draft_unknown", DRAFT_GONE)
    return row


def _summary(row: asyncpg.Record) -> DraftSummary:
    return DraftSummary(
        step_done=DraftSteps(
            identity=row["password_hash"] is not None,
            dossier=row["dossier_id"] is not None or row["without_dossier"],
            terms=row["terms_accepted_at"] is not None,
        ),
        last_name=row["last_name"],
        first_name=row["first_name"],
        email=row["email"],
        username=row["username"],
        mobile_display=row["mobile_display"],
        dossier_number=row["dossier_number"],
        dossier_name=row["dossier_name"],
        without_dossier=row["without_dossier"],
        terms_version=row["terms_version"],
    )


async def get(acc: Accounts, draft_id: str) -> DraftSummary:
    async with acc.uow() as uow:
        return _summary(await _load(uow, draft_id, acc.now()))


async def save_identity(acc: Accounts, draft_id: str, step: DraftIdentity) -> DraftSummary:
    async with acc.uow() as uow:
        await _load(uow, draft_id, acc.now())
    errors = await identity_errors(acc, username=step.username, email=step.email, password=step.password)
    if errors:
        raise invalid(*errors)
    password_hash = await acc.hash_password(normalise_password(step.password))
    return await _update(
        acc,
        draft_id,
        last_name=step.last_name,
        first_name=step.first_name,
        email=step.email,
        username=step.username,
        mobile_display=step.mobile_display,
        password_hash=password_hash,
    )


async def save_dossier(acc: Accounts, draft_id: str, step: DraftDossier, *, client: str) -> DraftSummary:
    async with acc.uow() as uow:
        await _load(uow, draft_id, acc.now())
    if step.without_dossier:
        if step.dossier_number is not None or step.dossier_name is not None:
            raise invalid(
                FieldError(
                    "dossier_number",
                    "dossier_with_without",
                    "Indiquez les références du dossier ou « continuer sans », pas les deux.",
                )
            )
        return await _update(acc, draft_id, dossier_id=None, without_dossier=True)
    missing = [
        FieldError(name, "missing", "Ce champ est obligatoire (ou choisissez « continuer sans »).")
        for name in ("dossier_number", "dossier_name")
        if getattr(step, name) is None
    ]
    if missing:
        raise invalid(*missing)
    dossier = await match_dossier(
        acc,
        step.dossier_number,
        step.dossier_name,
        client=client,
        number_field="dossier_number",
        name_field="dossier_name",
    )
    return await _update(acc, draft_id, dossier_id=dossier["id"], without_dossier=False)


async def save_terms(acc: Accounts, draft_id: str, step: DraftTerms) -> DraftSummary:
    async with acc.uow() as uow:
        await _load(uow, draft_id, acc.now())
    version, errors = await check_terms(acc, step.terms_version)
    if not step.accepted:
        errors.append(
            FieldError(
                "accepted",
                "terms_not_accepted",
                "Vous devez accepter les conditions générales d'utilisation pour continuer votre inscription.",
            )
        )
    if errors:
        raise invalid(*errors)
    return await _update(acc, draft_id, terms_version=version, terms_accepted_at=acc.now())


async def _update(acc: Accounts, draft_id: str, **fields) -> DraftSummary:
    now = acc.now()
    async with acc.uow() as uow:
        row = await _load(uow, draft_id, now, for_update=True)
        await uow.drafts.update(row["id_hash"], fields)
        row = await _load(uow, draft_id, now)
        await uow.commit()
    return _summary(row)


async def submit(acc: Accounts, draft_id: str, *, client: str) -> Registration:
    """« Valider mon inscription »: the pending account is created and the draft deleted."""
    now = acc.now()
    async with acc.uow() as uow:
        row = await _load(uow, draft_id, now, for_update=True)
        steps = _summary(row).step_done
        missing = [name for name, done in steps.model_dump().items() if not done]
        if missing:
            raise Invalid(
                "draft_incomplete",
                "Votre inscription n'est pas complète : merci de remplir toutes les étapes.",
                errors=[FieldError(name, "step_missing", STEP_MISSING) for name in missing],
            )
        current, errors = await check_terms(acc, row["terms_version"])
        if errors:
            raise invalid(*errors)
        dossier = None
        if row["dossier_id"] is not None:
            dossier = await uow.dossiers.get(row["dossier_id"])
            if await uow.users.active_holder_of_dossier(row["dossier_id"]) is not None:
                raise DossierAlreadyLinked()
        await check_registration_rate(acc, uow, client)
        result = await create_pending_user(
            acc,
            uow,
            username=row["username"],
            email=row["email"],
            last_name=row["last_name"],
            first_name=row["first_name"],
            mobile_display=row["mobile_display"],
            password_hash=row["password_hash"],
            dossier=dossier,
            terms_version=current,
        )
        await uow.drafts.delete(row["id_hash"])
        await uow.commit()
    return result


async def cancel(acc: Accounts, draft_id: str) -> None:
    """« Annuler »: the draft and everything typed in it are deleted."""
    if not tokens.plausible_token(draft_id):
        return
    async with acc.uow() as uow:
        await uow.drafts.delete(tokens.token_hash(draft_id))
        await uow.commit()
