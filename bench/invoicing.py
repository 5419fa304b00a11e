"""Bench: billing's monthly invoicing run over N families (10,000 by default), beside a raw
COPY of the same rows and a bare WeasyPrint render, in the same process and run.

    .venv/bin/python bench/invoicing.py                 # 10,000 families (long: one PDF each)
    .venv/bin/python bench/invoicing.py --families 500  # a quick look

What it prints (and writes to bench/results/invoicing.json):

- **run, database work**: ``service.invoicing_run.issue_all``, the run's first phase, as the
  run does it: ``--batch`` families per transaction (presences, charges, QFs and grids read in
  bulk, priced in memory from plain rows, the batch's numbers taken as one block under the
  counter's lock, invoices + ledger entries in one ``unnest`` statement, lines by ``COPY``,
  the run's progress) → invoices/s;
- **raw COPY**: the same invoice rows and line rows written with ``COPY`` into scratch tables of
  the same shape, in one transaction → invoices/s; the ratio run / COPY is the figure the issue
  asks to keep ≥ 25 %;
- **schema COPY**: the same rows by ``COPY`` into scratch tables with billing's own primary
  keys, unique and partial indexes, CHECKs, foreign key and the lines' statement-level check
  (none of the run's code) → invoices/s; run / schema COPY says how much of the gap to the raw
  COPY is the schema's own cost;
- **run, PDFs**: ``service.invoices.render_missing``, the run's second phase (render with
  WeasyPrint in a thread, store, publish ``billing.invoice.issued``) → PDF/s;
- **bare WeasyPrint**: the same template and data rendered in a loop, nothing stored → PDF/s;
- the process's memory high-water mark (``VmHWM``) before and after.

It needs the local PostgreSQL (``TEST_DATABASE_ADMIN_URL``, as the tests); it makes the
database ``bench_invoicing_<run>`` and drops it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from billing.app import SPEC
from billing.domain.tariffs import TariffGrid
from billing.service import Billing, invoice_pdf, invoices, invoicing_run
from billing.store import UnitOfWork
from servicekit.db import create_pool, drop_database, ensure_database, migrate

ADMIN = os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MONTH = date(2026, 11, 1)
DAYS = [date(2026, 11, d) for d in (2, 3, 5, 9, 10, 12)]
RESULTS = Path(__file__).parent / "results" / "invoicing.json"


def vm_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class NoProvider:
    name = "simulated"


async def seed(pool, families: int) -> uuid.UUID:
    activity = uuid.uuid4()
    grid = TariffGrid.from_payload(activity, "2026/2027", [
        {"qf_max": 600, "unit_price_cents": 150}, {"qf_max": 1200, "unit_price_cents": 280},
        {"qf_max": None, "unit_price_cents": 374}])  # fmt: skip
    async with UnitOfWork(pool) as uow:
        await uow.activities.upsert(activity_id=activity, school_year="2026/2027", code="cantine",
                                    name="Cantine", display_name="2026/2027 - Cantine (11h30 à 13h30)")  # fmt: skip
        await uow.tariffs.save(grid, by=None)
        await uow.commit()
    dossiers = [uuid.uuid4() for _ in range(families)]
    children = [uuid.uuid4() for _ in range(families)]
    address = {"line1": "12 rue des Tilleuls", "line2": None, "postal_code": "95380", "city": "Puiseux-en-France"}
    async with pool.acquire() as conn:
        await conn.copy_records_to_table(
            "families", columns=["dossier_id", "dossier_number", "family_name", "invoices_by_email"],
            records=[(d, str(1000 + i), f"FAMILLE {i}", False) for i, d in enumerate(dossiers)],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "children", columns=["child_id", "dossier_id", "first_name"],
            records=[(c, d, "Arthur") for c, d in zip(children, dossiers, strict=True)],
        )  # fmt: skip
        await conn.execute("UPDATE families SET address = $1", address)  # COPY has no binary jsonb encoder
        now = datetime.now(UTC)
        await conn.copy_records_to_table(
            "attendance_records",
            columns=["child_id", "activity_id", "day", "dossier_id", "status", "booked", "recorded_at"],
            records=[(c, activity, day, d, "present", False, now)
                     for c, d in zip(children, dossiers, strict=True) for day in DAYS],
        )  # fmt: skip
    return activity


INVOICE_COLUMNS = ["id", "kind", "number", "dossier_id", "month", "issued_at", "due_on", "total_cents", "family"]
LINE_COLUMNS = ["invoice_id", "position", "day", "child_name", "label", "unit_price_cents", "quantity", "amount_cents"]


async def timed_copy(conn, invoices_table: str, lines_table: str, families: int, family) -> float:
    """One invoice and len(DAYS) lines per family, by COPY in one transaction → seconds."""
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(families)]
    invoice_rows = [(i, "invoice", f"2026-{n + 1:06d}", uuid.uuid4(), MONTH, now, date(2026, 12, 31),
                     374 * len(DAYS), family) for n, i in enumerate(ids)]  # fmt: skip
    line_rows = [(i, p, day, "Arthur", "2026/2027 - Cantine", 374, 1, 374) for i in ids for p, day in enumerate(DAYS)]
    started = time.perf_counter()
    async with conn.transaction():
        await conn.copy_records_to_table(invoices_table, records=invoice_rows, columns=INVOICE_COLUMNS)
        await conn.copy_records_to_table(lines_table, records=line_rows, columns=LINE_COLUMNS)
    return time.perf_counter() - started


async def raw_copy(pool, families: int) -> float:
    """The same rows (one invoice, len(DAYS) lines each) by COPY into scratch tables."""
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE raw_invoices (LIKE invoices INCLUDING DEFAULTS)")
        await conn.execute("CREATE TABLE raw_lines (LIKE invoice_lines INCLUDING DEFAULTS)")
        # COPY has no binary jsonb encoder: the same document, as text.
        await conn.execute("ALTER TABLE raw_invoices ALTER COLUMN family TYPE text")
        family = json.dumps({"name": "FAMILLE", "number": "1000", "address": None})
        return await timed_copy(conn, "raw_invoices", "raw_lines", families, family)


# The statement-level check that replaced the lines' foreign key (migration 0005), on the
# scratch tables: the same body, naming them.
SCHEMA_LINES_CHECK = """
CREATE FUNCTION schema_lines_have_their_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_lines l WHERE NOT EXISTS (SELECT 1 FROM schema_invoices i WHERE i.id = l.invoice_id)) THEN
        RAISE EXCEPTION 'an invoice line needs its invoice' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER schema_lines_have_their_invoice AFTER INSERT ON schema_lines
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION schema_lines_have_their_invoice();
"""


async def schema_copy(pool, families: int) -> float:
    """The same rows as :func:`raw_copy`, by COPY into tables with billing's own schema: every
    primary key, unique and partial index, CHECK, default, the self-referencing foreign key and
    the lines' statement-level check (``LIKE … INCLUDING ALL`` plus those two) — what the
    schema alone costs, without any of the run's code."""
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE schema_invoices (LIKE invoices INCLUDING ALL)")
        await conn.execute(
            "ALTER TABLE schema_invoices ADD FOREIGN KEY (credited_invoice) REFERENCES schema_invoices (id)"
        )
        await conn.execute("CREATE TABLE schema_lines (LIKE invoice_lines INCLUDING ALL)")
        await conn.execute(SCHEMA_LINES_CHECK)
        # jsonb in COPY's binary format: a version byte, then the text (the pool's codec is text).
        await conn.set_type_codec("jsonb", encoder=lambda v: b"\x01" + json.dumps(v).encode(),
                                  decoder=lambda b: json.loads(b[1:]), schema="pg_catalog", format="binary")  # fmt: skip
        family = {"name": "FAMILLE", "number": "1000", "address": None}
        seconds = await timed_copy(conn, "schema_invoices", "schema_lines", families, family)
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")  # the pool's
        return seconds


