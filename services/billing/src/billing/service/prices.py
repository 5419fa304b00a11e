"""Staff's prices: tariff grids per activity and school year, families' quotients familiaux."""

from __future__ import annotations

import uuid

from servicekit.identity import Identity

from ..domain.errors import NotFound
from ..domain.qf import QfState, QuotientFamilial
from ..domain.tariffs import TariffGrid
from ..events import QfChanged
from ..store import UnitOfWork
from .deps import Billing

UNKNOWN_ACTIVITY = NotFound(
    "Cette activité n'est pas (encore) connue de la facturation : elle doit d'abord être créée dans le planning.",
    code="unknown_activity",
)
UNKNOWN_DOSSIER = NotFound("Ce dossier famille n'est pas (encore) connu de la facturation.", code="unknown_dossier")


async def set_tariff(ctx: Billing, who: Identity, activity_id: uuid.UUID, brackets: list[dict]) -> TariffGrid:
    """Replace the activity's grid for its school year; the domain refuses a bad grid whole."""
    async with ctx.uow() as uow:
        activity = await uow.activities.get(activity_id)
        if activity is None:
            raise UNKNOWN_ACTIVITY
        grid = TariffGrid.from_payload(activity_id, activity["school_year"], brackets)
        await uow.tariffs.save(grid, by=who.user_id)
        await uow.commit()
    return grid


async def require_family(uow: UnitOfWork, dossier_id: uuid.UUID) -> None:
    if await uow.families.get(dossier_id) is None:
        raise UNKNOWN_DOSSIER


async def add_qf(
    ctx: Billing, who: Identity, dossier_id: uuid.UUID, *, value, valid_from, valid_to, proof, state: str
) -> QuotientFamilial:
    qf = QuotientFamilial(value, valid_from, valid_to, proof, QfState.PENDING, id=uuid.uuid4())
    async with ctx.uow() as uow:
        qf = await record_qf(ctx, uow, who, dossier_id, qf, validated=state == QfState.VALIDATED)
        await uow.commit()
    return qf


async def record_qf(
    ctx: Billing, uow: UnitOfWork, who: Identity, dossier_id: uuid.UUID, qf: QuotientFamilial, *, validated: bool
) -> QuotientFamilial:
    """Add ``qf`` (pending) to the family's history, validated at once if asked, in ``uow``."""
    await require_family(uow, dossier_id)
    await uow.families.lock_account(dossier_id)  # two validations at once cannot both pass the overlap check
    history = await uow.qfs.history(dossier_id)
    await uow.qfs.add(dossier_id, qf, by=who.user_id)
    if validated:
        _, qf = history.with_qf(qf).validate(qf.id)
        await _decided(ctx, uow, who, dossier_id, qf)
    return qf


async def decide_qf(
    ctx: Billing, who: Identity, dossier_id: uuid.UUID, qf_id: uuid.UUID, *, validate: bool
) -> QuotientFamilial:
    async with ctx.uow() as uow:
        await require_family(uow, dossier_id)
        await uow.families.lock_account(dossier_id)
        history = await uow.qfs.history(dossier_id)
        before = next((qf for qf in history.qfs if qf.id == qf_id), None)
        _, qf = history.validate(qf_id) if validate else history.reject(qf_id)
        if qf is not before:
            await _decided(ctx, uow, who, dossier_id, qf)
        await uow.commit()
    return qf


async def _decided(ctx: Billing, uow: UnitOfWork, who: Identity, dossier_id: uuid.UUID, qf: QuotientFamilial) -> None:
    await uow.qfs.decide(qf, by=who.user_id, at=ctx.now())
    await uow.publish(
        QfChanged(
            qf_id=qf.id,
            dossier_id=dossier_id,
            state=qf.state.value,
            value=qf.value,
            valid_from=qf.valid_from,
            valid_to=qf.valid_to,
        )
    )


async def qf_history(ctx: Billing, dossier_id: uuid.UUID) -> list[QuotientFamilial]:
    async with ctx.uow() as uow:
        await require_family(uow, dossier_id)
        return list((await uow.qfs.history(dossier_id)).qfs)
