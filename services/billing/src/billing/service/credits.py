"""Staff's money decisions: a credit granted to a family, a credit paid back (refund)."""

from __future__ import annotations

import uuid

from servicekit.identity import Identity

from ..domain.events import CreditGranted, CreditReason
from ..domain.ledger import EntryKind, LedgerEntry
from ..domain.money import Money
from . import settlement
from .deps import Billing
from .prices import require_family


async def grant_credit(ctx: Billing, who: Identity, dossier_id: uuid.UUID, amount: Money, label: str) -> uuid.UUID:
    event = CreditGranted(
        family_id=dossier_id, occurred_at=ctx.now(), amount=amount, reason=CreditReason.STAFF, label=label
    )
    async with ctx.uow() as uow:
        await require_family(uow, dossier_id)
        credit_id = await settlement.grant(uow, event, by=who.user_id)
        await uow.commit()
    return credit_id


async def refund(ctx: Billing, who: Identity, dossier_id: uuid.UUID, amount: Money, label: str) -> LedgerEntry:
    """Pay back part of the family's credit (by transfer, outside the portal); refused beyond it."""
    entry = LedgerEntry(kind=EntryKind.REFUND, amount=amount, occurred_at=ctx.now(), label=label, id=uuid.uuid4())
    async with ctx.uow() as uow:
        await require_family(uow, dossier_id)
        await uow.families.lock_account(dossier_id)
        (await uow.ledger.of(dossier_id)).with_entries(entry)  # raises credit_insufficient
        await uow.ledger.add(dossier_id, entry, by=who.user_id)
        await uow.commit()
    return entry
