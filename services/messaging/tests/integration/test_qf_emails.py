"""billing's QF campaign events → e-mails to the family (real broker, DB and SMTP)."""

from __future__ import annotations

import uuid

from servicekit.testing import eventually


async def test_the_campaign_reminder_names_the_end_date_and_the_highest_tariff(harness, parent):
    envelope = await harness.publish(
        "billing.qf_campaign.reminder_due",
        {"dossier_id": str(parent.dossier_id), "year": 2027, "ends_on": "2027-02-28"},
    )
    [mail] = await harness.wait_for_mail(parent.email)
    assert (
        mail.message["Subject"]
        == "Quotient familial 2027 : transmettez votre justificatif avant le dimanche 28 février 2027"
    )
    assert "le tarif le plus fort" in mail.text
    assert mail.link("/facturation/quotient-familial")

    async def one():
        return await harness.count("emails", "kind = 'qf_campaign_reminder' AND dedupe_key LIKE $1",
                                   f"qf_campaign_reminder:{envelope.id}:%") == 1  # fmt: skip

    await eventually(one)


async def test_a_rejected_proof_gives_the_reason(harness, parent):
    await harness.publish(
        "billing.qf_proof.rejected",
        {"proof_id": str(uuid.uuid4()), "dossier_id": str(parent.dossier_id), "year": 2027,
         "reason": "Document illisible"},
    )  # fmt: skip
    [mail] = await harness.wait_for_mail(parent.email)
    assert mail.message["Subject"] == "Votre justificatif de quotient familial a été refusé"
    assert "Document illisible" in mail.text and "Document illisible" in mail.html


async def test_an_approved_attestation_is_announced_with_a_link_not_the_file(harness, parent):
    await harness.publish(
        "billing.document.ready",
        {"dossier_id": str(parent.dossier_id), "document_id": str(uuid.uuid4()), "kind": "tax_attestation",
         "title": "Attestation fiscale 2026", "year": 2026},
    )  # fmt: skip
    [mail] = await harness.wait_for_mail(parent.email)
    assert mail.message["Subject"] == "Document disponible : Attestation fiscale 2026"
    assert mail.link("/mon-dossier/documents")
    assert not any(part.get_filename() for part in mail.message.walk())


async def test_a_validated_qf_is_announced_and_a_rejected_one_is_not(harness, parent):
    base = {"dossier_id": str(parent.dossier_id), "value": 740, "valid_from": "2027-02-01",
            "valid_to": "2028-01-31"}  # fmt: skip
    rejected = await harness.publish("billing.qf.changed", {**base, "qf_id": str(uuid.uuid4()), "state": "rejected"})
    await harness.publish("billing.qf.changed", {**base, "qf_id": str(uuid.uuid4()), "state": "validated"})
    [mail] = await harness.wait_for_mail(parent.email)
    assert mail.message["Subject"] == "Votre quotient familial a été mis à jour"
    assert "740" in mail.text and mail.link("/facturation/quotient-familial")
    assert await harness.count("emails", "dedupe_key LIKE $1", f"qf_validated:{rejected.id}%") == 0
