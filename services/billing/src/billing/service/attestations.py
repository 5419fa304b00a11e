"""Tax attestations: the parent asks for a past year, staff approve, the PDF is made once and
kept, and the family is told it is ready (``billing.document.ready``). Also the children
copy the attestation needs (accounts.child.added/updated: birth dates)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from servicekit.identity import Identity

from ..domain.attestation import attestation_amounts
from ..domain.errors import Conflict, NotFound, invalid
from ..events import DocumentReady
from .deps import Billing
from .prices import UNKNOWN_DOSSIER
from .qf_pdf import Family, attestation_html

PARIS = ZoneInfo("Europe/Paris")
UNKNOWN_REQUEST = NotFound("Cette demande d'attestation n'existe pas.", code="attestation_request_unknown")


def check_year(year: int, today: date) -> None:
    # A past calendar year: the current one is not over, so nothing final can be attested.
    if not 2000 <= year < today.year:
        raise invalid("year", "attestation_year_invalid", f"Choisissez une année passée (avant {today.year}).")


async def request_attestation(ctx: Billing, who: Identity, dossier_id: uuid.UUID, year: int) -> dict:
    check_year(year, ctx.now().astimezone(PARIS).date())
    async with ctx.uow() as uow:
        if await uow.families.get(dossier_id) is None:
            raise UNKNOWN_DOSSIER
        request_id = uuid.uuid4()
        row = await uow.attestations.add(request_id, dossier_id, year, by=who.user_id, at=ctx.now())
        if row["id"] != request_id:  # one request per year: pending (staff have it) or done
            raise Conflict(
                f"L'attestation {year} a déjà été demandée."
                + (" Elle est disponible dans vos documents." if row["state"] == "approved" else ""),
                code="attestation_already_requested",
                field="year",
            )
        await uow.commit()
    return dict(row)


async def list_requests(ctx: Billing, *, dossier_id: uuid.UUID | None = None, state: str | None = None) -> list[dict]:
    async with ctx.uow() as uow:
        return [dict(r) for r in await uow.attestations.listing(dossier_id=dossier_id, state=state)]


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """1 January ``year`` 00:00 to 1 January ``year + 1`` 00:00, Paris time."""
    return datetime(year, 1, 1, tzinfo=PARIS), datetime(year + 1, 1, 1, tzinfo=PARIS)


async def approve(ctx: Billing, who: Identity, request_id: uuid.UUID) -> dict:
    """Compute the amounts, make the PDF once, keep it, and tell the family."""
    async with ctx.uow() as uow:
        row = await uow.attestations.get(request_id, lock=True)
        if row is None:
            raise UNKNOWN_REQUEST
        if row["state"] != "pending":
            raise Conflict("Cette attestation a déjà été établie.", code="attestation_already_approved")
        dossier_id, year = row["dossier_id"], row["year"]
        family = await uow.families.get(dossier_id)
        children = await uow.children.of_family(dossier_id)
        lines = await uow.attestations.paid_lines(dossier_id, *year_bounds(year))
        invoices = await uow.attestations.paid_invoices(dossier_id, *year_bounds(year))
        amounts = attestation_amounts(year, children, lines, ctx.qf.meal_activity_codes, invoices)
        issued_on = ctx.now().astimezone(PARIS).date()
        document = attestation_html(
            ctx.qf.town_name, Family(family["dossier_number"], family["family_name"]), year, amounts, issued_on
        )
        pdf = await ctx.printer(document)
        total = sum(a.amount_cents for a in amounts)
        await uow.attestations.approve(request_id, total_cents=total, pdf=pdf, by=who.user_id, at=ctx.now())
        await uow.publish(
            DocumentReady(
                dossier_id=dossier_id,
                document_id=request_id,
                kind="tax_attestation",
                title=f"Attestation fiscale {year}",
                year=year,
            )
        )
        [done] = [r for r in await uow.attestations.listing(dossier_id=dossier_id) if r["id"] == request_id]
        await uow.commit()
    return dict(done)
