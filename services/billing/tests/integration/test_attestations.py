"""Tax attestations and the QF card on the real service: amounts, PDF text, ownership."""

from __future__ import annotations

import dataclasses
import io
import uuid
from datetime import UTC, date, datetime

import pytest
from billing.domain.errors import NotFound
from billing.service import attestations, invoicing_run, qf_documents
from billing.web import billing_of_app
from pypdf import PdfReader
from servicekit.identity import Identity
from servicekit.testing import eventually

D1, D2 = date(2026, 12, 14), date(2026, 12, 15)
PERI = [{"qf_max": 800, "unit_price_cents": 95}, {"qf_max": None, "unit_price_cents": 133}]


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


async def add_child(harness, fam, first_name: str, birth: date) -> uuid.UUID:
    child_id = uuid.uuid4()
    await harness.publish(
        "accounts.child.added",
        {"dossier_id": str(fam.dossier_id), "child_id": str(child_id), "first_name": first_name,
         "last_name": "Le Derf", "birth_date": birth.isoformat(), "school": None, "level": None},
        source="accounts",
    )  # fmt: skip

    async def known():
        return await harness.count("children", "child_id = $1 AND birth_date IS NOT NULL", child_id) == 1

    await eventually(known)
    return child_id


def line(child_id, activity_id, day: date) -> dict:
    return {"child_id": str(child_id), "activity_id": str(activity_id), "date": day.isoformat(), "change": "add",
            "label": f"Enfant - 2026/2027 - {day:%d/%m}"}  # fmt: skip


def ctx_at(harness, now: datetime):
    return dataclasses.replace(billing_of_app(harness.client.server.app), clock=lambda: now)


@pytest.fixture(scope="module")
async def paid_family(harness):
    """A family that paid in December 2026: Léa (4) and Zoé (5) at the périscolaire, Léa's
    canteen day (a meal), Arthur (6 on 1 January 2026) at the périscolaire."""
    fam = await harness.family(qf=500)
    peri = await harness.new_activity(PERI, code="peri_matin")
    lea = await add_child(harness, fam, "Léa", date(2021, 3, 1))
    arthur = await add_child(harness, fam, "Arthur", date(2020, 1, 1))
    zoe = await add_child(harness, fam, "Zoé", date(2020, 1, 2))
    lines = [line(lea, peri, D1), line(lea, peri, D2), line(lea, harness.activity_id, D1), line(arthur, peri, D1),
             line(zoe, peri, D1)]  # fmt: skip
    _, answer = await harness.checkout(fam, [D1], lines=lines)
    await harness.pay(answer)
    await harness.wait_events("billing.payment.succeeded", payment_id=answer["payment_id"])
    return fam


async def test_the_attestation_counts_children_under_six_without_meals_and_reaches_the_family(harness, paid_family):
    fam = paid_family
    who = Identity(user_id=uuid.uuid4(), roles=frozenset(), dossier_id=fam.dossier_id)
    # In January 2027 the parent asks for 2026 (the current year is refused: it is not over).
    january = ctx_at(harness, datetime(2027, 1, 10, 9, tzinfo=UTC))
    asked = await attestations.request_attestation(january, who, fam.dossier_id, 2026)
    assert asked["state"] == "pending"

    _, pending = await harness.get("/api/billing/admin/attestation-requests?state=pending",
                                   headers=harness.staff_headers(), expect=200)  # fmt: skip
    assert str(asked["id"]) in [r["id"] for r in pending["requests"]]
    _, approved = await harness.request("POST", f"/api/billing/admin/attestation-requests/{asked['id']}/approve",
                                        headers=harness.staff_headers(), expect=200)  # fmt: skip
    assert approved["state"] == "approved" and approved["total_cents"] == 95 + 95 + 95
    await harness.request("POST", f"/api/billing/admin/attestation-requests/{asked['id']}/approve",
                          headers=harness.staff_headers(), expect=409)  # fmt: skip
    [ready] = await harness.wait_events("billing.document.ready", dossier_id=fam.dossier_id)
    assert ready == {"dossier_id": str(fam.dossier_id), "document_id": str(asked["id"]), "kind": "tax_attestation",
                     "title": "Attestation fiscale 2026", "year": 2026}  # fmt: skip

    ctx = billing_of_app(harness.client.server.app)
    doc, content = await qf_documents.pdf_for(ctx, fam.dossier_id, asked["id"])
    text = pdf_text(content)
    assert "Mairie de Puiseux-en-France" in text and "Attestation fiscale — frais de garde 2026" in text
    assert "Léa Le Derf 01/03/2021 1,90 €" in text
    assert "Zoé Le Derf 02/01/2020 0,95 €" in text
    assert "Total 2,85 €" in text
    assert "Arthur" not in text and "frais de repas exclus" in text
    _, again = await qf_documents.pdf_for(ctx, fam.dossier_id, asked["id"])
    assert again == content  # made once, kept

    listed = await qf_documents.documents_for(ctx, fam.dossier_id)
    assert {(d.kind, d.title) for d in listed} >= {("tax_attestation", "Attestation fiscale 2026")}
    assert any(d.kind == "qf_card" for d in listed)


