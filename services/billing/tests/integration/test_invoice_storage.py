"""What billing's schema itself guarantees for issued invoices, whatever the code above it does:
a line always has its invoice (checked per statement, migrations 0005 and 0007), an issued
invoice and its lines are never deleted nor changed, one invoice per family and month; and the
run's invoices and ledger entries get time-ordered ids (UUID version 7, migration 0007); the
PDF phase prints several at once in worker processes and counts each."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import asyncpg
import pytest
from billing.pdf import PdfPrinter
from billing.service import invoices, invoicing_run
from billing.web import billing_of_app

from .test_invoices import family_with_presences, invoices_of, pdf_text, run_month

LINE = "INSERT INTO invoice_lines (invoice_id, position, day, child_name, label, unit_price_cents, quantity, amount_cents)"


async def issued_invoice(harness) -> tuple[uuid.UUID, object]:
    fam = await family_with_presences(harness, [date(2026, 11, 3), date(2026, 11, 5)])
    assert (await run_month(harness, "2026-11"))["status"] == "done"
    (summary,) = await invoices_of(harness, fam)
    return uuid.UUID(summary["id"]), fam


async def test_a_line_needs_its_invoice_and_a_statement_with_one_orphan_writes_nothing(harness):
    invoice_id, _ = await issued_invoice(harness)
    lines_before = await harness.count("invoice_lines")
    async with harness.db.acquire() as conn:
        with pytest.raises(asyncpg.ForeignKeyViolationError, match="an invoice line needs its invoice"):
            await conn.execute(f"{LINE} VALUES ($1, 99, '2026-11-30', 'Arthur', 'x', 100, 1, 100)", uuid.uuid4())
        # Lines of the invoice beside one orphan, in one COPY (as the run writes them): all refused.
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.copy_records_to_table(
                "invoice_lines",
                columns=["invoice_id", "position", "day", "child_name", "label", "unit_price_cents", "quantity",
                         "amount_cents"],
                records=[(invoice_id, 90 + n, date(2026, 11, 30), "Arthur", "x", 100, 1, 100) for n in range(5)]
                + [(uuid.uuid4(), 0, date(2026, 11, 30), "Arthur", "x", 100, 1, 100)],
            )  # fmt: skip
    assert await harness.count("invoice_lines") == lines_before


async def test_an_issued_invoice_and_its_lines_are_kept_and_one_per_family_and_month(harness):
    invoice_id, fam = await issued_invoice(harness)
    async with harness.db.acquire() as conn:
        for statement in (
            "DELETE FROM invoice_lines WHERE invoice_id = $1",
            "UPDATE invoice_lines SET amount_cents = 1 WHERE invoice_id = $1",
            "DELETE FROM invoices WHERE id = $1",
        ):
            with pytest.raises(asyncpg.RestrictViolationError):
                await conn.execute(statement, invoice_id)
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO invoices (id, kind, number, dossier_id, month, issued_at, total_cents, family) "
                "SELECT gen_random_uuid(), kind, number || '-bis', dossier_id, month, issued_at, total_cents, family "
                "FROM invoices WHERE id = $1",
                invoice_id,
            )
    assert await harness.count("invoice_lines", "invoice_id = $1", invoice_id) == 2
    assert await harness.count("invoices", "dossier_id = $1", fam.dossier_id) == 1


async def test_the_runs_invoices_and_ledger_entries_have_time_ordered_ids(harness):
    invoice_id, fam = await issued_invoice(harness)
    entry_id = await harness.db.fetchval(
        "SELECT id FROM ledger_entries WHERE invoice_id = $1 AND kind = 'invoice'", invoice_id
    )
    now = await harness.db.fetchval("SELECT extract(epoch FROM clock_timestamp())")
    for made in (invoice_id, entry_id):
        assert made.version == 7 and made.variant == uuid.RFC_4122
        # The first 48 bits are the Unix time in milliseconds: made by this run, a moment ago.
        assert 0 <= float(now) - (made.int >> 80) / 1000 < 60
    assert entry_id.int >> 80 >= invoice_id.int >> 80  # the entry is written after its invoice


async def test_the_pdf_phase_prints_as_many_at_once_as_the_printer_has_workers_and_counts_each(harness):
    families = [await family_with_presences(harness, [date(2026, 9, d)]) for d in (14, 15, 17, 18, 21)]
    printer = PdfPrinter(2)
    ctx = replace(billing_of_app(harness.client.app), printer=printer)
    try:
        issued = await invoicing_run.issue_all(ctx, None, date(2026, 9, 1))
        assert issued == len(families)
        assert await harness.count("invoices", "pdf IS NULL") == len(families)
        assert await invoices.render_missing(ctx) == len(families)
    finally:
        await printer.close()
    assert await harness.count("invoices", "pdf IS NULL") == 0
    for fam in families:
        (summary,) = await invoices_of(harness, fam)
        response = await harness.client.get(summary["pdf_url"], headers=fam.headers)
        assert summary["number"] in pdf_text(await response.read())
    assert len(await harness.wait_events("billing.invoice.issued", len(families))) >= len(families)
