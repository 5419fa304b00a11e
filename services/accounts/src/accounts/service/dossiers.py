"""New family files and new members of one: by staff, by the CSV import, by the demo.

A dossier is made in one place, ``insert_dossier``: the dossier, its adults, its
children, one audit row for the dossier and one per child, ``accounts.dossier.updated``
then one ``accounts.child.added`` per child, in the caller's transaction. The staff API
(``create_dossier``) and the CSV import (``service.imports``) both go through it, so an
imported dossier cannot differ from one typed in.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from servicekit.idempotency import IdempotencyKey

from ..domain.audit import Actor
from ..domain.dossiers import birth_date_problem
from ..domain.errors import Conflict, FieldError, invalid, not_found
from ..domain.names import name_key
from ..schemas.admin import AdultInput, ChildInput, DossierCreation, StaffDossier
from ..schemas.public import Adult, Child
from ..store import UnitOfWork, views
from .common import child_payload, dossier_updated
from .deps import Accounts

log = structlog.get_logger(__name__)

PARIS = ZoneInfo("Europe/Paris")
NUMBER_TAKEN = "Ce numéro de dossier est déjà utilisé."


@dataclass(frozen=True)
class FixedIds:
    """Ids chosen by the caller instead of drawn by the database: only the demonstration
    data use this (other services seed their copies with the same ids). Never reachable
    from the HTTP API: no request schema carries it."""

    dossier_id: uuid.UUID
    child_ids: Sequence[uuid.UUID] = ()


def today(acc: Accounts) -> date:
    return acc.now().astimezone(PARIS).date()


def check_birth_date(birth_date: date, on: date, field: str) -> FieldError | None:
    problem = birth_date_problem(birth_date, on)
    return FieldError(field, "invalid_birth_date", problem) if problem else None


def creation_errors(cmd: DossierCreation, on: date) -> list[FieldError]:
    """The rules a new dossier obeys beyond its schema (children's birth dates)."""
    return [
        e for i, c in enumerate(cmd.children) if (e := check_birth_date(c.birth_date, on, f"children.{i}.birth_date"))
    ]


def _adult_values(adult: AdultInput) -> dict[str, Any]:
    mobile, home = adult.phone_mobile, adult.phone_home
    if adult.phone is not None:
        is_mobile = adult.phone.startswith(("06", "07", "+"))
        if is_mobile and mobile is None:
            mobile = adult.phone
        elif not is_mobile and home is None:
            home = adult.phone
    return {
        "last_name": adult.last_name,
        "first_name": adult.first_name,
        "email": adult.email,
        "phone_mobile": mobile,
        "phone_home": home,
        "phone_work": adult.phone_work,
    }


async def _insert_child(
    uow: UnitOfWork, actor: Actor, dossier_id: uuid.UUID, child: ChildInput, now, child_id: uuid.UUID | None = None
) -> asyncpg.Record:
    child_id = await uow.dossiers.insert_child(
        dossier_id,
        first_name=child.first_name,
        last_name=child.last_name,
        birth_date=child.birth_date,
        school=child.school,
        level=child.level,
        child_id=child_id,
    )
    row = await uow.dossiers.child(child_id)
    await uow.audit.write(
        at=now,
        actor=actor,
        entity="child",
        entity_id=child_id,
        action="created",
        dossier_id=dossier_id,
        after={k: row[k] for k in ("first_name", "last_name", "birth_date", "school", "level")},
    )
    await uow.publish(child_payload(row))
    return row


async def insert_dossier(
    uow: UnitOfWork, actor: Actor, cmd: DossierCreation, now: datetime, *, ids: FixedIds | None = None
) -> uuid.UUID:
    """The one way a dossier comes to exist (rules already checked; not committed)."""
    address = cmd.address
    try:
        dossier_id = await uow.dossiers.insert(
            number=cmd.number,
            family_name=cmd.family_name,
            family_name_key=name_key(cmd.family_name),
            address={
                "address_line1": address.line1 if address else None,
                "address_line2": address.line2 if address else None,
                "postal_code": address.postal_code if address else None,
                "city": address.city if address else None,
            },
            invoices_by_email=cmd.invoices_by_email,
            now=now,
            dossier_id=ids.dossier_id if ids else None,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict("dossier_number_taken", NUMBER_TAKEN) from None
    for position, adult in enumerate(cmd.adults, start=1):
        await uow.dossiers.insert_adult(dossier_id, position, _adult_values(adult))
    await uow.audit.write(
        at=now,
        actor=actor,
        entity="dossier",
        entity_id=dossier_id,
        action="created",
        dossier_id=dossier_id,
        after={"number": cmd.number, "family_name": cmd.family_name, "adults": len(cmd.adults)},
    )
    await uow.publish(await dossier_updated(uow, dossier_id))
    child_ids = list(ids.child_ids) if ids else []
    for i, child in enumerate(cmd.children):
        await _insert_child(uow, actor, dossier_id, child, now, child_ids[i] if i < len(child_ids) else None)
    return dossier_id


async def create_dossier(
    acc: Accounts,
    actor: Actor,
    cmd: DossierCreation,
    *,
    idempotency: IdempotencyKey | None = None,
    ids: FixedIds | None = None,
) -> StaffDossier:
    errors = creation_errors(cmd, today(acc))
    if errors:
        raise invalid(*errors)
    now = acc.now()
    async with acc.uow() as uow:
        if await uow.dossiers.by_number(cmd.number) is not None:
            raise Conflict("dossier_number_taken", NUMBER_TAKEN)
        dossier_id = await insert_dossier(uow, actor, cmd, now, ids=ids)
        result = StaffDossier.model_validate(await views.dossier(uow.conn, dossier_id))
        await uow.remember(idempotency, result)
        await uow.commit()
    log.info("dossier_created", dossier_id=str(dossier_id), children=len(cmd.children))
    return result


async def add_child(
    acc: Accounts, actor: Actor, dossier_id: uuid.UUID, cmd: ChildInput, *, idempotency: IdempotencyKey | None = None
) -> Child:
    error = check_birth_date(cmd.birth_date, today(acc), "birth_date")
    if error:
        raise invalid(error)
    now = acc.now()
    async with acc.uow() as uow:
        if await uow.dossiers.get(dossier_id, for_update=True) is None:
            raise not_found()
        row = await _insert_child(uow, actor, dossier_id, cmd, now)
        await uow.dossiers.touch(dossier_id, now)
        result = Child.model_validate(dict(row))
        await uow.remember(idempotency, result)
        await uow.commit()
    log.info("child_added", dossier_id=str(dossier_id), child_id=str(row["id"]))
    return result


async def add_adult(
    acc: Accounts, actor: Actor, dossier_id: uuid.UUID, cmd: AdultInput, *, idempotency: IdempotencyKey | None = None
) -> Adult:
    now = acc.now()
    async with acc.uow() as uow:
        if await uow.dossiers.get(dossier_id, for_update=True) is None:
            raise not_found()
        position = len(await uow.dossiers.adults(dossier_id)) + 1
        values = _adult_values(cmd)
        adult_id = await uow.dossiers.insert_adult(dossier_id, position, values)
        await uow.audit.write(
            at=now,
            actor=actor,
            entity="adult",
            entity_id=adult_id,
            action="created",
            dossier_id=dossier_id,
            after=values,
        )
        await uow.dossiers.touch(dossier_id, now)
        await uow.publish(await dossier_updated(uow, dossier_id))
        result = Adult.model_validate({"id": adult_id, **values})
        await uow.remember(idempotency, result)
        await uow.commit()
    log.info("adult_added", dossier_id=str(dossier_id), adult_id=str(adult_id))
    return result
