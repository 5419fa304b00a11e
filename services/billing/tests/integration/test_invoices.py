"""Monthly invoices on the real database and broker: the run (staff and scheduled), numbering
under concurrency, credit notes, the stored PDF's content, « Payer mes factures » through the
simulated Treasury, « Mes documents » and their ownership."""

from __future__ import annotations

import asyncio
import base64
import io
import re
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from billing.service import invoicing_run
from billing.web import billing_of_app
from pypdf import PdfReader
from servicekit.rpc import RpcError
from servicekit.testing import eventually

RUNS = "/api/billing/admin/invoicing-runs"


async def family_with_presences(harness, days: list[date], *, booked: bool = False, qf: int | None = None):
    """A family with an address and a child « Arthur », present at the canteen on ``days``."""
    fam = await harness.family(qf=qf)
    await harness.publish(
        "accounts.dossier.updated",
        {"dossier_id": str(fam.dossier_id), "number": "404", "family_name": "LE DERF", "invoices_by_email": True,
         "address": {"line1": "12 rue des Tilleuls", "line2": None, "postal_code": "95380",
                     "city": "Puiseux-en-France"}, "adults": []},
        source="accounts",
    )  # fmt: skip
    await harness.publish(
        "accounts.child.added",
        {"dossier_id": str(fam.dossier_id), "child_id": str(fam.child_id), "first_name": "Arthur",
         "last_name": "Le Derf", "birth_date": "2018-05-14", "school": "École Jules Ferry", "level": "CE2"},
        source="accounts",
    )  # fmt: skip
    for day in days:
        await harness.publish(
            "planning.attendance.recorded",
            {"dossier_id": str(fam.dossier_id), "child_id": str(fam.child_id), "activity_id": str(harness.activity_id),
             "date": day.isoformat(), "status": "present", "booked": booked},
        )  # fmt: skip

    async def copied():
        return (
            await harness.count("attendance_records", "dossier_id = $1", fam.dossier_id) == len(days)
            and await harness.count("children", "child_id = $1", fam.child_id) == 1
            and await harness.count("families", "dossier_id = $1 AND address IS NOT NULL", fam.dossier_id) == 1
        )

    await eventually(copied)
    return fam


async def run_month(harness, month: str) -> dict:
    _, started = await harness.request("POST", RUNS, json={"month": month}, headers=harness.staff_headers(),
                                       expect=202)  # fmt: skip
    assert started["status"] == "running"
    return await wait_run(harness, started["id"])


async def wait_run(harness, run_id: str) -> dict:
    found = {}

    async def finished():
        nonlocal found
        _, found = await harness.get(f"{RUNS}/{run_id}", headers=harness.staff_headers(), expect=200)
        return found["status"] != "running"

    await eventually(finished, timeout=60)
    return found


async def invoices_of(harness, fam) -> list[dict]:
    _, body = await harness.get("/api/billing/invoices", headers=fam.headers, expect=200)
    return body["invoices"]


def pdf_text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(re.sub(r"[\u00a0\u202f]", " ", text).split())  # one space between words, as read


async def test_a_run_invoices_unbooked_presence_and_charges_once_with_a_stored_french_pdf(harness):
    fam = await family_with_presences(harness, [date(2026, 11, 3), date(2026, 11, 5), date(2026, 11, 6)])
    booked = await family_with_presences(harness, [date(2026, 11, 3)], booked=True)
    staff = harness.staff_headers()
    _, charge = await harness.request(
        "POST", f"/api/billing/admin/dossiers/{fam.dossier_id}/charges",
        json={"date": "2026-11-20", "label": "Retard à la sortie du périscolaire", "amount_cents": 500},
        headers=staff, expect=201,
    )  # fmt: skip
    assert charge["amount_cents"] == 500
    run = await run_month(harness, "2026-11")
    assert run["status"] == "done" and run["invoices"] >= 1 and run["families_done"] == run["families_total"]

    (summary,) = await invoices_of(harness, fam)
    assert await invoices_of(harness, booked) == []  # booked days were paid in advance
    assert summary["total_cents"] == 3 * 374 + 500  # no QF: the highest tariff
    assert summary["status"] == "unpaid" and summary["outstanding_cents"] == 1622
    assert re.fullmatch(r"2026-\d{6}", summary["number"]) and summary["period"] == "novembre 2026"
    _, detail = await harness.get(f"/api/billing/invoices/{summary['id']}", headers=fam.headers, expect=200)
    assert [(x["date"], x["child"], x["amount_cents"]) for x in detail["lines"]] == [
        ("2026-11-03", "Arthur", 374), ("2026-11-05", "Arthur", 374), ("2026-11-06", "Arthur", 374),
        ("2026-11-20", "", 500),
    ]  # fmt: skip
    assert (await harness.account(fam))["unpaid_cents"] == 1622

    response = await harness.client.get(summary["pdf_url"], headers=fam.headers)
    assert response.status == 200 and response.content_type == "application/pdf"
    pdf = await response.read()
    text = pdf_text(pdf)
    for expected in (
        summary["number"],
        "Mairie de Puiseux-en-France",
        "3,74 €",
        "5,00 €",
        "16,22 €",
        "LE DERF",
        "Dossier n° 404",
        "12 rue des Tilleuls",
        "Retard à la sortie",
        "Payer mes factures",
    ):
        assert expected in text, expected  # fmt: skip
    again = await harness.client.get(summary["pdf_url"], headers=fam.headers)
    assert await again.read() == pdf  # stored once: the same bytes

    (issued,) = await harness.wait_events("billing.invoice.issued", invoice_id=summary["id"])
    assert issued["number"] == summary["number"] and issued["total_cents"] == 1622 and issued["lines"] == 4
    assert issued["month"] == "2026-11"

    # A second run of the same month issues nothing again.
    rerun = await run_month(harness, "2026-11")
    assert rerun["status"] == "done" and rerun["invoices"] == 0
    assert len(await invoices_of(harness, fam)) == 1


