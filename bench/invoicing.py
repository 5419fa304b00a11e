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
- **raw COPY**: the rows the run writes — invoices, their lines and their ledger entries, every
  column the run fills, time-ordered ids as the run's (``uuid7()``) — written with ``COPY`` into scratch tables of the same shape with no
  index, key or trigger, in one transaction → invoices/s; the ratio run / COPY is the figure
  the issue asks to keep ≥ 25 %;
- **schema COPY**: the same rows by ``COPY`` into scratch tables with billing's own primary
  keys, unique and partial indexes, CHECKs, foreign key and the lines' statement-level check
  (none of the run's code) → invoices/s; run / schema COPY says how much of the gap to the raw
  COPY is the schema's own cost;
- ``--rounds`` rounds (3 by default), one month each (the families attended September,
  October and November): in each round the run, the raw COPY and the schema COPY, in an order
  that rotates from one round to the next, each after a ``CHECKPOINT``; the scratch tables
  grow from round to round as billing's do. Each figure is the median of the rounds, each
  ratio the median of the rounds' ratios (one round's figures move by 2× on a shared machine);
- **run, PDFs**: ``service.invoices.render_missing``, the run's second phase (render with
  WeasyPrint in ``--pdf-workers`` processes (1; 0: a thread), as many at once, store, publish
  ``billing.invoice.issued``) → PDF/s;
- **bare WeasyPrint**: the same template and data rendered in a loop in this process, one at a
  time, nothing stored (after one render that loads WeasyPrint) → PDF/s;
- the process's memory high-water mark (``VmHWM``) before and after.

The PDF phase renders the last round's month (the earlier months' invoices are marked rendered
first). It needs the local PostgreSQL (``TEST_DATABASE_ADMIN_URL``, as the tests); it makes the
database ``bench_invoicing_<run>`` and drops it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import time
import uuid
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

from billing.app import SPEC
from billing.domain.tariffs import TariffGrid
from billing.pdf import PdfPrinter, write_pdf
from billing.service import Billing, invoice_pdf, invoices, invoicing_run
from billing.store import UnitOfWork
from servicekit.db import create_pool, drop_database, ensure_database, migrate

ADMIN = os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MONTHS = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
PRESENT_DAYS = 6  # per family and month: the month's first six canteen days (Mon, Tue, Thu, Fri)
UNIT_CENTS = 374  # no family has a QF: the highest tariff


def days_of(month: date) -> list[date]:
    found, day = [], month
    while len(found) < PRESENT_DAYS:
        if day.weekday() in (0, 1, 3, 4):
            found.append(day)
        day = date.fromordinal(day.toordinal() + 1)
    return found


RESULTS = Path(__file__).parent / "results" / "invoicing.json"


