"""What parents and staff read: the family account, its history, payments, grids, exports."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from servicekit.pagination import CursorCodec

from .. import schemas
from ..domain.errors import NotFound
from ..domain.money import format_cents
from ..domain.qf import QuotientFamilial
from ..store import views
from ..store.ledger import Ledger
from .deps import Billing

PARIS = ZoneInfo("Europe/Paris")

PAYMENT_UNKNOWN = NotFound("Ce paiement n'existe pas.", code="payment_unknown")


async def account(ctx: Billing, dossier_id: uuid.UUID) -> schemas.Account:
    async with ctx.read() as conn:
        summary = (await Ledger(conn).of(dossier_id)).summary()
    return schemas.Account(
        balance_cents=summary.balance.cents,
        balance=summary.balance.format_fr(),
        credit_cents=summary.credit.cents,
        credit=summary.credit.format_fr(),
        unpaid_cents=summary.unpaid.cents,
        unpaid=summary.unpaid.format_fr(),
    )


async def history(
    ctx: Billing, codec: CursorCodec, dossier_id: uuid.UUID, *, limit: int, cursor: str | None
) -> schemas.HistoryPage:
    after = codec.decode(cursor, datetime, int)
    async with ctx.read() as conn:
        rows = await views.history_rows(conn, dossier_id, after, limit + 1)
    page, next_cursor = codec.page(rows, limit, key=lambda r: (r["occurred_at"], r["seq"]))
    return schemas.HistoryPage(
        entries=[
            schemas.HistoryEntry(
                kind=r["kind"],
                date=r["occurred_at"].astimezone(PARIS).date(),
                label=r["label"],
                amount_cents=r["amount_cents"],
                amount=format_cents(r["amount_cents"]),
                reference=r["reference"],
                id=r["ref_id"],
            )
            for r in page
        ],
        next_cursor=next_cursor,
    )


async def payment(ctx: Billing, payment_id: uuid.UUID, dossier_id: uuid.UUID | None) -> schemas.PaymentOut:
    """One payment; with ``dossier_id``, only that family's (another family's is « not found »)."""
    async with ctx.read() as conn:
        found = await views.payment_with_lines(conn, payment_id, dossier_id)
    if found is None:
        raise PAYMENT_UNKNOWN
    row, lines = found
    total = row["amount_cents"] + row["credit_used_cents"]
    return schemas.PaymentOut(
        id=row["id"],
        status=row["status"],
        amount_cents=row["amount_cents"],
        amount=format_cents(row["amount_cents"]),
        credit_used_cents=row["credit_used_cents"],
        credit_used=format_cents(row["credit_used_cents"]),
        total_cents=total,
        total=format_cents(total),
        reference=row["refdet"],
        created_at=row["created_at"],
        purpose=row["purpose"],
        lines=[
            schemas.PaymentLineOut(
                date=x["day"],
                element=x["label"],
                amount_cents=x["amount_cents"],
                amount=format_cents(x["amount_cents"]),
            )
            for x in lines
        ],
    )


async def staff_payments(
    ctx: Billing, codec: CursorCodec, query: schemas.PaymentsQuery, *, limit: int
) -> schemas.StaffPaymentPage:
    after = codec.decode(query.cursor, datetime, uuid.UUID)
    async with ctx.read() as conn:
        rows = await views.staff_payment_rows(
            conn, status=query.status, dossier_id=query.dossier_id, after=after, limit=limit + 1
        )
    page, next_cursor = codec.page(rows, limit, key=lambda r: (r["created_at"], r["id"]))
    return schemas.StaffPaymentPage(
        payments=[
            schemas.StaffPayment(
                id=r["id"],
                dossier_id=r["dossier_id"],
                dossier_number=r["dossier_number"],
                family_name=r["family_name"],
                status=r["status"],
                provider=r["provider"],
                amount_cents=r["amount_cents"],
                amount=format_cents(r["amount_cents"]),
                credit_used_cents=r["credit_used_cents"],
                reference=r["refdet"],
                failure_reason=r["failure_reason"],
                created_at=r["created_at"],
                settled_at=r["settled_at"],
            )
            for r in page
        ],
        next_cursor=next_cursor,
    )


async def tariffs(ctx: Billing, activity_id: uuid.UUID | None = None) -> list[schemas.TariffOut]:
    async with ctx.read() as conn:
        rows = await views.tariff_rows(conn, activity_id)
    grids: dict[tuple, list] = {}
    names: dict[tuple, str] = {}
    for r in rows:
        key = (r["activity_id"], r["school_year"])
        names[key] = r["display_name"]
        grids.setdefault(key, []).append(r)
    out = []
    for key, brackets in grids.items():
        lower = 0
        shown = []
        for b in brackets:
            shown.append(
                schemas.BracketOut(
                    qf_min=lower,
                    qf_max=b["qf_max"],
                    unit_price_cents=b["unit_price_cents"],
                    unit_price=format_cents(b["unit_price_cents"]),
                )
            )
            lower = (b["qf_max"] or 0) + 1
        out.append(schemas.TariffOut(activity_id=key[0], activity_name=names[key], school_year=key[1], brackets=shown))
    return out


def qf_out(qf: QuotientFamilial) -> schemas.QfOut:
    return schemas.QfOut(
        id=qf.id,
        value=qf.value,
        valid_from=qf.valid_from,
        valid_to=qf.valid_to,
        proof=qf.proof.value,
        proof_label=qf.proof.label_fr,
        state=qf.state.value,
    )


def _euros(cents: int) -> str:
    # Spreadsheets in France read « 11,22 »; no currency sign, no thousands separator.
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _paris(at: datetime | None) -> str:
    return "" if at is None else at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")


async def export_payments(ctx: Billing, query: schemas.ExportQuery) -> str:
    async with ctx.read() as conn:
        rows = await views.payment_export_rows(conn, query.from_, query.to)
    return _csv(
        ["date", "dossier", "famille", "statut", "moyen", "reference", "montant_carte", "avoir_utilise",
         "motif_echec", "regle_le", "paiement"],
        [
            [_paris(r["created_at"]), r["dossier_number"] or "", r["family_name"] or "", r["status"], r["provider"],
             r["refdet"], _euros(r["amount_cents"]), _euros(r["credit_used_cents"]), r["failure_reason"] or "",
             _paris(r["settled_at"]), str(r["id"])]
            for r in rows
        ],
    )  # fmt: skip


async def export_ledger(ctx: Billing, query: schemas.ExportQuery) -> str:
    async with ctx.read() as conn:
        rows = await views.ledger_export_rows(conn, query.from_, query.to)
    return _csv(
        ["date", "dossier", "famille", "ecriture", "libelle", "montant", "reference", "motif_avoir", "paiement"],
        [
            [_paris(r["occurred_at"]), r["dossier_number"] or "", r["family_name"] or "", r["kind"], r["label"],
             _euros(r["amount_cents"]), r["reference"] or "", r["credit_reason"] or "", str(r["payment_id"] or "")]
            for r in rows
        ],
    )  # fmt: skip
