"""Invoices, credit notes, their numbering counters, staff charges, invoicing runs, children."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from billing.domain.attestation import Child
from billing.domain.invoicing import Charge, InvoiceLine
from billing.domain.money import Money


class Children:
    """accounts' children (accounts.child.added / updated): first names for invoice lines,
    birth dates for the tax attestation (children under 6 on 1 January)."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def upsert(
        self, *, child_id: uuid.UUID, dossier_id: uuid.UUID, first_name: str, last_name: str, birth_date: date
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO children (child_id, dossier_id, first_name, last_name, birth_date) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (child_id) DO UPDATE SET dossier_id = EXCLUDED.dossier_id, first_name = EXCLUDED.first_name,
                last_name = EXCLUDED.last_name, birth_date = EXCLUDED.birth_date, updated_at = now()
            """,
            child_id,
            dossier_id,
            first_name,
            last_name,
            birth_date,
        )

    async def names(self, dossier_id: uuid.UUID) -> dict[uuid.UUID, str]:
        rows = await self.conn.fetch("SELECT child_id, first_name FROM children WHERE dossier_id = $1", dossier_id)
        return {r["child_id"]: r["first_name"] for r in rows}

    async def of_family(self, dossier_id: uuid.UUID) -> list[Child]:
        rows = await self.conn.fetch(
            "SELECT * FROM children WHERE dossier_id = $1 AND birth_date IS NOT NULL ORDER BY birth_date", dossier_id
        )
        return [Child(r["child_id"], r["first_name"], r["last_name"], r["birth_date"]) for r in rows]


class Charges:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def add(self, *, dossier_id: uuid.UUID, day: date, label: str, amount: Money, at: datetime, by) -> uuid.UUID:
        charge_id = uuid.uuid4()
        await self.conn.execute(
            "INSERT INTO invoice_charges (id, dossier_id, day, label, amount_cents, created_at, created_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            charge_id,
            dossier_id,
            day,
            label,
            amount.cents,
            at,
            by,
        )
        return charge_id

    async def open_for(self, dossier_id: uuid.UUID, end: date) -> list[Charge]:
        """Charges not invoiced yet dated before ``end`` (one dated in a month already invoiced
        goes on the next invoice: an issued invoice never changes)."""
        rows = await self.conn.fetch(
            "SELECT * FROM invoice_charges WHERE dossier_id = $1 AND day < $2 AND invoice_id IS NULL "
            "ORDER BY day, created_at FOR UPDATE",
            dossier_id,
            end,
        )
        return [Charge(r["id"], r["day"], r["label"], Money(r["amount_cents"])) for r in rows]

    async def mark_invoiced(self, charge_ids: list, invoice_id: uuid.UUID) -> None:
        await self.conn.execute(
            "UPDATE invoice_charges SET invoice_id = $2 WHERE id = ANY($1::uuid[])", charge_ids, invoice_id
        )


class Counters:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def next(self, series: str, year: int) -> int:
        """The next number of ``series`` in ``year``, under the counter's row lock until commit:
        a concurrent issuer waits here; a rollback gives the number back (no gap)."""
        await self.conn.execute(
            "INSERT INTO document_counters (series, year, last) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING",
            series,
            year,
        )
        return await self.conn.fetchval(
            "UPDATE document_counters SET last = last + 1 WHERE series = $1 AND year = $2 RETURNING last",
            series,
            year,
        )


LINE_COLUMNS = ("invoice_id", "position", "day", "child_name", "label", "unit_price_cents", "quantity", "amount_cents",
                "child_id", "activity_id")  # fmt: skip


def line_row(invoice_id: uuid.UUID, position: int, x: InvoiceLine) -> tuple:
    """An invoice line as a row of LINE_COLUMNS (one INSERT, or COPY by the invoicing run)."""
    unit = x.unit_price.cents
    return (invoice_id, position, x.day, x.child_name, x.label, unit, x.quantity, unit * x.quantity, x.child_id,
            x.activity_id)  # fmt: skip


class Invoices:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def insert(
        self,
        *,
        invoice_id: uuid.UUID,
        kind: str,
        number: str,
        dossier_id: uuid.UUID,
        issued_at: datetime,
        total: Money,
        family: dict,
        lines: list[InvoiceLine],
        month: date | None = None,
        due_on: date | None = None,
        credited_invoice: uuid.UUID | None = None,
        reason: str | None = None,
        run_id: uuid.UUID | None = None,
    ) -> None:
        await self.conn.execute(
            """
            INSERT INTO invoices (id, kind, number, dossier_id, month, credited_invoice, reason, issued_at, due_on,
                total_cents, family, run_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12)
            """,
            invoice_id,
            kind,
            number,
            dossier_id,
            month,
            credited_invoice,
            reason,
            issued_at,
            due_on,
            total.cents,
            family,
            run_id,
        )
        await self.conn.executemany(
            f"INSERT INTO invoice_lines ({', '.join(LINE_COLUMNS)}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            [line_row(invoice_id, i, x) for i, x in enumerate(lines)],
        )

    async def exists_for_month(self, dossier_id: uuid.UUID, month: date) -> bool:
        return await self.conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM invoices WHERE kind = 'invoice' AND dossier_id = $1 AND month = $2)",
            dossier_id,
            month,
        )

    async def get(self, invoice_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT id, kind, number, dossier_id, month, credited_invoice, reason, issued_at, due_on, total_cents, "
            "family, run_id, pdf IS NOT NULL AS has_pdf FROM invoices WHERE id = $1" + (" FOR UPDATE" if lock else ""),
            invoice_id,
        )

    async def lines(self, invoice_id: uuid.UUID) -> list[InvoiceLine]:
        rows = await self.conn.fetch("SELECT * FROM invoice_lines WHERE invoice_id = $1 ORDER BY position", invoice_id)
        return [
            InvoiceLine(r["day"], r["child_name"], r["label"], Money(r["unit_price_cents"]), r["quantity"])
            for r in rows
        ]

    async def credited(self, invoice_id: uuid.UUID) -> Money:
        cents = await self.conn.fetchval(
            "SELECT coalesce(sum(total_cents), 0) FROM invoices WHERE credited_invoice = $1", invoice_id
        )
        return Money(int(cents))

    async def credit_notes_of(self, invoice_id: uuid.UUID) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT id, number, total_cents FROM invoices WHERE credited_invoice = $1 ORDER BY number", invoice_id
        )

    async def of_family(self, dossier_id: uuid.UUID, kinds: tuple[str, ...]) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT id, kind, number, month, credited_invoice, issued_at, due_on, total_cents FROM invoices "
            "WHERE dossier_id = $1 AND kind = ANY($2::text[]) ORDER BY issued_at DESC, number DESC",
            dossier_id,
            list(kinds),
        )

    async def store_pdf(self, invoice_id: uuid.UUID, pdf: bytes, sha256: str) -> bool:
        """Store the rendered PDF once; False when it was already there (a retry changes nothing)."""
        done = await self.conn.fetchval(
            "UPDATE invoices SET pdf = $2, pdf_sha256 = $3 WHERE id = $1 AND pdf IS NULL RETURNING true",
            invoice_id,
            pdf,
            sha256,
        )
        return bool(done)

    async def pdf(self, invoice_id: uuid.UUID) -> bytes | None:
        return await self.conn.fetchval("SELECT pdf FROM invoices WHERE id = $1", invoice_id)

    async def without_pdf(self, limit: int = 500, after: tuple | None = None) -> list[tuple[uuid.UUID, datetime]]:
        """(id, issued_at) of documents without their PDF, oldest first, after ``after``'s pair."""
        rows = await self.conn.fetch(
            "SELECT id, issued_at FROM invoices WHERE pdf IS NULL AND ($2::timestamptz IS NULL OR (issued_at, id) > "
            "($2, $3)) ORDER BY issued_at, id LIMIT $1",
            limit,
            after[1] if after else None,
            after[0] if after else None,
        )
        return [(r["id"], r["issued_at"]) for r in rows]


