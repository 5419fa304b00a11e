"""billing's invoice e-mail: the invoice, its PDF attached, to the families who asked for
their invoices by e-mail (« Mon dossier », ``invoices_by_email``, from accounts.dossier.updated);
nothing to the others.

The event carries no PDF (events stay small and hold no documents): messaging asks billing for
it over request/reply (``billing.invoice_pdf`` {invoice_id} → base64), inside the consumer's
transaction. Billing publishes ``billing.invoice.issued`` only once the PDF is stored, so it is
there to give; if billing cannot answer, the handler fails and the event is retried.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date

from babel.dates import format_date

from ..mail.compose import Attachment
from ..store import UnitOfWork
from .deps import Event, Messaging
from .emails import queue_for_dossier

INVOICES_PAGE = "/facturation/factures"
MAX_PDF_BYTES = 10 * 1024 * 1024


class InvoicePdfUnavailable(Exception):
    """billing's answer was not the invoice's PDF: the event is retried, then dead-lettered."""


async def invoice_pdf(ctx: Messaging, data) -> Attachment:
    answer = await ctx.rpc.call("billing", "invoice_pdf", {"invoice_id": str(data.invoice_id)})
    try:
        content = base64.b64decode(str(answer["pdf_base64"]), validate=True)
    except (KeyError, TypeError, binascii.Error):
        raise InvoicePdfUnavailable("malformed answer") from None
    if str(answer.get("dossier_id")) != str(data.dossier_id) or not content.startswith(b"%PDF-"):
        raise InvoicePdfUnavailable("not this family's invoice PDF")
    if len(content) > MAX_PDF_BYTES:
        raise InvoicePdfUnavailable("too large")
    return Attachment(f"facture-{data.number}.pdf", "application/pdf", content)


async def invoice_issued(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    if not await uow.dossiers.invoices_by_email(data.dossier_id):
        return  # the family did not ask for its invoices by e-mail
    month = date.fromisoformat(data.month + "-01")
    await queue_for_dossier(
        ctx,
        uow,
        "invoice_issued",
        dossier_id=data.dossier_id,
        event_id=event.id,
        context={
            "number": data.number,
            "period": format_date(month, "MMMM y", locale="fr_FR"),
            "total_cents": data.total_cents,
            "due_on": data.due_on,
            "link": ctx.mail.link(INVOICES_PAGE),
        },
        attachment=await invoice_pdf(ctx, data),
    )