async def test_a_year_not_over_or_asked_twice_is_refused_in_french(harness, paid_family):
    fam = paid_family
    _, body = await harness.request("POST", "/api/billing/attestation-requests", json={"year": 2026},
                                    headers=fam.headers, expect=422)  # fmt: skip
    assert body["errors"][0]["field"] == "year" and "année passée" in body["errors"][0]["message"]
    await harness.request("POST", "/api/billing/attestation-requests", json={"year": 2025}, headers=fam.headers,
                          expect=201)  # fmt: skip
    _, body = await harness.request("POST", "/api/billing/attestation-requests", json={"year": 2025},
                                    headers=fam.headers, expect=409)  # fmt: skip
    assert body["title"] == "L'attestation 2025 a déjà été demandée."
    _, mine = await harness.get("/api/billing/attestation-requests", headers=fam.headers, expect=200)
    assert 2025 in [r["year"] for r in mine["requests"]]


async def test_the_qf_card_states_the_qf_and_its_validity(harness, paid_family):
    response = await harness.client.get("/api/billing/qf/card.pdf", headers=paid_family.headers)
    assert response.status == 200 and response.headers["Content-Type"] == "application/pdf"
    text = pdf_text(await response.read())
    assert "Carte quotient familial" in text and "500 €" in text
    assert "Valable du 1 septembre 2026 au 31 août 2027" in text and "Puiseux-en-France" in text
    without_qf = await harness.family()
    _, body = await harness.get("/api/billing/qf/card.pdf", headers=without_qf.headers, expect=404)
    assert body["title"] == "Vous n'avez pas de quotient familial valide aujourd'hui."


async def test_every_document_of_another_family_is_not_found(harness, paid_family):
    ctx = billing_of_app(harness.client.server.app)
    other = await harness.family(qf=900)
    theirs = await qf_documents.documents_for(ctx, paid_family.dossier_id)
    assert {d.kind for d in theirs} == {"qf_card", "tax_attestation"}
    for document in theirs:
        with pytest.raises(NotFound):
            await qf_documents.pdf_for(ctx, other.dossier_id, document.id)
    with pytest.raises(NotFound):
        await qf_documents.pdf_for(ctx, other.dossier_id, uuid.uuid4())
    # Over HTTP too: a staff approval of an unknown request, and a parent's card, are theirs only.
    await harness.request("POST", f"/api/billing/admin/attestation-requests/{uuid.uuid4()}/approve",
                          headers=harness.staff_headers(), expect=404)  # fmt: skip


