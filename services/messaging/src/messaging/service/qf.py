"""billing's QF campaign e-mails: the reminder to renew, a refused proof's reason, and the
« document disponible » notice (a tax attestation approved)."""

from __future__ import annotations

from ..store import UnitOfWork
from .deps import Event, Messaging
from .emails import queue_for_dossier

QF_PAGE = "/facturation/quotient-familial"
DOCUMENTS_PAGE = "/mon-dossier/documents"


async def _notice(ctx: Messaging, uow: UnitOfWork, event: Event, kind: str, dossier_id, page: str, **context):
    """One e-mail of ``kind`` to every contact of the dossier, linking ``page``."""
    context["link"] = ctx.mail.link(page)
    await queue_for_dossier(ctx, uow, kind, dossier_id=dossier_id, event_id=event.id, context=context)


async def campaign_reminder_due(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """billing.qf_campaign.reminder_due: « pensez à transmettre votre justificatif »."""
    await _notice(ctx, uow, event, "qf_campaign_reminder", data.dossier_id, QF_PAGE, year=data.year,
                  ends_on=data.ends_on)  # fmt: skip


async def proof_rejected(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """billing.qf_proof.rejected: the reason staff gave, and where to send another proof."""
    await _notice(ctx, uow, event, "qf_proof_rejected", data.dossier_id, QF_PAGE, year=data.year,
                  reason=data.reason)  # fmt: skip


async def document_ready(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """billing.document.ready: the document's title and where to download it (never the file)."""
    await _notice(ctx, uow, event, "document_ready", data.dossier_id, DOCUMENTS_PAGE, title=data.title)


async def qf_changed(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """billing.qf.changed: « votre quotient familial a été validé » with its value and validity.
    A rejection is not announced here: the campaign's refused proof has its own notice, with
    staff's reason (billing.qf_proof.rejected)."""
    if data.state != "validated":
        return
    await _notice(ctx, uow, event, "qf_validated", data.dossier_id, QF_PAGE, value=data.value,
                  valid_from=data.valid_from, valid_to=data.valid_to)  # fmt: skip
