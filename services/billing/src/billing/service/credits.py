"""Staff's money decisions: a credit granted to a family, a credit paid back (refund).

Both are creations a double click must not repeat: with an ``Idempotency-Key`` the answer is
remembered in the transaction of the effect (servicekit.idempotency)."""

from __future__ import annotations

import uuid

from servicekit.idempotency import IdempotencyKey
from servicekit.identity import Identity

from .. import schemas
from ..domain.events import CreditGranted, CreditReason
from ..domain.ledger import EntryKind, LedgerEntry
from ..domain.money import Money
from . import settlement
from .deps import Billing
from .prices import require_family


async def grant_credit(
    ctx: Billing, who: Identity, dossier_id: uuid.UUID, amount: Money, label: str, key: IdempotencyKey | None = None
) -> schemas.CreditOut:
    event = CreditGranted(
        family_id=dossier_id, occurred_at=ctx.now(), amount=amount, reason=CreditReason.STAFF, label=label
    )
    async with ctx.uow() as uow:
        await require_family(uow, dossier_id)
        credit_id = await settlement.grant(uow, event, by=who.user_id)
        answer = schemas.CreditOut(
            id=credit_id, dossier_id=dossier_id, amount_cents=amount.cents, amount=amount.format_fr(), label=label
        )
        await uow.remember(key, answer)
        await uow.commit()
    return answer


async def refund(
    ctx: Billing, who: Identity, dossier_id: uuid.UUID, amount: Money, label: str, key: IdempotencyKey | None = None
) -> schemas.RefundOut:
    """Pay back part of the family's credit (by transfer, outside the portal); refused beyond it."""
    entry = LedgerEntry(kind=EntryKind.REFUND, amount=amount, occurred_at=ctx.now(), label=label, id=uuid.uuid4())
    async with ctx.uow() as uow:
        await require_family(uow, dossier_id)
        await uow.families.lock_account(dossier_id)
        (await uow.ledger.of(dossier_id)).with_entries(entry)  # raises credit_insufficient
        await uow.ledger.add(dossier_id, entry, by=who.user_id)
        answer = schemas.RefundOut(
            id=entry.id, dossier_id=dossier_id, amount_cents=amount.cents, amount=amount.format_fr(), label=label
        )
        await uow.remember(key, answer)
        await uow.commit()
    return answer
