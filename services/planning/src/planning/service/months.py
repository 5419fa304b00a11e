"""« Valider »: the wanted days of one child's month → basket lines + quote (the grid's read is
in ``reads``).

What the days are checked against is read as the grid is: one statement on a pooled
connection (the child of the family, its enrolments, confirmed days and places, the
family's active basket with every line and its version, ``rules_version``), and the rules
staff configure from the process's :class:`~.reads.StaffRules` for that version. Nothing
is locked while reading, as before: the basket is saved only if its version is still the
one read (else 409), and the places are taken for good at « Payer », under lock.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from ..domain import Basket, Month
from ..money import euros
from ..schemas import parent as s
from ..store import UnitOfWork
from ..store.reads import change_state
from . import billing
from .deps import Planning
from .errors import BasketChanged, ChildNotFound
from .labels import amounts_by_ref, element_label, quote_lines


async def change_month(
    p: Planning, dossier_id: UUID, child_id: UUID, month: Month, cmd: s.MonthChange
) -> s.MonthChanged:
    """Rules first (all or nothing), then billing's quote, then the basket is saved: when
    billing is silent nothing is saved; when the basket changed meanwhile, 409."""
    now = p.now()
    wanted = {w.activity_id: w.booked_dates for w in cmd.activities}
    async with p.pool.acquire() as conn:
        state = await change_state(conn, child_id, dossier_id, month.first_day, month.last_day)
        if state is None:
            raise ChildNotFound()
        known, rules = await p.staff_rules.for_month(conn, state.rules_version, month)
    child = state.child
    activities = {i: known.activities[i] for i in {*child.enrolments, *wanted} if i in known.activities}
    # No basket yet: one is made in memory and stored only if the change passes and is priced.
    found = state.basket
    basket = found or Basket(uuid.uuid4(), dossier_id)
    read_version = basket.version
    lines = basket.request_month(
        child, month, wanted, activities=activities, now=now, rules=rules, booked=state.booked, capacity=state.places
    )
    labels = {
        line.ref: element_label(child.first_name, known.activities[line.activity_id])
        for line in lines
        if line.activity_id in known.activities
    }
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
