"""billing's QF campaign e-mails: the reminder to renew, and a refused proof's reason."""

from __future__ import annotations

from ..store import UnitOfWork
from .deps import Event, Messaging
from .emails import queue_for_dossier

QF_PAGE = "/facturation/quotient-familial"


async def campaign_reminder_due(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """billing.qf_campaign.reminder_due: « pensez à transmettre votre justificatif »."""
    await queue_for_dossier(
        ctx,
        uow,
        "qf_campaign_reminder",
        dossier_id=data.dossier_id,
        event_id=event.id,
        context={"year": data.year, "ends_on": data.ends_on, "link": ctx.mail.link(QF_PAGE)},
    )


async def proof_rejected(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """billing.qf_proof.rejected: the reason staff gave, and where to send another proof."""
    await queue_for_dossier(
        ctx,
        uow,
        "qf_proof_rejected",
        dossier_id=data.dossier_id,
        event_id=event.id,
        context={"year": data.year, "reason": data.reason, "link": ctx.mail.link(QF_PAGE)},
    )