def reset_vm_hwm() -> None:
    """Start the high-water mark again from the current size (Linux ≥ 4.0: « 5 » to clear_refs),
    so that the seeding's own peak does not hide the run's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def vm_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class NoProvider:
    name = "simulated"


async def seed(pool, families: int, months: list[date]) -> uuid.UUID:
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
                     for month in months for c, d in zip(children, dossiers, strict=True) for day in days_of(month)],
        )  # fmt: skip
    return activity


# What the run writes, column for column (store/invoicing_batch.py: InvoicingBatch.write).
INVOICE_COLUMNS = [
    "id",
    "kind",
    "number",
    "dossier_id",
    "month",
    "issued_at",
    "due_on",
    "total_cents",
    "family",
    "run_id",
]
LINE_COLUMNS = ["invoice_id", "position", "day", "child_name", "label", "unit_price_cents", "quantity", "amount_cents",
                "child_id", "activity_id"]  # fmt: skip
ENTRY_COLUMNS = ["id", "dossier_id", "kind", "amount_cents", "occurred_at", "label", "reference", "invoice_id"]


async def timed_copy(conn, prefix: str, families: int, month: date, family, tag: str) -> float:
    """The run's rows for ``families`` families (one invoice, its ledger entry and one line a
    present day each) by COPY into ``prefix``_invoices/_lines/_entries in one transaction → seconds."""
    now = datetime.now(UTC)
    run_id, activity = uuid.uuid4(), uuid.uuid4()
    days = days_of(month)
    total = UNIT_CENTS * len(days)
    label = "2026/2027 - Cantine (11h30 à 13h30) (présence sans réservation)"
    # Time-ordered ids for the invoices and their entries, made by the database, as the run's.
    ids = [r[0] for r in await conn.fetch("SELECT uuid7() FROM generate_series(1, $1)", 2 * families)]
    invoices = [(ids[n], f"{tag}-{n + 1:06d}", uuid.uuid4(), uuid.uuid4()) for n in range(families)]
    invoice_rows = [(i, "invoice", number, d, month, now, date(2026, 12, 31), total, family, run_id)
                    for i, number, d, _ in invoices]  # fmt: skip
    line_rows = [(i, p, day, "Arthur", label, UNIT_CENTS, 1, UNIT_CENTS, child, activity)
                 for i, _, _, child in invoices for p, day in enumerate(days)]  # fmt: skip
    entry_rows = [(entry, d, "invoice", total, now, f"Facture n° {number}", number, i)
                  for entry, (i, number, d, _) in zip(ids[families:], invoices, strict=True)]  # fmt: skip
    await conn.execute("CHECKPOINT")
    started = time.perf_counter()
    async with conn.transaction():
        await conn.copy_records_to_table(f"{prefix}_invoices", records=invoice_rows, columns=INVOICE_COLUMNS)
        await conn.copy_records_to_table(f"{prefix}_lines", records=line_rows, columns=LINE_COLUMNS)
        await conn.copy_records_to_table(f"{prefix}_entries", records=entry_rows, columns=ENTRY_COLUMNS)
    return time.perf_counter() - started


async def make_raw_tables(conn) -> None:
    """Scratch tables of the run's shape with no index, key or trigger (defaults only)."""
    await conn.execute("CREATE TABLE raw_invoices (LIKE invoices INCLUDING DEFAULTS)")
    await conn.execute("CREATE TABLE raw_lines (LIKE invoice_lines INCLUDING DEFAULTS)")
    await conn.execute("CREATE TABLE raw_entries (LIKE ledger_entries INCLUDING DEFAULTS)")
    # COPY has no binary jsonb encoder on the pool's text codec: the same document, as text.
    await conn.execute("ALTER TABLE raw_invoices ALTER COLUMN family TYPE text")


async def raw_copy(pool, families: int, month: date, tag: str) -> float:
    async with pool.acquire() as conn:
        family = json.dumps({"name": "FAMILLE", "number": "1000", "address": None})
        return await timed_copy(conn, "raw", families, month, family, tag)


async def schema_lines_check(conn) -> None:
    """The statement-level check that replaced the lines' foreign key, as the migrated database
    has it (its function and trigger read back from the catalog), pointed at the scratch tables
    under another name (the real one exists)."""
    function = await conn.fetchval("SELECT pg_get_functiondef('billing_invoice_lines_have_their_invoice'::regproc)")
    trigger = await conn.fetchval(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'invoice_lines_have_their_invoice'"
    )
    for block, changes in (
        (function, (("billing_invoice_lines_have_their_invoice", "schema_lines_have_their_invoice"),
                    ("FROM invoices i", "FROM schema_invoices i"))),
        (trigger, (("billing_invoice_lines_have_their_invoice", "schema_lines_have_their_invoice"),
                   ("ON public.invoice_lines", "ON schema_lines"))),
    ):  # fmt: skip
        for old, new in changes:
            if old not in block:
                raise RuntimeError(f"the lines' check no longer has {old!r}: update bench/invoicing.py")
            block = block.replace(old, new)
        await conn.execute(block)