async def test_two_runs_at_once_issue_each_invoice_once_with_contiguous_numbers(harness):
    families = [await family_with_presences(harness, [date(2026, 10, d)]) for d in (5, 6, 7, 8, 9, 12)]
    staff = harness.staff_headers()
    started = await asyncio.gather(
        *(harness.request("POST", RUNS, json={"month": "2026-10"}, headers=staff, expect=202) for _ in range(2))
    )
    runs = [await wait_run(harness, body["id"]) for _, body in started]
    assert all(r["status"] == "done" for r in runs)
    assert sum(r["invoices"] for r in runs) == len(families)
    for fam in families:
        assert len(await invoices_of(harness, fam)) == 1
    numbers = sorted(
        int(r["number"].split("-")[1])
        for r in await harness.db.fetch("SELECT number FROM invoices WHERE kind = 'invoice' AND number LIKE '2026-%'")
    )
    assert numbers == list(range(1, len(numbers) + 1))  # no gap, no duplicate


def contiguous(numbers: list[str]) -> bool:
    seqs = sorted(int(n.split("-")[1]) for n in numbers)
    return seqs == list(range(1, len(seqs) + 1))


async def all_numbers(harness) -> list[str]:
    rows = await harness.db.fetch("SELECT number FROM invoices WHERE kind = 'invoice' AND number LIKE '2026-%'")
    return [r["number"] for r in rows]