async def bare_render(ctx: Billing, pool, count: int) -> float:
    async with pool.acquire() as conn:
        invoice_id = await conn.fetchval("SELECT id FROM invoices WHERE kind = 'invoice' LIMIT 1")
    async with ctx.uow() as uow:
        row = await uow.invoices.get(invoice_id)
        lines = await uow.invoices.lines(invoice_id)
    context = invoice_pdf.context(row, lines, invoice_pdf.Town(ctx.town_name, ctx.town_address))
    started = time.perf_counter()
    for _ in range(count):
        await invoice_pdf.render_pdf(context)
    return time.perf_counter() - started


async def main(args) -> dict:
    dsn = ADMIN.rsplit("/", 1)[0] + f"/bench_invoicing_{uuid.uuid4().hex[:8]}"
    await ensure_database(dsn)
    try:
        await migrate(dsn, SPEC.migrations)
        pool = await create_pool(dsn, min_size=1, max_size=4)
        try:
            return await measure(pool, args)
        finally:
            await pool.close()
    finally:
        await drop_database(dsn)


async def measure(pool, args) -> dict:
    ctx = Billing(pool=pool, provider=NoProvider(), invoicing_batch_size=args.batch)
    await seed(pool, args.families)
    hwm_before = vm_hwm_kib()
    run_id = await invoicing_run.start(ctx, MONTH, by=None)
    started = time.perf_counter()
    issued = await invoicing_run.issue_all(ctx, run_id, MONTH)
    db_seconds = time.perf_counter() - started
    copy_seconds = await raw_copy(pool, args.families)
    schema_seconds = await schema_copy(pool, args.families)
    started = time.perf_counter()
    rendered = await invoices.render_missing(ctx) if not args.no_pdf else 0
    pdf_seconds = time.perf_counter() - started
    bare = min(args.bare, args.families)
    bare_seconds = await bare_render(ctx, pool, bare)
    result = {
        "families": args.families,
        "batch": args.batch,
        "invoices": issued,
        "run_db_seconds": round(db_seconds, 2),
        "run_db_invoices_per_s": round(issued / db_seconds, 1),
        "raw_copy_seconds": round(copy_seconds, 3),
        "raw_copy_invoices_per_s": round(args.families / copy_seconds, 1),
        "run_vs_copy": round((issued / db_seconds) / (args.families / copy_seconds), 4),
        "schema_copy_seconds": round(schema_seconds, 3),
        "schema_copy_invoices_per_s": round(args.families / schema_seconds, 1),
        "run_vs_schema_copy": round((issued / db_seconds) / (args.families / schema_seconds), 4),
        "run_pdf_seconds": round(pdf_seconds, 2),
        "run_pdf_per_s": round(rendered / pdf_seconds, 2) if rendered else None,
        "bare_weasyprint_per_s": round(bare / bare_seconds, 2),
        "run_total_seconds": round(db_seconds + pdf_seconds, 2),
        "vm_hwm_kib_before": hwm_before,
        "vm_hwm_kib_after": vm_hwm_kib(),
    }
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument(
        "--batch", type=int, default=500, help="families per transaction (BILLING_INVOICING_BATCH_SIZE)"
    )
    parser.add_argument("--bare", type=int, default=200, help="PDFs rendered bare (at most --families)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the run's PDF phase (database work only)")
    figures = asyncio.run(main(parser.parse_args()))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2))
    out = io.StringIO()
    for key, value in figures.items():
        out.write(f"{key:28} {value}\n")
    print(out.getvalue(), end="")