async def make_schema_tables(conn) -> None:
    """Scratch tables with billing's own schema: every primary key, unique and partial index,
    CHECK, default, the self-referencing foreign key and the lines' statement-level check
    (``LIKE … INCLUDING ALL`` plus those two) — what the schema alone costs, without any of the
    run's code."""
    await conn.execute("CREATE TABLE schema_invoices (LIKE invoices INCLUDING ALL)")
    await conn.execute("ALTER TABLE schema_invoices ADD FOREIGN KEY (credited_invoice) REFERENCES schema_invoices (id)")
    await conn.execute("CREATE TABLE schema_lines (LIKE invoice_lines INCLUDING ALL)")
    await conn.execute("CREATE TABLE schema_entries (LIKE ledger_entries INCLUDING ALL)")
    await schema_lines_check(conn)


async def schema_copy(pool, families: int, month: date, tag: str) -> float:
    async with pool.acquire() as conn:
        # jsonb in COPY's binary format: a version byte, then the text (the pool's codec is text).
        await conn.set_type_codec("jsonb", encoder=lambda v: b"\x01" + json.dumps(v).encode(),
                                  decoder=lambda b: json.loads(b[1:]), schema="pg_catalog", format="binary")  # fmt: skip
        try:
            family = {"name": "FAMILLE", "number": "1000", "address": None}
            return await timed_copy(conn, "schema", families, month, family, tag)
        finally:
            await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def bare_render(ctx: Billing, pool, count: int) -> float:
    async with pool.acquire() as conn:
        invoice_id = await conn.fetchval("SELECT id FROM invoices WHERE kind = 'invoice' LIMIT 1")
    async with ctx.uow() as uow:
        row = await uow.invoices.get(invoice_id)
        lines = await uow.invoices.lines(invoice_id)
    context = invoice_pdf.context(row, lines, invoice_pdf.Town(ctx.town_name, ctx.town_address))
    write_pdf(invoice_pdf.render_html(context))  # once before: loading WeasyPrint and its fonts
    started = time.perf_counter()
    for _ in range(count):
        await asyncio.to_thread(write_pdf, invoice_pdf.render_html(context))
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


async def timed_run(ctx: Billing, pool, month: date) -> tuple[float, int]:
    """The run's database work for ``month`` (after a CHECKPOINT, as the COPYs) → (seconds, invoices)."""
    async with pool.acquire() as conn:
        await conn.execute("CHECKPOINT")
    run_id = await invoicing_run.start(ctx, month, by=None)
    started = time.perf_counter()
    issued = await invoicing_run.issue_all(ctx, run_id, month)
    return time.perf_counter() - started, issued


def median(values: list[float]) -> float:
    return statistics.median(values)


async def measure(pool, args) -> dict:
    ctx = Billing(pool=pool, provider=NoProvider(), invoicing_batch_size=args.batch, invoicing_in_flight=args.in_flight,
                  printer=PdfPrinter(args.pdf_workers))  # fmt: skip
    try:
        return await measured(ctx, pool, args)
    finally:
        await ctx.printer.close()