async def test_runs_in_small_batches_at_once_and_a_run_stopped_half_way_resume_without_gap(harness, monkeypatch):
    from billing.store.invoicing_batch import InvoicingBatch

    families = [await family_with_presences(harness, [date(2026, 10, d)]) for d in (13, 14, 15, 16, 19, 20, 21)]
    ctx = replace(billing_of_app(harness.client.app), invoicing_batch_size=2, invoicing_in_flight=2)
    month = date(2026, 10, 1)
    # A run stopped by a failure in its second batch: the first batch stays, whole.
    write, calls = InvoicingBatch.write, []

    async def failing_write(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return await write(self, *args, **kwargs)

    monkeypatch.setattr(InvoicingBatch, "write", failing_write)
    stopped = await invoicing_run.start(ctx, month, by=None)
    await invoicing_run.run(ctx, stopped, month)
    monkeypatch.setattr(InvoicingBatch, "write", write)
    found = await invoicing_run.status(ctx, stopped)
    assert found["status"] == "failed" and found["invoices"] == 2 and found["families_done"] == 2
    assert found["families_total"] == len(families)
    assert sorted([len(await invoices_of(harness, f)) for f in families]) == [0] * 5 + [1] * 2
    assert contiguous(await all_numbers(harness))  # the failed batch gave its block back

    # Two runs at once resume it, batch by batch: each family is invoiced once, numbers follow.
    runs = [await invoicing_run.start(ctx, month, by=None) for _ in range(2)]
    await asyncio.gather(*(invoicing_run.run(ctx, r, month) for r in runs))
    done = [await invoicing_run.status(ctx, r) for r in runs]
    assert all(r["status"] == "done" for r in done) and sum(r["invoices"] for r in done) == 5
    for fam in families:
        (invoice,) = await invoices_of(harness, fam)
        assert invoice["total_cents"] == 374 and invoice["pdf_url"]
    assert contiguous(await all_numbers(harness))
    entries = await harness.db.fetch(
        "SELECT e.invoice_id, e.label, e.reference, e.amount_cents, i.number, i.total_cents, i.dossier_id AS owner, "
        "e.dossier_id FROM ledger_entries e JOIN invoices i ON i.id = e.invoice_id "
        "WHERE e.kind = 'invoice' AND e.dossier_id = ANY($1::uuid[])",
        [f.dossier_id for f in families],
    )
    ids = [r["invoice_id"] for r in entries]
    assert len(ids) == len(set(ids)) == len(families)  # one ledger entry per invoice
    for r in entries:  # … written with its invoice: its number, its amount, its family
        assert r["label"] == f"Facture n° {r['number']}" and r["reference"] == r["number"]
        assert r["amount_cents"] == r["total_cents"] == 374 and r["dossier_id"] == r["owner"]


async def test_credit_notes_have_their_own_sequence_and_become_a_credit(harness):
    fam = await family_with_presences(harness, [date(2026, 9, 14), date(2026, 9, 15)])
    await run_month(harness, "2026-09")
    (invoice,) = await invoices_of(harness, fam)
    staff = harness.staff_headers()
    path = f"/api/billing/admin/invoices/{invoice['id']}/credit-notes"
    _, note = await harness.request("POST", path, json={"amount_cents": 374, "reason": "Absence justifiée"},
                                    headers=staff, expect=201)  # fmt: skip
    assert re.fullmatch(r"AV-2026-\d{6}", note["number"])
    response, problem = await harness.request("POST", path, json={"amount_cents": 375, "reason": "Trop"},
                                              headers=staff)  # fmt: skip
    assert response.status == 409 and problem["type"].endswith("credit_note_exceeds_invoice")
    for bad in ({"amount_cents": 0, "reason": "x"}, {"amount_cents": 3.5, "reason": "x"}, {"amount_cents": 100}):
        response, problem = await harness.request("POST", path, json=bad, headers=staff)
        assert response.status == 422 and problem["title"], bad
    response, _ = await harness.request("POST", f"/api/billing/admin/invoices/{uuid.uuid4()}/credit-notes",
                                        json={"amount_cents": 1, "reason": "x"}, headers=staff)  # fmt: skip
    assert response.status == 404
    account = await harness.account(fam)
    assert account["credit_cents"] == 374 and account["unpaid_cents"] == 748  # the invoice never changes
    _, docs = await harness.get("/api/billing/documents", headers=fam.headers, expect=200)
    kinds = {d["kind"]: d for d in docs["documents"]}
    assert set(kinds) == {"invoice", "credit_note"}
    response = await harness.client.get(kinds["credit_note"]["pdf_url"], headers=fam.headers)
    text = pdf_text(await response.read())
    assert note["number"] in text and invoice["number"] in text and "Absence justifiée" in text

    # Paying uses the credit first: 7,48 € due, 3,74 € of credit, 3,74 € by card.
    _, answer = await harness.request("POST", f"/api/billing/invoices/{invoice['id']}/payments", headers=fam.headers,
                                      expect=201)  # fmt: skip
    assert answer["status"] == "pending" and answer["amount_cents"] == 374 and answer["credit_used_cents"] == 374


async def test_an_invoice_is_paid_whole_at_the_simulated_treasury_and_paid_twice_leaves_a_credit(harness):
    fam = await family_with_presences(harness, [date(2026, 7, 3)])  # 2025/2026: no grid → the run fails it
    failed = await run_month(harness, "2026-07")
    assert failed["status"] == "failed" and failed["errors"] >= 1
    assert await invoices_of(harness, fam) == []

    fam = await family_with_presences(harness, [date(2026, 12, 1), date(2026, 12, 2)])
    await run_month(harness, "2026-12")  # the current month: a partial run
    (invoice,) = await invoices_of(harness, fam)
    pay = f"/api/billing/invoices/{invoice['id']}/payments"
    _, first = await harness.request("POST", pay, headers=fam.headers, expect=201)
    _, second = await harness.request("POST", pay, headers=fam.headers, expect=201)  # another tab
    assert first["amount_cents"] == second["amount_cents"] == 748 and first["payment_url"].startswith("/simulated")
    await harness.pay(first)
    _, paid = await harness.get(f"/api/billing/invoices/{invoice['id']}", headers=fam.headers, expect=200)
    assert paid["status"] == "paid" and paid["outstanding_cents"] == 0 and paid["paid_cents"] == 748
    response, problem = await harness.request("POST", pay, headers=fam.headers)
    assert response.status == 409 and problem["type"].endswith("invoice_already_paid")
    await harness.pay(second)
    assert await harness.payment_state(second["payment_id"]) == ("succeeded", "credited")
    assert await harness.account(fam) == {**await harness.account(fam), "credit_cents": 748, "unpaid_cents": 0,
                                          "balance_cents": -748}  # fmt: skip
    _, history = await harness.get("/api/billing/history", headers=fam.headers, expect=200)
    assert [e["kind"] for e in history["entries"]].count("payment") == 2


async def test_every_document_is_its_own_familys(harness):
    fam = await family_with_presences(harness, [date(2026, 11, 24)])
    other = await harness.family()
    await run_month(harness, "2026-11")
    (invoice,) = await invoices_of(harness, fam)
    for method, path in (
        ("GET", f"/api/billing/invoices/{invoice['id']}"),
        ("GET", f"/api/billing/invoices/{invoice['id']}/pdf"),
        ("POST", f"/api/billing/invoices/{invoice['id']}/payments"),
        ("GET", f"/api/billing/documents/{invoice['id']}/pdf"),
        ("GET", f"/api/billing/documents/{uuid.uuid4()}/pdf"),
        ("GET", "/api/billing/documents/not-a-uuid/pdf"),
    ):
        response, problem = await harness.request(method, path, headers=other.headers)
        assert response.status == 404 and problem["title"], path
    _, theirs = await harness.get("/api/billing/documents", headers=other.headers, expect=200)
    assert theirs == {"documents": []}
    response = await harness.client.get(f"/api/billing/documents/{invoice['id']}/pdf", headers=fam.headers)
    assert response.status == 200 and response.content_type == "application/pdf"
    response, _ = await harness.request("GET", "/api/billing/invoices", headers=harness.staff_headers())
    assert response.status == 403  # staff without a family file


async def test_runs_refuse_bad_months_and_charges_bad_input(harness):
    staff = harness.staff_headers()
    for body in ({"month": "2026-13"}, {"month": "2099-01"}, {"month": "2026-1"}, {}, {"month": 202611}):
        response, problem = await harness.request("POST", RUNS, json=body, headers=staff)
        assert response.status == 422 and problem["title"], body
    response, _ = await harness.request("POST", RUNS, json={"month": "2026-11"}, headers=harness.headers(uuid.uuid4()))
    assert response.status == 403
    response, _ = await harness.request("GET", f"{RUNS}/{uuid.uuid4()}", headers=staff)
    assert response.status == 404
    fam = await harness.family()
    path = f"/api/billing/admin/dossiers/{fam.dossier_id}/charges"
    for body in ({"date": "2026-11-02", "label": "x", "amount_cents": -5},
                 {"date": "2026-11-31", "label": "x", "amount_cents": 5},
                 {"date": "2026-11-02", "label": "", "amount_cents": 5}):  # fmt: skip
        response, problem = await harness.request("POST", path, json=body, headers=staff)
        assert response.status == 422 and problem["title"], body
    response, _ = await harness.request("POST", f"/api/billing/admin/dossiers/{uuid.uuid4()}/charges",
                                        json={"date": "2026-11-02", "label": "x", "amount_cents": 5},
                                        headers=staff)  # fmt: skip
    assert response.status == 404
    assert await harness.count("invoice_charges", "dossier_id = $1", fam.dossier_id) == 0


async def test_the_schedule_invoices_the_previous_month_once_from_its_day_and_hour(harness):
    ctx = billing_of_app(harness.client.app)
    before = replace(ctx, clock=lambda: datetime(2027, 3, 1, 4, 59, tzinfo=UTC))  # 05:59 in Paris
    assert await invoicing_run.scheduled_round(before, day=1, hour=6) is None
    at = replace(ctx, clock=lambda: datetime(2027, 3, 1, 5, 0, tzinfo=UTC))  # 06:00 in Paris
    run_id = await invoicing_run.scheduled_round(at, day=1, hour=6)
    assert run_id is not None
    found = await invoicing_run.status(at, run_id)
    assert found["month"] == "2027-02" and found["trigger"] == "schedule" and found["status"] == "done"
    assert await invoicing_run.scheduled_round(at, day=1, hour=6) is None  # once per month


async def test_messaging_gets_the_stored_pdf_over_request_reply(harness):
    fam = await family_with_presences(harness, [date(2026, 11, 26)])
    await run_month(harness, "2026-11")
    (invoice,) = await invoices_of(harness, fam)
    answer = await harness.call("invoice_pdf", {"invoice_id": invoice["id"]})
    response = await harness.client.get(invoice["pdf_url"], headers=fam.headers)
    assert base64.b64decode(answer["pdf_base64"]) == await response.read()
    assert answer["dossier_id"] == str(fam.dossier_id) and answer["filename"] == f"facture-{invoice['number']}.pdf"
    for params, code in (({"invoice_id": str(uuid.uuid4())}, "invoice_not_found"), ({}, "invalid_params")):
        with pytest.raises(RpcError) as refused:
            await harness.call("invoice_pdf", params)
        assert refused.value.error_type == code
