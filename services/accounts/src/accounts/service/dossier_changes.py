"""Changes to existing family files: by the parent (contacts, opt-in) and by staff.

Each change is audited (who, when, only the fields that changed) and reported with
``accounts.dossier.updated`` / ``accounts.child.updated``, all in one transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import structlog

from .. import events
from ..domain.audit import Actor, changed_fields
from ..domain.errors import Conflict, FieldError, invalid, not_found
from ..domain.names import name_key
from ..schemas.admin import ChildChange, StaffDossier, StaffDossierChange
from ..schemas.public import Child, DossierChange
from ..store import UnitOfWork, views
from .common import child_payload, dossier_updated
from .deps import Accounts
from .dossiers import NUMBER_TAKEN, check_birth_date, today

log = structlog.get_logger(__name__)


async def _apply_changes(
    uow: UnitOfWork,
    actor: Actor,
    dossier_id: uuid.UUID,
    dossier_fields: dict[str, Any],
    adult_changes: list[tuple[uuid.UUID, dict[str, Any]]],
    now,
) -> bool:
    """Write what differs, audit it, report it; False when nothing changed."""
    dossier = await uow.dossiers.get(dossier_id, for_update=True)
    if dossier is None:
        raise not_found()
    adults = {a["id"]: a for a in await uow.dossiers.adults(dossier_id)}
    changed = False
    for adult_id, fields in adult_changes:
        current = adults.get(adult_id)
        if current is None:  # another family's adult answers like one that does not exist
            raise not_found()
        before, after = changed_fields(dict(current), fields)
        if after:
            await uow.dossiers.update_adult(adult_id, after)
            await uow.audit.write(
                at=now,
                actor=actor,
                entity="adult",
                entity_id=adult_id,
                action="updated",
                dossier_id=dossier_id,
                before=before,
                after=after,
            )
            changed = True
    if "family_name" in dossier_fields:
        dossier_fields["family_name_key"] = name_key(dossier_fields["family_name"])
    before, after = changed_fields(dict(dossier), dossier_fields)
    if after:
        try:
            await uow.dossiers.update(dossier_id, after, now)
        except asyncpg.UniqueViolationError:
            raise Conflict("dossier_number_taken", NUMBER_TAKEN) from None
        after.pop("family_name_key", None)
        before.pop("family_name_key", None)
        await uow.audit.write(
            at=now,
            actor=actor,
            entity="dossier",
            entity_id=dossier_id,
            action="updated",
            dossier_id=dossier_id,
            before=before,
            after=after,
        )
        changed = True
    if changed:
        await uow.dossiers.touch(dossier_id, now)
        await uow.publish(await dossier_updated(uow, dossier_id))
    return changed


def _no_duplicate_ids(ids: list[uuid.UUID], field: str) -> None:
    seen: set[uuid.UUID] = set()
    for i, adult_id in enumerate(ids):
        if adult_id in seen:
            raise invalid(FieldError(f"{field}.{i}.id", "duplicate", "Cet adulte figure deux fois dans la demande."))
        seen.add(adult_id)


async def update_own_dossier(acc: Accounts, actor: Actor, dossier_id: uuid.UUID, change: DossierChange) -> bool:
    """The parent's « Modifier » → « Valider »: phones, e-mails, invoices by e-mail."""
    adults = change.adults or []
    _no_duplicate_ids([a.id for a in adults], "adults")
    adult_changes = [(a.id, {name: getattr(a, name) for name in a.model_fields_set - {"id"}}) for a in adults]
    dossier_fields = {}
    if change.invoices_by_email is not None:
        dossier_fields["invoices_by_email"] = change.invoices_by_email
    now = acc.now()
    async with acc.uow() as uow:
        changed = await _apply_changes(uow, actor, dossier_id, dossier_fields, adult_changes, now)
        await uow.commit()
    if changed:
        log.info("dossier_updated", dossier_id=str(dossier_id), by=actor.kind)
    return changed


async def update_dossier_by_staff(
    acc: Accounts, actor: Actor, dossier_id: uuid.UUID, change: StaffDossierChange
) -> StaffDossier:
    adults = change.adults or []
    _no_duplicate_ids([a.id for a in adults], "adults")
    adult_changes = [(a.id, {name: getattr(a, name) for name in a.model_fields_set - {"id"}}) for a in adults]
    for i, (_, fields) in enumerate(adult_changes):
        for name in ("last_name", "first_name"):
            if name in fields and fields[name] is None:
                raise invalid(FieldError(f"adults.{i}.{name}", "missing", "Ce champ est obligatoire."))
    fields_set = change.model_fields_set
    dossier_fields: dict[str, Any] = {}
    for name in ("number", "family_name", "invoices_by_email"):
        if name in fields_set:
            if getattr(change, name) is None:
                raise invalid(FieldError(name, "missing", "Ce champ ne peut pas être vide."))
            dossier_fields[name] = getattr(change, name)
    if change.address is not None:
        for name in change.address.model_fields_set:
            dossier_fields[{"line1": "address_line1", "line2": "address_line2"}.get(name, name)] = getattr(
                change.address, name
            )
    now = acc.now()
    async with acc.uow() as uow:
        await _apply_changes(uow, actor, dossier_id, dossier_fields, adult_changes, now)
        result = StaffDossier.model_validate(await views.dossier(uow.conn, dossier_id))
        await uow.commit()
    log.info("dossier_updated", dossier_id=str(dossier_id), by=actor.kind)
    return result


async def update_child(acc: Accounts, actor: Actor, child_id: uuid.UUID, cmd: ChildChange) -> Child:
    fields = {name: getattr(cmd, name) for name in cmd.model_fields_set}
    for name in ("first_name", "last_name", "birth_date"):
        if name in fields and fields[name] is None:
            raise invalid(FieldError(name, "missing", "Ce champ ne peut pas être vide."))
    if "birth_date" in fields:
        error = check_birth_date(fields["birth_date"], today(acc), "birth_date")
        if error:
            raise invalid(error)
    now = acc.now()
    async with acc.uow() as uow:
        current = await uow.dossiers.child(child_id, for_update=True)
        if current is None:
            raise not_found()
        before, after = changed_fields(dict(current), fields)
        if after:
            await uow.dossiers.update_child(child_id, after)
            await uow.audit.write(
                at=now,
                actor=actor,
                entity="child",
                entity_id=child_id,
                action="updated",
                dossier_id=current["dossier_id"],
                before=before,
                after=after,
            )
            row = await uow.dossiers.child(child_id)
            await uow.publish(child_payload(row, events.ChildUpdated))
            await uow.dossiers.touch(current["dossier_id"], now)
        else:
            row = current
        await uow.commit()
    if after:
        log.info("child_updated", child_id=str(child_id))
    return Child.model_validate(dict(row))
