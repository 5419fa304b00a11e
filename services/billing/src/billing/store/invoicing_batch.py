"""The invoicing run's batches: what a few hundred families need to be invoiced, read in a
handful of queries returning just the columns pricing needs, and their invoices, ledger entries
and lines written in bulk (one ``INSERT ... SELECT FROM unnest`` for the invoices and their
ledger entries, one ``COPY`` for the lines), all in the batch's transaction.

Numbering (:meth:`InvoicingBatch.lock_counter` then :meth:`InvoicingBatch.take_numbers`): the
(series, year) counter row is locked first, the families already invoiced (by a concurrent run,
or before a crash) are left out, then the batch's numbers are taken as one block by one UPDATE.
Everything commits together, so a rollback gives the whole block back (no gap) and a concurrent
batch waits on the counter row (no duplicate).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import asyncpg

from billing.domain.ledger import EntryKind
from billing.domain.money import Money
from billing.domain.qf import QfCampaign, QfHistory, QuotientFamilial
from billing.domain.tariffs import TariffGrid, school_year_of

from .invoices import LINE_COLUMNS
from .prices import Tariffs


@dataclass
class BatchData:
    """What pricing a batch's families needs, as plain rows (the shapes
    :func:`~billing.domain.invoicing.price_families` takes)."""

    families: dict[uuid.UUID, str] = field(default_factory=dict)  # known families → their snapshot (JSON)
    # Known families → the id their invoice will have, time-ordered (``uuid7()``, migration
    # 0007: the run's invoices and lines fill the last pages of their keys), made by the
    # database with the snapshot — asyncpg's own UUIDs, which it writes back several times
    # cheaper than Python's in the lines' COPY, where each line repeats its invoice's id.
    invoice_ids: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    presences: list = field(default_factory=list)  # (dossier, child, activity, [days]), by dossier
    charges: list[tuple] = field(default_factory=list)  # (dossier, day, label, cents)
    charge_ids: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    child_names: dict[tuple[uuid.UUID, uuid.UUID], str] = field(default_factory=dict)
    qf_histories: dict[uuid.UUID, QfHistory] = field(default_factory=dict)
    grids: dict[tuple[Hashable, str], TariffGrid] = field(default_factory=dict)
    activity_names: dict[uuid.UUID, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NewInvoice:
    """An invoice the batch writes: numbered, its lines as plain rows (LineRow)."""

    id: uuid.UUID
    number: str
    dossier_id: uuid.UUID
    family: str  # the family's snapshot, JSON
    lines: list[tuple]
    total_cents: int

    @property
    def total(self) -> Money:
        return Money(self.total_cents)


class InvoicingBatch:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def read(self, dossiers: list[uuid.UUID], month: date, end: date) -> BatchData:
        """The batch's known families, unbooked presences of [month, end), open charges dated
        before ``end`` (locked until commit, as a charge is invoiced once), children's first
        names, QF histories, and the grids and names of the activities attended — just the
        columns pricing needs, as rows."""
        conn, data = self.conn, BatchData()
        # The snapshot each invoice keeps of its family (name, number, address), as JSON text.
        rows = await conn.fetch(
            "SELECT dossier_id, jsonb_build_object('name', family_name, 'number', dossier_number, 'address', address)"
            "::text, uuid7() FROM families WHERE dossier_id = ANY($1::uuid[])",
            dossiers,
        )
        data.families = {r[0]: r[1] for r in rows}
        data.invoice_ids = {r[0]: r[2] for r in rows}
        # The batch's dossiers are a slice of the run's sorted list: one range scan of the
        # (dossier_id, day) index, rather than one probe per dossier, grouped by family, and
        # one row per child and activity with its days (a row, and its three ids, a day cost
        # as much again to decode).
        data.presences = await conn.fetch(
            "SELECT dossier_id, child_id, activity_id, array_agg(day ORDER BY day) FROM attendance_records "
            "WHERE dossier_id BETWEEN $1 AND $2 AND dossier_id = ANY($5::uuid[]) AND day >= $3 AND day < $4 "
            "AND status = 'present' AND NOT booked GROUP BY dossier_id, child_id, activity_id ORDER BY dossier_id",
            min(dossiers),
            max(dossiers),
            month,
            end,
            dossiers,
        )
        for r in await conn.fetch(
            "SELECT dossier_id, day, label, amount_cents, id FROM invoice_charges WHERE dossier_id = ANY($1::uuid[]) "
            "AND day < $2 AND invoice_id IS NULL ORDER BY day, created_at, id FOR UPDATE",
            dossiers,
            end,
        ):
            data.charges.append((r[0], r[1], r[2], r[3]))
            data.charge_ids[r[0]].append(r[4])
        rows = await conn.fetch(
            "SELECT dossier_id, child_id, first_name FROM children WHERE dossier_id = ANY($1::uuid[])", dossiers
        )
        data.child_names = {(r[0], r[1]): r[2] for r in rows}
        await self._qf_histories(data, dossiers)
        # A row's days are sorted and within the month: its first and last days name every
        # school year it touches (two at most).
        attended = {(a, school_year_of(day)) for _, _, a, days in data.presences for day in (days[0], days[-1])}
        data.grids = await Tariffs(conn).grids(attended)
        for r in await conn.fetch(
            "SELECT id, display_name FROM activities WHERE id = ANY($1::uuid[])", list({a for a, _ in attended})
        ):
            data.activity_names[r["id"]] = r["display_name"]
        return data

    async def _qf_histories(self, data: BatchData, dossiers: list[uuid.UUID]) -> None:
        # As store.prices.Qfs.history, for the whole batch: the campaigns' grace included.
        campaigns = [QfCampaign(c["year"], c["ends_on"])
                     for c in await self.conn.fetch("SELECT year, ends_on FROM qf_campaigns ORDER BY year")]  # fmt: skip
        found: dict[uuid.UUID, list[QuotientFamilial]] = defaultdict(list)
        for r in await self.conn.fetch(
            "SELECT * FROM qf_values WHERE dossier_id = ANY($1::uuid[]) ORDER BY valid_from, created_at", dossiers
        ):
            found[r["dossier_id"]].append(
                QuotientFamilial(r["value"], r["valid_from"], r["valid_to"], r["proof"], r["state"], id=r["id"])
            )
        data.qf_histories = {d: QfHistory(qfs, campaigns) for d, qfs in found.items()}

    async def lock_counter(self, series: str, year: int) -> None:
        """Take the (series, year) counter's row lock until commit, making the row if need be, in
        one statement (``ON CONFLICT DO UPDATE`` locks the row it finds): a concurrent batch waits here."""
        await self.conn.execute(
            "INSERT INTO document_counters (series, year, last) VALUES ($1, $2, 0) "
            "ON CONFLICT (series, year) DO UPDATE SET last = document_counters.last",
            series,
            year,
        )

    async def already_invoiced(self, dossiers: Iterable[uuid.UUID], month: date) -> set[uuid.UUID]:
        """Read under the counter's lock: what a concurrent run committed before is seen here."""
        rows = await self.conn.fetch(
            "SELECT dossier_id FROM invoices WHERE kind = 'invoice' AND month = $2 AND dossier_id = ANY($1::uuid[])",
            list(dossiers),
            month,
        )
        return {r["dossier_id"] for r in rows}

    async def take_numbers(self, series: str, year: int, count: int) -> int:
        """The first of ``count`` consecutive numbers (the counter's lock is held already)."""
        return await self.conn.fetchval(
            "UPDATE document_counters SET last = last + $3 WHERE series = $1 AND year = $2 RETURNING last - $3 + 1",
            series,
            year,
            count,
        )

    async def lock_accounts(self, dossiers: list[uuid.UUID]) -> None:
        """The families' money locks (as Families.lock_account), taken in dossier order, before
        the counter's lock: every batch takes them in that order, then the counter, so two
        batches never wait for each other crosswise."""
        ordered = sorted(dossiers)
        await self.conn.execute(
            "INSERT INTO family_accounts (dossier_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING", ordered
        )
        await self.conn.execute(
            "SELECT 1 FROM family_accounts WHERE dossier_id = ANY($1::uuid[]) ORDER BY dossier_id FOR UPDATE", ordered
        )

    async def write(
        self,
        invoices: list[NewInvoice],
        *,
        month: date,
        issued_at: datetime,
        due_on: date,
        run_id: uuid.UUID | None,
        entry_labels: list[str],
        charge_ids: dict[uuid.UUID, list[uuid.UUID]],
    ) -> None:
        """The invoices with each its ledger entry (``entry_labels``, in the same order) in one
        statement, then every line by one COPY, then the charges marked invoiced."""
        conn = self.conn
        await conn.execute(
            """
            WITH i AS (
                INSERT INTO invoices (id, kind, number, dossier_id, month, issued_at, due_on, total_cents, family, run_id)
                SELECT i.id, 'invoice', i.number, i.dossier_id, $4, $5, $6, i.total_cents, i.family::jsonb, $7
                FROM unnest($1::uuid[], $2::text[], $3::uuid[], $8::bigint[], $9::text[])
                     AS i(id, number, dossier_id, total_cents, family)
                RETURNING id, number, dossier_id, total_cents
            )
            INSERT INTO ledger_entries (id, dossier_id, kind, amount_cents, occurred_at, label, reference, invoice_id)
            SELECT uuid7(), i.dossier_id, $11, i.total_cents, $5, e.label, i.number, i.id
            FROM i JOIN unnest($2::text[], $10::text[]) AS e(number, label) USING (number)
            """,
            [x.id for x in invoices],
            [x.number for x in invoices],
            [x.dossier_id for x in invoices],
            month,
            issued_at,
            due_on,
            run_id,
            [x.total_cents for x in invoices],
            [x.family for x in invoices],
            entry_labels,
            EntryKind.INVOICE.value,
        )
        await conn.copy_records_to_table(
            "invoice_lines",
            columns=LINE_COLUMNS,
            records=[(x.id, position, day, child, label, unit, quantity, unit * quantity, child_id, activity_id)
                     for x in invoices
                     for position, (day, child, label, unit, quantity, child_id, activity_id) in enumerate(x.lines)],
        )  # fmt: skip
        invoiced = [(c, x.id) for x in invoices for c in charge_ids.get(x.dossier_id, ())]
        if invoiced:
            await conn.execute(
                "UPDATE invoice_charges c SET invoice_id = u.invoice_id "
                "FROM unnest($1::uuid[], $2::uuid[]) AS u(id, invoice_id) WHERE c.id = u.id",
                [c for c, _ in invoiced],
                [i for _, i in invoiced],
            )