async def test_mes_documents_lists_and_serves_the_qf_card_and_the_attestation(harness, paid_family):
    """The QF kinds sit beside the invoices in GET /api/billing/documents, for this family only."""
    who = Identity(user_id=uuid.uuid4(), roles=frozenset(), dossier_id=paid_family.dossier_id)
    january = ctx_at(harness, datetime(2027, 1, 10, 9, tzinfo=UTC))
    asked = await attestations.request_attestation(january, who, paid_family.dossier_id, 2024)
    await harness.request("POST", f"/api/billing/admin/attestation-requests/{asked['id']}/approve",
                          headers=harness.staff_headers(), expect=200)  # fmt: skip
    _, listed = await harness.get("/api/billing/documents", headers=paid_family.headers, expect=200)
    by_kind = {d["kind"]: d for d in listed["documents"]}
    assert {"qf_card", "tax_attestation"} <= set(by_kind)
    response = await harness.client.get(by_kind["tax_attestation"]["pdf_url"], headers=paid_family.headers)
    assert response.status == 200 and response.headers["Content-Type"] == "application/pdf"
    assert "Attestation fiscale" in pdf_text(await response.read())
    other = await harness.family(qf=900)
    for document in by_kind.values():
        await harness.get(document["pdf_url"], headers=other.headers, expect=404)


async def test_an_invoice_paid_in_the_year_counts_its_periscolaire_lines_not_its_canteen_lines(harness):
    """Présence sans réservation in November, invoiced by the monthly run, paid through « Payer
    mes factures »: the périscolaire days appear on the attestation, the canteen day does not."""
    fam = await harness.family(qf=500)
    soir = await harness.new_activity(PERI, code="peri_soir")
    noe = await add_child(harness, fam, "Noé", date(2022, 6, 1))
    for activity, day in (
        (soir, date(2026, 11, 3)),
        (soir, date(2026, 11, 5)),
        (harness.activity_id, date(2026, 11, 5)),
    ):
        await harness.publish(
            "planning.attendance.recorded",
            {"dossier_id": str(fam.dossier_id), "child_id": str(noe), "activity_id": str(activity),
             "date": day.isoformat(), "status": "present", "booked": False},
        )  # fmt: skip

    async def recorded():
        return await harness.count("attendance_records", "dossier_id = $1", fam.dossier_id) == 3

    await eventually(recorded)
    ctx = billing_of_app(harness.client.server.app)
    run_id = await invoicing_run.start(ctx, date(2026, 11, 1), by=None)
    await invoicing_run.run(ctx, run_id, date(2026, 11, 1))
    _, listed = await harness.get("/api/billing/invoices", headers=fam.headers, expect=200)
    (invoice,) = listed["invoices"]
    _, detail = await harness.get(f"/api/billing/invoices/{invoice['id']}", headers=fam.headers, expect=200)
    canteen = await harness.db.fetchval(  # the test activities all bear the canteen's name: told by id
        "SELECT amount_cents FROM invoice_lines WHERE invoice_id = $1 AND activity_id = $2",
        uuid.UUID(invoice["id"]), harness.activity_id,
    )  # fmt: skip
    assert len(detail["lines"]) == 3 and canteen > 0

    async with ctx.uow() as uow:  # not paid yet: nothing of it to attest
        assert await uow.attestations.paid_invoices(fam.dossier_id, *attestations.year_bounds(2026)) == []

    _, answer = await harness.request("POST", f"/api/billing/invoices/{invoice['id']}/payments", headers=fam.headers,
                                      expect=201)  # fmt: skip
    await harness.pay(answer)
    await harness.wait_events("billing.payment.succeeded", payment_id=answer["payment_id"])
    who = Identity(user_id=uuid.uuid4(), roles=frozenset(), dossier_id=fam.dossier_id)
    january = ctx_at(harness, datetime(2027, 1, 10, 9, tzinfo=UTC))
    asked = await attestations.request_attestation(january, who, fam.dossier_id, 2026)
    _, approved = await harness.request("POST", f"/api/billing/admin/attestation-requests/{asked['id']}/approve",
                                        headers=harness.staff_headers(), expect=200)  # fmt: skip
    assert approved["total_cents"] == invoice["total_cents"] - canteen == 95 + 95
    _, content = await qf_documents.pdf_for(ctx, fam.dossier_id, asked["id"])
    assert "Noé Le Derf 01/06/2022 1,90 €" in pdf_text(content)