async def measured(ctx: Billing, pool, args) -> dict:
    months = MONTHS[-args.rounds :]
    await seed(pool, args.families, months)
    async with pool.acquire() as conn:
        await make_raw_tables(conn)
        await make_schema_tables(conn)
        await conn.execute("VACUUM ANALYZE")
    reset_vm_hwm()
    hwm_before = vm_hwm_kib()
    rounds = []
    for n, month in enumerate(months):
        tag = month.strftime("%Y%m")
        parts = {
            "run": partial(timed_run, ctx, pool, month),
            "raw": partial(raw_copy, pool, args.families, month, tag),
            "schema": partial(schema_copy, pool, args.families, month, tag),
        }
        order = list(parts)[n % 3 :] + list(parts)[: n % 3]  # rotated: no part always first
        found = {name: await parts[name]() for name in order}
        (run_seconds, issued), raw_seconds, schema_seconds = found["run"], found["raw"], found["schema"]
        rounds.append({
            "month": month.strftime("%Y-%m"), "order": order, "invoices": issued,
            "run_db_seconds": round(run_seconds, 3), "raw_copy_seconds": round(raw_seconds, 3),
            "schema_copy_seconds": round(schema_seconds, 3),
            "run_vs_copy": round((issued / run_seconds) / (args.families / raw_seconds), 4),
            "run_vs_schema_copy": round((issued / run_seconds) / (args.families / schema_seconds), 4),
        })  # fmt: skip
    hwm_run = vm_hwm_kib()
    rendered, pdf_seconds = 0, 0.0
    if not args.no_pdf:
        async with pool.acquire() as conn:  # the earlier months' invoices count as rendered
            await conn.execute("UPDATE invoices SET pdf = '\\x00' WHERE month <> $1", months[-1])
        started = time.perf_counter()
        rendered = await invoices.render_missing(ctx)
        pdf_seconds = time.perf_counter() - started
    bare = min(args.bare, args.families)
    bare_seconds = await bare_render(ctx, pool, bare)
    run_seconds = median([r["run_db_seconds"] for r in rounds])
    raw_seconds = median([r["raw_copy_seconds"] for r in rounds])
    schema_seconds = median([r["schema_copy_seconds"] for r in rounds])
    run_vs_copy = median([r["run_vs_copy"] for r in rounds])
    run_vs_schema_copy = median([r["run_vs_schema_copy"] for r in rounds])
    return {
        "families": args.families,
        "batch": args.batch,
        "in_flight": args.in_flight,
        "pdf_workers": args.pdf_workers,
        "rounds": len(rounds),
        "invoices_per_round": rounds[-1]["invoices"],
        "run_db_seconds": run_seconds,
        "run_db_invoices_per_s": round(rounds[-1]["invoices"] / run_seconds, 1),
        "raw_copy_seconds": raw_seconds,
        "raw_copy_invoices_per_s": round(args.families / raw_seconds, 1),
        "run_vs_copy": run_vs_copy,
        "schema_copy_seconds": schema_seconds,
        "schema_copy_invoices_per_s": round(args.families / schema_seconds, 1),
        "run_vs_schema_copy": run_vs_schema_copy,
        "schema_copy_vs_copy": round(raw_seconds / schema_seconds, 4),
        # The issue's target (run ≥ 25 % of the raw COPY), and the one the team closed it on
        # (run ≥ 30 % of the schema COPY: bench/README.md, « The yardstick »).
        "run_vs_copy_target_met": run_vs_copy >= 0.25,
        "run_vs_schema_copy_target_met": run_vs_schema_copy >= 0.30,
        "run_pdf_seconds": round(pdf_seconds, 2),
        "run_pdf_per_s": round(rendered / pdf_seconds, 2) if rendered else None,
        "bare_weasyprint_per_s": round(bare / bare_seconds, 2),
        "vm_hwm_kib_before": hwm_before,
        "vm_hwm_kib_after_runs": hwm_run,
        "vm_hwm_kib_after": vm_hwm_kib(),
        "per_round": rounds,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument(
        "--batch", type=int, default=500, help="families per transaction (BILLING_INVOICING_BATCH_SIZE)"
    )
    parser.add_argument("--rounds", type=int, default=3, choices=(1, 2, 3), help="months invoiced, one a round")
    parser.add_argument("--in-flight", type=int, default=2, help="batches at once (BILLING_INVOICING_IN_FLIGHT)")
    parser.add_argument("--bare", type=int, default=200, help="PDFs rendered bare (at most --families)")
    parser.add_argument("--pdf-workers", type=int, default=1, help="processes printing PDFs (BILLING_PDF_WORKERS)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the run's PDF phase (database work only)")
    figures = asyncio.run(main(parser.parse_args()))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2))
    out = io.StringIO()
    for key, value in figures.items():
        if key != "per_round":
            out.write(f"{key:30} {value}\n")
    for r in figures["per_round"]:
        out.write(
            f"  {r['month']} {'/'.join(r['order']):15} run {r['run_db_seconds']:.3f} s  raw {r['raw_copy_seconds']:.3f} s"
            f"  schema {r['schema_copy_seconds']:.3f} s  run/raw {r['run_vs_copy']:.3f}"
            f"  run/schema {r['run_vs_schema_copy']:.3f}\n"
        )
    print(out.getvalue(), end="")
