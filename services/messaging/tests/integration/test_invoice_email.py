"""The invoice e-mail on the real broker, database and SMTP sink: billing's PDF (asked over
request/reply, billing played here by an RPC server answering as billing's ``invoice_pdf``)
attached, only to families who opted in; a redelivery sends nothing more."""

from __future__ import annotations

import base64
import contextlib
import uuid

import pytest
from servicekit.rpc import RpcServer
from servicekit.testing import eventually

PDF = b"%PDF-1.7\n% the invoice\n%%EOF\n"


@pytest.fixture(scope="module")
async def billing_pdfs(harness):
    """invoice id → (dossier id, number): what the stand-in billing answers for."""
    known: dict[str, tuple[str, str]] = {}

    async def invoice_pdf(params):
        dossier_id, number = known[params["invoice_id"]]
        return {"invoice_id": params["invoice_id"], "number": number, "dossier_id": dossier_id,
                "filename": f"facture-{number}.pdf", "pdf_base64": base64.b64encode(PDF).decode()}  # fmt: skip

    channel = await harness.bus.connection.channel()
    await RpcServer(channel, "billing", {"invoice_pdf": invoice_pdf}).start()
    yield known
    with contextlib.suppress(Exception):
        await channel.queue_delete("rpc.billing")
        await channel.close()


async def opted(harness, parent, invoices_by_email: bool) -> None:
    await harness.publish(
        "accounts.dossier.updated",
        {"dossier_id": str(parent.dossier_id), "number": "404", "family_name": "LE DERF",
         "invoices_by_email": invoices_by_email,
         "address": {"line1": None, "line2": None, "postal_code": None, "city": None}, "adults": []},
    )  # fmt: skip

    async def copied():
        return await harness.count(
            "dossiers", "dossier_id = $1 AND invoices_by_email = $2", parent.dossier_id, invoices_by_email
        ) == 1  # fmt: skip

    await eventually(copied)


def issued(parent, billing_pdfs, number: str) -> dict:
    invoice_id = str(uuid.uuid4())
    billing_pdfs[invoice_id] = (str(parent.dossier_id), number)
    return {"invoice_id": invoice_id, "number": number, "dossier_id": str(parent.dossier_id), "month": "2026-11",
            "total_cents": 1622, "due_on": "2026-12-31", "lines": 4, "issued_at": "2026-12-01T05:00:00+00:00"}  # fmt: skip


async def test_the_invoice_goes_with_its_pdf_to_a_family_that_opted_in(harness, parent, billing_pdfs):
    await opted(harness, parent, True)
    envelope = await harness.publish("billing.invoice.issued", issued(parent, billing_pdfs, "2026-000042"))
    [mail] = await harness.wait_for_mail(parent.email)
    assert mail.message["Subject"] == "Votre facture n° 2026-000042 (novembre 2026)"
    assert "16,22\u00a0€" in mail.text and "/facturation/factures" in mail.text
    (part,) = list(mail.message.iter_attachments())
    assert part.get_filename() == "facture-2026-000042.pdf" and part.get_content() == PDF
    await harness.publish(None, envelope=envelope)  # redelivered

    async def handled_once():
        return await harness.count("inbox", "event_id = $1", envelope.id) == 1

    await eventually(handled_once)
    assert await harness.count("emails", "kind = 'invoice_issued' AND user_id = $1", parent.user_id) == 1


async def test_nothing_goes_to_a_family_that_did_not_opt_in(harness, parent, billing_pdfs):
    await opted(harness, parent, False)
    envelope = await harness.publish("billing.invoice.issued", issued(parent, billing_pdfs, "2026-000043"))

    async def handled():
        return await harness.count("inbox", "event_id = $1", envelope.id) == 1

    await eventually(handled)
    assert await harness.count("emails", "kind = 'invoice_issued' AND user_id = $1", parent.user_id) == 0
    assert harness.mail.to(parent.email) == []
