"""planning's e-mails: the booking confirmation, the weekly reminder and the closure notice."""

from __future__ import annotations

import structlog

from ..domain.bookings import days_by_child
from ..store import UnitOfWork
from .deps import Event, Messaging
from .emails import queue_for_dossier

log = structlog.get_logger(__name__)

BOOKINGS_PAGE = "/planning"


async def reservations_confirmed(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """planning.reservations.confirmed: the days booked, per child and activity, and what was paid.

    The amount comes from billing.payment.succeeded, which planning confirms on: when it
    has not arrived yet, the e-mail says the amount is in the receipt. No day confirmed (all
    closed while the family paid: the closure notice told them), no e-mail.
    """
    if not data.reservations:
        return
    children = await uow.children.first_names({r.child_id for r in data.reservations})
    activities = await uow.activities.names({r.activity_id for r in data.reservations})
    payment = await uow.payments.get(data.payment_id) if data.payment_id is not None else None
    await queue_for_dossier(
        ctx,
        uow,
        "booking_confirmation",
        dossier_id=data.dossier_id,
        event_id=event.id,
        context={
            "children": days_by_child(data.reservations, children, activities),
            "payment": None
            if payment is None
            else {
                "total_cents": payment["amount_cents"] + payment["credit_used_cents"],
                "credit_used_cents": payment["credit_used_cents"],
                "reference": payment["reference"],
            },
            "link": ctx.mail.link(BOOKINGS_PAGE),
        },
    )
    log.info("booking_confirmation_queued", days=len(data.reservations), amount_known=payment is not None)


async def booking_reminder_due(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """planning.booking_reminder.due: nothing booked next week, and its deadline still open."""
    await queue_for_dossier(
        ctx,
        uow,
        "booking_reminder",
        dossier_id=data.dossier_id,
        event_id=event.id,
        context={
            "children": [c.first_name for c in data.children],
            "week_starts_on": data.week_starts_on,
            "deadline_at": data.deadline_at,
            "link": ctx.mail.link(BOOKINGS_PAGE),
        },
    )


async def closure_days_cancelled(ctx: Messaging, uow: UnitOfWork, event: Event, data) -> None:
    """planning.closure.days_cancelled: staff closed days the family had booked; they are
    cancelled and credited in full (billing's own notice gives each credit's amount)."""
    children = await uow.children.first_names({d.child_id for d in data.days})
    activities = await uow.activities.names({d.activity_id for d in data.days})
    await queue_for_dossier(
        ctx,
        uow,
        "closure_notice",
        dossier_id=data.dossier_id,
        event_id=event.id,
        context={
            "label": data.label,
            "starts_on": data.starts_on,
            "ends_on": data.ends_on,
            "children": days_by_child(data.days, children, activities),
            "link": ctx.mail.link(BOOKINGS_PAGE),
        },
    )
    log.info("closure_notice_queued", days=len(data.days))
