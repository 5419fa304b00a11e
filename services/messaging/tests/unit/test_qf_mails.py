"""What the QF campaign e-mails say: the end date in French, the staff's reason escaped."""

from __future__ import annotations

from datetime import date

from messaging.mail.compose import MailComposer

MAIL = MailComposer(public_url="https://portail.ville.fr/", mail_from="Portail Famille <ne-pas-repondre@ville.fr>")
LINK = "https://portail.ville.fr/facturation/quotient-familial"

CONTEXTS = {
    "qf_campaign_reminder": dict(year=2027, ends_on=date(2027, 2, 28), link=LINK),
    "qf_proof_rejected": dict(year=2027, reason="Document illisible <b>flou</b>", link=LINK),
    "qf_validated": dict(value=740, valid_from=date(2027, 2, 1), valid_to=date(2028, 1, 31), link=LINK),
    "document_ready": dict(title="Attestation fiscale 2026", link="https://portail.ville.fr/mon-dossier/documents"),
}


def compose(kind: str):
    return MAIL.compose(kind, to_address="a@b.fr", to_name="Arnaud LE DERF", dedupe_key="k", context=CONTEXTS[kind])


def test_the_reminder_says_until_when_and_what_happens_after():
    email = compose("qf_campaign_reminder")
    assert "avant le dimanche 28 février 2027 inclus" in email.body_text
    assert "le tarif le plus fort" in email.body_text and "le tarif le plus fort" in email.body_html
    assert LINK in email.body_html


def test_the_rejection_prints_the_reason_escaped_in_html():
    email = compose("qf_proof_rejected")
    assert "Document illisible <b>flou</b>" in email.body_text
    assert "Document illisible &lt;b&gt;flou&lt;/b&gt;" in email.body_html


def test_the_document_notice_names_the_document_and_links_the_documents_page():
    email = compose("document_ready")
    assert email.subject == "Document disponible : Attestation fiscale 2026"
    assert "https://portail.ville.fr/mon-dossier/documents" in email.body_text


def test_the_validated_qf_notice_gives_the_value_and_the_validity():
    email = compose("qf_validated")
    assert "valable du lundi 1 février 2027 au lundi 31 janvier 2028" in email.body_text
