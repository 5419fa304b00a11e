"""Demonstration data (development only), loaded through billing's own use cases.

Fixed ids, shared with accounts' and planning's demo loaders so that every service seeds its
copies without waiting for events (the real events, arriving later, change nothing):

- dossier 404 (famille LE DERF): ``uuid5(NAMESPACE_URL, "https://portail-famille.fr/demo/dossier/404")``;
- Arthur: ``uuid5(NAMESPACE_URL, "https://portail-famille.fr/demo/dossier/404/child/arthur")``;
- **activity id rule** (planning's demo uses the same): ``uuid5(NAMESPACE_URL,
  f"https://portail-famille.fr/demo/activity/{school_year_label}/{code}")`` with
  ``school_year_label`` like ``2026/2027`` and ``code`` in ``cantine``, ``peri_matin``,
  ``alsh_mercredi`` (see :func:`demo_activity_id`).

What it loads: the family's copy, the three activities' copies (through the use case of the
``planning.activity.created`` consumer), their tariff grids, a validated QF for the family,
and a past payment of two canteen days — paid at the simulated Treasury, confirmed, one day
then cancelled — so the history shows a payment and a credit; and, once October is over,
October's invoice (two canteen days Arthur attended without a booking), PDF stored.
Idempotent; refuses production.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
from servicekit.identity import Identity

from . import consumers
from .domain.payments import PaymentState
from .domain.qf import campaign_period
from .domain.tariffs import school_year_of
from .providers.simulated import SimulatedTreasury
from .service import Billing, Event, checkout, copies, invoices, prices, settlement

PARIS = ZoneInfo("Europe/Paris")
DEMO = "https://portail-famille.fr/demo"
DOSSIER_ID = uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO}/dossier/404")
ARTHUR_ID = uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO}/dossier/404/child/arthur")
STAFF = Identity(user_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO}/billing-staff"), roles=frozenset({"billing_staff"}))

# code, name (as planning names it), tariff grid (qf_max → unit price in cents)
ACTIVITIES = (
    ("cantine", "Cantine (11h30 à 13h30)", ((600, 150), (1200, 280), (None, 374))),
    ("peri_matin", "Périscolaire matin (7h à 8h30)", ((600, 90), (1200, 160), (None, 220))),
    ("alsh_mercredi", "ALSH Mercredi (7h à 19h)", ((600, 450), (1200, 850), (None, 1300))),
)
DEMO_QF = 850


def demo_activity_id(school_year_label: str, code: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO}/activity/{school_year_label}/{code}")


def _event(name: str) -> Event:
    return Event(id=uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO}/billing-event/{name}"), occurred_at=datetime.now(UTC))


async def load(pool: asyncpg.Pool, settings, today: date | None = None) -> None:
    if settings.environment == "production":
        raise RuntimeError("demo data is never loaded in production")
    today = today or datetime.now(PARIS).date()
    year = school_year_of(today)
    ctx = Billing(pool=pool, provider=SimulatedTreasury(pool))
    family = copies.DossierUpdated(
        dossier_id=DOSSIER_ID,
        number="404",
        family_name="LE DERF",
        invoices_by_email=False,
        adults=[copies.Adult(email="arnaud.lederf@example.org")],
        address=copies.Address(line1="12 rue de la Mairie", postal_code="95380", city="Puiseux-en-France"),
    )
    async with ctx.uow() as uow:
        await copies.dossier_updated(ctx, uow, _event("dossier"), family)
        arthur = copies.ChildChanged(
            child_id=ARTHUR_ID,
            dossier_id=DOSSIER_ID,
            first_name="Arthur",
            last_name="Le Derf",
            birth_date=date(2018, 5, 14),
        )
        await copies.child_changed(ctx, uow, _event("child/arthur"), arthur)
        for code, name, _ in ACTIVITIES:
            activity = copies.ActivityChanged(
                activity_id=demo_activity_id(year, code),
                school_year=year,
                code=code,
                name=name,
                display_name=f"{year} - {name}",
            )
            await copies.activity_changed(ctx, uow, _event(f"activity/{year}/{code}"), activity)
        await uow.commit()
    for code, _, grid in ACTIVITIES:
        brackets = [{"qf_max": qf_max, "unit_price_cents": price} for qf_max, price in grid]
        await prices.set_tariff(ctx, STAFF, demo_activity_id(year, code), brackets)
    await _qf(ctx, today)
    await _past_payment(ctx, year)
    await _monthly_invoice(ctx, year, today)


async def _qf(ctx: Billing, today: date) -> None:
    history = await prices.qf_history(ctx, DOSSIER_ID)
    if any(qf.is_validated and qf.covers(today) for qf in history):
        return
    start, end = campaign_period(today.year if today.month >= 2 else today.year - 1)
    await prices.add_qf(
        ctx, STAFF, DOSSIER_ID, value=DEMO_QF, valid_from=start, valid_to=end, proof="attestation_caf",
        state="validated",
    )  # fmt: skip


async def _past_payment(ctx: Billing, year: str) -> None:
    """Two canteen days of September, paid, confirmed; the second one then cancelled (→ credit)."""
    first = int(year[:4])
    days = [date(first, 9, 7), date(first, 9, 8)]
    cantine = demo_activity_id(year, "cantine")
    label = f"Arthur - {year} - Cantine (11h30 à 13h30)"
    basket_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO}/basket/{year}/1")
    checkout_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO}/checkout/{year}/1")
    params = checkout.CreatePaymentParams(
        dossier_id=DOSSIER_ID,
        basket_id=basket_id,
        checkout_id=checkout_id,
        expires_at=datetime.now(UTC) + timedelta(minutes=20),
        lines=[
            checkout.SagaLine(child_id=ARTHUR_ID, activity_id=cantine, date=day, change="add", label=label)
            for day in days
        ],
        return_url="/facturation",
    )
    answer = await checkout.create_payment(ctx, params)
    payment_id = uuid.UUID(answer["payment_id"])
    if answer["status"] == "pending":
        idop = answer["payment_url"].rsplit("=", 1)[1]
        await ctx.provider.decide(idop, "pay")
        await settlement.notification(ctx, idop)
    reservations = [
        {"reservation_id": uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO}/reservation/{day}"), "child_id": ARTHUR_ID,
         "activity_id": cantine, "date": day}
        for day in days
    ]  # fmt: skip
    async with ctx.uow() as uow:
        stored = await uow.payments.get(payment_id)
        if stored.payment.state is PaymentState.SUCCEEDED:
            confirmed = consumers.ReservationsConfirmed(
                basket_id=basket_id,
                checkout_id=checkout_id,
                dossier_id=DOSSIER_ID,
                payment_id=payment_id,
                reservations=reservations,
            )
            await settlement.reservations_confirmed(ctx, uow, _event(f"confirmed/{year}"), confirmed)
            cancelled = consumers.ReservationCancelled(**reservations[1], dossier_id=DOSSIER_ID, payment_id=payment_id)
            await settlement.reservation_cancelled(ctx, uow, _event(f"cancelled/{year}"), cancelled)
        await uow.commit()


async def _monthly_invoice(ctx: Billing, year: str, today: date) -> None:
    """October's invoice: two canteen days Arthur was present without a booking (once October is over)."""
    month = date(int(year[:4]), 10, 1)
    if today < date(month.year, 11, 1):
        return
    cantine = demo_activity_id(year, "cantine")
    async with ctx.uow() as uow:
        for day in (date(month.year, 10, 5), date(month.year, 10, 6)):
            present = copies.AttendanceRecorded(dossier_id=DOSSIER_ID, child_id=ARTHUR_ID, activity_id=cantine,
                                                date=day, status="present", booked=False)  # fmt: skip
            await copies.attendance_recorded(ctx, uow, _event(f"attendance/{day}"), present)
        await uow.commit()
    issued = await invoices.issue_month(ctx, DOSSIER_ID, month, None)
    if issued is not None:
        await invoices.render_and_store(ctx, issued[0])
