"""The grid of one child's month, and « Valider » (the wanted days → basket lines + quote)."""

from __future__ import annotations

import uuid
from uuid import UUID

from ..domain import Activity, Basket, Month, month_grid
from ..money import euros
from ..schemas import parent as s
from ..store import UnitOfWork
from . import billing
from .deps import Planning
from .errors import BasketChanged, ChildNotFound
from .labels import amounts_by_ref, element_labels, quote_lines
from .rules import booking_rules

MONTHS_FR = (
    "Janvier", "Février", "Mars", "Avril", "Mai", "Juin",
    "Juillet", "Août", "Septembre", "Octobre", "Novembre", "Décembre",
)  # fmt: skip


def month_label(month: Month) -> str:
    return f"{MONTHS_FR[month.month - 1]} {month.year}"


def _in_month(activity: Activity, month: Month) -> bool:
    year = activity.school_year
    return year.starts_on <= month.last_day and year.ends_on >= month.first_day


async def _context(uow: UnitOfWork, dossier_id: UUID, child_id: UUID, month: Month, extra_ids=()):
    child = await uow.children.get(child_id, dossier_id)
    if child is None:
        raise ChildNotFound()
    activities = await uow.activities.many(sorted({*child.enrolments, *extra_ids}))
    rules = await booking_rules(uow, month.first_day, month.last_day)
    booked = await uow.reservations.booked([child.id], month.first_day, month.last_day)
    places = await uow.places.of(sorted(activities), month.first_day, month.last_day)
    return child, activities, rules, booked, places


async def month_view(p: Planning, dossier_id: UUID, child_id: UUID, month: Month) -> s.MonthOut:
    now = p.now()
    async with UnitOfWork(p.pool) as uow:
        child, activities, rules, booked, places = await _context(uow, dossier_id, child_id, month)
        basket = await uow.baskets.active(dossier_id)
    shown = sorted(
        (a for a in activities.values() if a.id in child.enrolments and _in_month(a, month)),
        key=lambda a: (a.starts_at, a.name),
    )
    rows = []
    for activity in shown:
        views = month_grid(
            activity,
            child,
            month,
            rules=rules,
            now=now,
            booked=[r.day for r in booked if r.activity_id == activity.id],
            pending=basket.pending_for(child.id, activity.id) if basket else {},
            capacity={day: c for (aid, day), c in places.items() if aid == activity.id},
        )
        days = [
            s.DayOut(
                date=v.day,
                state=v.state.value,
                editable=v.editable,
                places_left=v.places_left,
                reason=v.refusal or v.reason,
                label=v.label,
                pending_change=v.pending_change,
                booked=v.booked,
            )
            for v in views
        ]
        rows.append(s.ActivityMonth(id=activity.id, name=activity.display_name, days=days))
    return s.MonthOut(
        child=s.ChildRefOut(id=child.id, first_name=child.first_name),
        month=str(month),
        label=month_label(month),
        previous_month=str(month.previous()),
        next_month=str(month.next()),
        open=rules.windows.is_open(month),
        activities=rows,
        basket=s.BasketSummary(
            lines=len(basket.lines) if basket else 0, expires_at=basket.expires_at if basket else None
        ),
    )


async def change_month(
    p: Planning, dossier_id: UUID, child_id: UUID, month: Month, cmd: s.MonthChange
) -> s.MonthChanged:
    """Rules first (all or nothing), then billing's quote, then the basket is saved: when
    billing is silent nothing is saved; when the basket changed meanwhile, 409."""
    now = p.now()
    wanted = {w.activity_id: w.booked_dates for w in cmd.activities}
    async with UnitOfWork(p.pool) as uow:
        child, activities, rules, booked, places = await _context(uow, dossier_id, child_id, month, wanted)
        found = await uow.baskets.active(dossier_id)
    # No basket yet: one is made in memory and stored only if the change passes and is priced.
    basket = found or Basket(uuid.uuid4(), dossier_id)
    read_version = basket.version
    lines = basket.request_month(
        child, month, wanted, activities=activities, now=now, rules=rules, booked=booked, capacity=places
    )
    async with UnitOfWork(p.pool) as uow:
        labels = await element_labels(uow, [line.ref for line in lines])
    quote = await billing.quote(p, dossier_id, quote_lines([(line.ref, line.change) for line in lines], labels))
    amounts = amounts_by_ref(quote)
    async with UnitOfWork(p.pool) as uow:
        if found is None and not await uow.baskets.create(basket.id, dossier_id):
            raise BasketChanged()  # another tab made one meanwhile
        if not await uow.baskets.save(basket, read_version, amounts=amounts):
            raise BasketChanged()
        await uow.commit()
    changes = [
        s.ChangeOut(
            date=line.day,
            activity_id=line.activity_id,
            child_id=line.child_id,
            change=line.change,
            label=labels.get(line.ref, ""),
            amount_cents=amounts.get(line.ref, 0),
            amount=euros(amounts.get(line.ref, 0)),
        )
        for line in lines
    ]
    changes.sort(key=lambda c: (c.date, c.label))
    total = sum(c.amount_cents for c in changes)
    return s.MonthChanged(changes=changes, period_cost_cents=total, period_cost=euros(total))
