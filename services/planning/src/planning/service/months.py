"""« Valider »: the wanted days of one child's month → basket lines + quote (the grid's read is
in ``reads``)."""

from __future__ import annotations

import uuid
from uuid import UUID

from ..domain import Basket, Month
from ..money import euros
from ..schemas import parent as s
from ..store import UnitOfWork
from . import billing
from .deps import Planning
from .errors import BasketChanged, ChildNotFound
from .labels import amounts_by_ref, element_labels, quote_lines
from .rules import booking_rules


async def _context(uow: UnitOfWork, dossier_id: UUID, child_id: UUID, month: Month, extra_ids=()):
    child = await uow.children.get(child_id, dossier_id)
    if child is None:
        raise ChildNotFound()
    activities = await uow.activities.many(sorted({*child.enrolments, *extra_ids}))
    rules = await booking_rules(uow, month.first_day, month.last_day)
    booked = await uow.reservations.booked([child.id], month.first_day, month.last_day)
    places = await uow.places.of(sorted(activities), month.first_day, month.last_day)
    return child, activities, rules, booked, places


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
