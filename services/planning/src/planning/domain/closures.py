"""A closure added after families booked: what becomes of their days.

Staff close one activity (or all) from one date to another — a strike, a flooded canteen —
possibly after families have booked and paid those days. :func:`apply_closure` takes the
closure and what the store found on its dates (the confirmed reservations, the families'
active baskets) and answers, without I/O:

- one :class:`ClosedDayCancelled` per confirmed reservation on a closed day: the
  reservation is cancelled, its place freed, and billing credits what was paid **in full**
  (a closure is not the family's choice: no cancellation deadline applies);
- one :class:`BasketLinesWithdrawn` per basket with lines on closed days
  (:meth:`~planning.domain.basket.Basket.withdraw`): an open basket just loses them; a
  basket being paid loses them too, its held places are freed, and those days will never
  be confirmed — billing credits their share of the payment when the confirmation comes
  without them (the same path as any paid day planning does not confirm);
- one :class:`FamilyDaysClosed` per family with days booked or being paid on those dates:
  the notice the family is e-mailed.

Applying the same closure a second time finds nothing left to cancel: every result is empty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from .basket import Basket
from .calendar import Closure
from .events import BasketLinesWithdrawn, DayRef


@dataclass(frozen=True, slots=True)
class BookedDay:
    """A confirmed reservation, as the store reads it."""

    reservation_id: UUID
    family_id: UUID
    ref: DayRef
    payment_id: UUID | None = None


@dataclass(frozen=True, slots=True, order=True)
class ClosedDayCancelled:
    """A paid day cancelled because staff closed it: place freed, full credit."""

    ref: DayRef
    reservation_id: UUID
    family_id: UUID
    payment_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class FamilyDaysClosed:
    """What a family is told: its days (booked, or being paid) that the closure cancelled."""

    family_id: UUID
    days: tuple[DayRef, ...]


@dataclass(frozen=True, slots=True)
class ClosureOutcome:
    cancelled: tuple[ClosedDayCancelled, ...] = ()
    withdrawn: tuple[BasketLinesWithdrawn, ...] = ()
    notices: tuple[FamilyDaysClosed, ...] = ()

    @property
    def released(self) -> tuple[DayRef, ...]:
        """Held places to give back."""
        return tuple(sorted(ref for w in self.withdrawn for ref in w.held))


def apply_closure(closure: Closure, booked: Iterable[BookedDay], baskets: Iterable[Basket]) -> ClosureOutcome:
    """Cancel the confirmed days the closure covers and withdraw the basket lines on them.

    ``booked`` and ``baskets`` may hold more than the closure covers (the store reads by
    date range): only what the closure closes is touched. ``baskets`` are changed in place
    (their ``version`` goes up when a line goes); confirmed or released ones are left as
    they are."""
    cancelled = sorted(
        {
            b.reservation_id: ClosedDayCancelled(b.ref, b.reservation_id, b.family_id, b.payment_id)
            for b in booked
            if closure.closes(b.ref.activity_id, b.ref.day)
        }.values()
    )
    withdrawn = tuple(w for basket in baskets if (w := basket.withdraw((closure,))) is not None)
    days: dict[UUID, set[DayRef]] = defaultdict(set)
    for c in cancelled:
        days[c.family_id].add(c.ref)
    for w in withdrawn:
        for ref in w.held:
            days[w.family_id].add(ref)
    notices = tuple(FamilyDaysClosed(family, tuple(sorted(refs))) for family, refs in sorted(days.items()))
    return ClosureOutcome(tuple(cancelled), withdrawn, notices)