class Runs:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def start(self, *, run_id: uuid.UUID, month: date, trigger: str, by, at: datetime) -> bool:
        """False when the schedule already started this month's run."""
        done = await self.conn.fetchval(
            "INSERT INTO invoicing_runs (id, month, trigger, status, started_by, started_at) "
            "VALUES ($1, $2, $3, 'running', $4, $5) ON CONFLICT DO NOTHING RETURNING true",
            run_id,
            month,
            trigger,
            by,
            at,
        )
        return bool(done)

    async def get(self, run_id: uuid.UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM invoicing_runs WHERE id = $1", run_id)

    async def scheduled_exists(self, month: date) -> bool:
        return await self.conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM invoicing_runs WHERE month = $1 AND trigger = 'schedule')", month
        )

    async def progress(self, run_id: uuid.UUID, *, total: int | None = None, done: int = 0, error: int = 0,
                       issued: int = 0, amount: Money | None = None) -> None:  # fmt: skip
        """Add a batch's counts to the run's progress (in the batch's transaction)."""
        await self.conn.execute(
            """
            UPDATE invoicing_runs SET families_total = coalesce($2, families_total),
                families_done = families_done + $3, errors = errors + $4, invoices = invoices + $5,
                total_cents = total_cents + $6
            WHERE id = $1
            """,
            run_id,
            total,
            done,
            error,
            issued,
            0 if amount is None else amount.cents,
        )

    async def finish(self, run_id: uuid.UUID, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE invoicing_runs SET status = CASE WHEN errors > 0 THEN 'failed' ELSE 'done' END, finished_at = $2 "
            "WHERE id = $1",
            run_id,
            at,
        )

    async def fail(self, run_id: uuid.UUID, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE invoicing_runs SET status = 'failed', finished_at = $2 WHERE id = $1", run_id, at
        )


async def families_to_invoice(conn: asyncpg.Connection, month: date, end: date) -> list[uuid.UUID]:
    """Families with something to invoice in [month, end) (present unbooked days or open charges)
    and no invoice for ``month`` yet: a run resumed after a crash reads only what is left."""
    rows = await conn.fetch(
        """
        SELECT dossier_id FROM (
            SELECT dossier_id FROM attendance_records
             WHERE day >= $1 AND day < $2 AND status = 'present' AND NOT booked
            UNION
            SELECT dossier_id FROM invoice_charges WHERE day < $2 AND invoice_id IS NULL
        ) f
        WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.kind = 'invoice' AND i.dossier_id = f.dossier_id
                          AND i.month = $1)
        ORDER BY 1
        """,
        month,
        end,
    )
    return [r["dossier_id"] for r in rows]
