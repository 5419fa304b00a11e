"""The invoice e-mail: its wording, and the PDF it carries as an attachment."""

from __future__ import annotations

import uuid

from messaging.mail.compose import Attachment
from messaging.mail.sender import build_message

from .test_booking_and_payment_mails import render


def test_the_invoice_mail_names_the_number_the_amount_and_the_due_date():
    email = render("invoice_issued")
    assert email.subject == "Votre facture n° 2026-000042 (novembre 2026)"
    assert "16,22\u00a0€" in email.body_text and "jeudi 31 décembre 2026" in email.body_text
    assert "https://portail.ville.fr/facturation/factures" in email.body_text
    assert "Payer mes factures" in email.body_html


def test_the_pdf_goes_as_an_attachment():
    email = render("invoice_issued")
    pdf = Attachment("facture-2026-000042.pdf", "application/pdf", b"%PDF-1.7 invoice")
    row = {
        "to_name": email.to_name, "to_address": email.to_address, "subject": email.subject,
        "message_id": f"<{uuid.uuid4()}@ville.test>", "body_text": email.body_text, "body_html": email.body_html,
        "attachment_name": pdf.filename, "attachment_type": pdf.content_type, "attachment": pdf.content,
    }  # fmt: skip
    message = build_message(row, "Portail Famille <ne-pas-repondre@ville.test>")
    (part,) = list(message.iter_attachments())
    assert part.get_filename() == "facture-2026-000042.pdf" and part.get_content_type() == "application/pdf"
    assert part.get_content() == b"%PDF-1.7 invoice"
    without = build_message({**row, "attachment": None}, "Portail Famille <ne-pas-repondre@ville.test>")
    assert list(without.iter_attachments()) == []
