"""The family's basket: pending changes of all its children, then the payment saga.

One :class:`Basket` per family (dossier) at a time. Its ``lines`` map a :class:`DayRef`
(child, activity, date) to a change, ``"add"`` (book) or ``"remove"`` (unbook a paid day).

Life cycle (``status``)::

    open ──checkout──► checking_out ──confirm──► confirmed
      │  (adds)            │  └──fail / expire──► released
      └──checkout (removals only)──────────────► confirmed

- ``open``: :meth:`Basket.request_days` / :meth:`Basket.request_month` diff the wanted days
  against what is booked and pending and record the difference; :meth:`Basket.clear`,
  :meth:`Basket.drop`.
- :meth:`Basket.checkout` (« Payer ») freezes it: with ``add`` lines it becomes
  ``checking_out`` until ``expires_at`` (places held by the store); with removals only it is
  ``confirmed`` at once. A second checkout during the hold returns the same result and no
  new event (a double click gives the same payment).
- Removals (unbooking paid days) take effect at checkout, not at payment: with removals
  only the checkout confirms the basket at once; in a mixed basket :meth:`Basket.cancellations`
  gives them once billing has accepted to create the payment (their credit is then usable
  from the next payment on, per docs/saga.md).
- :meth:`Basket.reopen`: billing could not be asked for the payment; the basket is open
  again, its holds are to be given back.
- :meth:`Basket.confirm` (``billing.payment.succeeded``): booked. A payment that comes at or
  after ``expires_at``, or for a released or already-paid basket, is refused: the result says
  the payment must become a credit; planning never confirms places it has freed.
- :meth:`Basket.fail` (``billing.payment.failed``) / :meth:`Basket.expire`: places freed.
- :meth:`Basket.withdraw`: staff closed days it has lines on (domain/closures.py).
- ``confirmed`` and ``released`` are final; the service starts a new basket for the family.

Every method either raises a :class:`~planning.domain.errors.PlanningError` and changes
nothing, or applies its change and returns the events to publish; ``version`` goes up by one
per change (the store's optimistic check). Amounts are billing's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from . import errors
from .activities import Activity, Child
from .calendar import Closure
from .capacity import DayCapacity
from .deadlines import DeadlinePolicy, require_aware
from .errors import DayProblem, NotFound, RulesViolated, french_date
from .events import (
    BasketCheckedOut,
    BasketLine,
    BasketLinesWithdrawn,
    BasketReleased,
    Change,
    DayRef,
    Event,
    PaymentNotApplied,
    ReservationCancelled,
    ReservationsConfirmed,
)
from .grid import BookingRules, change_problem, day_view, deadline_problem
from .school_year import Month

DEFAULT_HOLD_MINUTES = 30


class BasketStatus(StrEnum):
    OPEN = "open"
    CHECKING_OUT = "checking_out"
    CONFIRMED = "confirmed"
    RELEASED = "released"


class ConfirmOutcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"  # the same payment again: nothing to do
    REFUSED = "refused"  # late, released or paid twice: billing keeps the money as a credit


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    basket_id: UUID
    status: BasketStatus  # checking_out (pay) or confirmed (removals only)
    expires_at: datetime | None
    lines: tuple[BasketLine, ...]
    events: tuple[Event, ...]
    repeated: bool = False  # a second checkout within the hold: reuse the payment already asked for


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    outcome: ConfirmOutcome
    events: tuple[Event, ...]

    @property
    def payment_becomes_credit(self) -> bool:
        return self.outcome is ConfirmOutcome.REFUSED


@dataclass
class Basket:
    id: UUID
    family_id: UUID
    status: BasketStatus = BasketStatus.OPEN
    lines: dict[DayRef, Change] = field(default_factory=dict)
    checked_out_at: datetime | None = None
    expires_at: datetime | None = None
    payment_id: UUID | str | None = None
    version: int = 0
    checkout_id: UUID | None = None

    # --- reading -------------------------------------------------------------------------

    def sorted_lines(self) -> tuple[BasketLine, ...]:
        return tuple(BasketLine(ref, change) for ref, change in sorted(self.lines.items()))

    def lines_for(self, child_id: UUID, month: Month, activity_id: UUID | None = None) -> tuple[BasketLine, ...]:
        return tuple(
            line
            for line in self.sorted_lines()
            if line.child_id == child_id
            and month.contains(line.day)
            and (activity_id is None or line.activity_id == activity_id)
        )

    def pending_for(self, child_id: UUID, activity_id: UUID) -> dict[date, Change]:
        """``{date: change}`` for one child and activity, as :func:`~planning.domain.grid.month_grid` takes it."""
        return {
            ref.day: change
            for ref, change in self.lines.items()
            if ref.child_id == child_id and ref.activity_id == activity_id
        }

    @property
    def adds(self) -> tuple[DayRef, ...]:
        return tuple(sorted(ref for ref, change in self.lines.items() if change == "add"))

    @property
    def removals(self) -> tuple[DayRef, ...]:
        return tuple(sorted(ref for ref, change in self.lines.items() if change == "remove"))

    # --- open basket ---------------------------------------------------------------------

    def request_days(
        self,
        child: Child,
        activity: Activity | None,
        month: Month,
        wanted: Iterable[date],
        *,
        now: datetime,
        rules: BookingRules,
        booked: Iterable[date] = (),
        capacity: Mapping[date, DayCapacity] | None = None,
    ) -> tuple[BasketLine, ...]:
        """« Valider » for one activity: ``wanted`` is every day of ``month`` the child should
        be booked on (booked days included). ``booked``: the child's confirmed days of this
        activity; ``capacity``: places per day (missing days: the activity's capacity, none
        taken). Returns this child's lines for the month, that activity, after the change."""
        if activity is None:
            raise NotFound("unknown_activity", errors.UNKNOWN_ACTIVITY)
        capacity = capacity or {}
        self.request_month(
            child,
            month,
            {activity.id: wanted},
            activities={activity.id: activity},
            now=now,
            rules=rules,
            booked=[DayRef(child.id, activity.id, d) for d in booked],
            capacity={(activity.id, d): c for d, c in capacity.items()},
        )
        return self.lines_for(child.id, month, activity.id)

    def request_month(
        self,
        child: Child,
        month: Month,
        wanted: Mapping[UUID, Iterable[date]],
        *,
        activities: Mapping[UUID, Activity],
        now: datetime,
        rules: BookingRules,
        booked: Iterable[DayRef] = (),
        capacity: Mapping[tuple[UUID, date], DayCapacity] | None = None,
    ) -> tuple[BasketLine, ...]:
        """« Valider » for several activities at once, all or nothing: ``wanted`` maps an
        activity id to its wanted days. An activity not in ``wanted`` is left as it is.
        Undoing a pending line (ticking back a day one had unticked) is always allowed; any
        other change must pass the rules of :func:`~planning.domain.grid.day_view`.
        Returns the child's lines for the month after the change."""
        require_aware(now)
        self._require(BasketStatus.OPEN)
        if child.family_id != self.family_id:
            raise NotFound("unknown_child", errors.UNKNOWN_CHILD)
        capacity = capacity or {}
        booked_refs = set(booked)
        lines = dict(self.lines)
        problems: list[DayProblem] = []
        for activity_id, days in wanted.items():
            activity = activities.get(activity_id)
            if activity is None:
                raise NotFound("unknown_activity", errors.UNKNOWN_ACTIVITY)
            if not child.is_enrolled(activity_id):
                raise RulesViolated("not_enrolled", errors.NOT_ENROLLED)
            wanted_days = set(days)
            problems += [
                DayProblem(d, activity_id, "date_outside_month", errors.OUTSIDE_MONTH.format(day=french_date(d)))
                for d in wanted_days
                if not month.contains(d)
            ]
            empty = DayCapacity(activity.capacity)
            for day in month.days():
                ref = DayRef(child.id, activity_id, day)
                pending, is_booked = self.lines.get(ref), ref in booked_refs
                have = pending == "add" or (is_booked and pending != "remove")
                if (day in wanted_days) == have:
                    continue
                if pending is not None:
                    del lines[ref]
                    continue
                change: Change = "remove" if have else "add"
                view = day_view(
                    activity,
                    child,
                    day,
                    rules=rules,
                    now=now,
                    booked=is_booked,
                    capacity=capacity.get((activity_id, day), empty),
                )
                problem = change_problem(view, change, activity_id)
                if problem is not None:
                    problems.append(problem)
                else:
                    lines[ref] = change
        if problems:
            raise errors.rules_violated(problems)
        self._replace_lines(lines)
        return self.lines_for(child.id, month)

    def drop(self, refs: Iterable[DayRef]) -> None:
        """Remove these lines (days found full or past their deadline at checkout)."""
        self._require(BasketStatus.OPEN)
        dropped = set(refs)
        self._replace_lines({ref: change for ref, change in self.lines.items() if ref not in dropped})

    def clear(self) -> None:
        """« Tout supprimer »."""
        self._require(BasketStatus.OPEN)
        self._replace_lines({})

    # --- the saga ------------------------------------------------------------------------

    def checkout(
        self,
        now: datetime,
        *,
        hold_minutes: int = DEFAULT_HOLD_MINUTES,
        deadlines: DeadlinePolicy | None = None,
        checkout_id: UUID | None = None,
    ) -> CheckoutResult:
        """« Payer ». With ``deadlines``, every line is checked again (time has passed since
        « Valider »): a line past its deadline refuses the checkout (``RulesViolated``)
        and the service drops it with :meth:`drop`. Places are checked by the store."""
        require_aware(now)
        if self.status is BasketStatus.CHECKING_OUT:
            if now < self.expires_at:
                return CheckoutResult(self.id, self.status, self.expires_at, self.sorted_lines(), (), repeated=True)
            raise errors.conflict("basket_expired")
        self._require(BasketStatus.OPEN)
        if not self.lines:
            raise errors.conflict("basket_empty")
        if deadlines is not None:
            late = [line for line in self.sorted_lines() if not deadlines.can_change(line.day, line.change, now)]
            if late:
                raise errors.rules_violated(
                    [deadline_problem(line.day, line.change, line.activity_id) for line in late]
                )
        lines = self.sorted_lines()
        self.checked_out_at = now
        self.checkout_id = checkout_id
        self.version += 1
        if not self.adds:
            self.status = BasketStatus.CONFIRMED
            events = self._cancellations()
            return CheckoutResult(self.id, self.status, None, lines, events)
        self.status = BasketStatus.CHECKING_OUT
        self.expires_at = now + timedelta(minutes=hold_minutes)
        event = BasketCheckedOut(self.id, self.family_id, lines, self.expires_at)
        return CheckoutResult(self.id, self.status, self.expires_at, lines, (event,))

    def confirm(self, payment_id: UUID | str | None, now: datetime, checkout_id: UUID | None = None) -> ConfirmResult:
        """``billing.payment.succeeded`` (``payment_id`` ``None``: credits covered it all).
        With ``checkout_id``, a payment asked for under another checkout (one that was
        reopened, then checked out again) is refused like a late one."""
        require_aware(now)
        if self.status is BasketStatus.CONFIRMED and payment_id == self.payment_id:
            return ConfirmResult(ConfirmOutcome.ALREADY_CONFIRMED, ())
        same_checkout = checkout_id is None or checkout_id == self.checkout_id
        if self.status is BasketStatus.CHECKING_OUT and now < self.expires_at and same_checkout:
            self.status, self.payment_id = BasketStatus.CONFIRMED, payment_id
            self.version += 1
            confirmed = ReservationsConfirmed(self.id, self.family_id, payment_id, self.adds)
            return ConfirmResult(ConfirmOutcome.CONFIRMED, (confirmed,))
        if self.status is BasketStatus.CHECKING_OUT and not same_checkout:
            return ConfirmResult(
                ConfirmOutcome.REFUSED, (PaymentNotApplied(self.id, self.family_id, payment_id, "not_checked_out"),)
            )
        released = self.expire(now)
        reason = {
            BasketStatus.RELEASED: "basket_released",
            BasketStatus.CONFIRMED: "already_paid",
            BasketStatus.OPEN: "not_checked_out",
        }[self.status]
        return ConfirmResult(
            ConfirmOutcome.REFUSED, (*released, PaymentNotApplied(self.id, self.family_id, payment_id, reason))
        )

    def fail(self, checkout_id: UUID | None = None) -> tuple[Event, ...]:
        """``billing.payment.failed``: frees the places; nothing to do in any other state
        (nor for a payment of another checkout than the current one)."""
        if self.status is not BasketStatus.CHECKING_OUT:
            return ()
        if checkout_id is not None and checkout_id != self.checkout_id:
            return ()
        return self._release("payment_failed")

    def reopen(self) -> tuple[DayRef, ...]:
        """The payment could not be asked for (billing silent): the basket is open again as
        it was before « Payer »; returns the days whose held places must be given back."""
        self._require(BasketStatus.CHECKING_OUT)
        self.status = BasketStatus.OPEN
        self.checkout_id = self.expires_at = self.checked_out_at = None
        self.version += 1
        return self.adds

    def withdraw(self, closures: Iterable[Closure]) -> BasketLinesWithdrawn | None:
        """Staff closed days this basket has lines on: those lines go, even while it is being
        paid (its held places on them are then to be given back, and :meth:`confirm` will not
        book them). ``None`` when no line is on a closed day, or the basket is final."""
        if self.status not in (BasketStatus.OPEN, BasketStatus.CHECKING_OUT):
            return None
        closed = [ref for ref in sorted(self.lines) if any(c.closes(ref.activity_id, ref.day) for c in closures)]
        if not closed:
            return None
        lines = tuple(BasketLine(ref, self.lines[ref]) for ref in closed)
        held = (
            tuple(line.ref for line in lines if line.change == "add")
            if self.status is BasketStatus.CHECKING_OUT
            else ()
        )
        self._replace_lines({ref: change for ref, change in self.lines.items() if ref not in set(closed)})
        return BasketLinesWithdrawn(self.id, self.family_id, lines, held)

    def cancellations(self) -> tuple[ReservationCancelled, ...]:
        """The removals of a checked-out basket, to apply once billing accepted the payment
        (removals-only baskets get them from :meth:`checkout` directly)."""
        if self.status is BasketStatus.OPEN:
            return ()
        return self._cancellations()

    def expire(self, now: datetime) -> tuple[Event, ...]:
        """The hold is over (``now >= expires_at``): frees the places. Otherwise a no-op."""
        require_aware(now)
        if self.status is not BasketStatus.CHECKING_OUT or now < self.expires_at:
            return ()
        return self._release("expired")

    # --- inside --------------------------------------------------------------------------

    def _release(self, reason) -> tuple[Event, ...]:
        self.status = BasketStatus.RELEASED
        self.version += 1
        return (BasketReleased(self.id, self.family_id, reason, self.adds),)

    def _cancellations(self) -> tuple[Event, ...]:
        return tuple(ReservationCancelled(self.id, self.family_id, ref) for ref in self.removals)

    def _replace_lines(self, lines: dict[DayRef, Change]) -> None:
        if lines != self.lines:
            self.lines = lines
            self.version += 1

    def _require(self, status: BasketStatus) -> None:
        if self.status is status:
            return
        raise errors.conflict("basket_frozen" if self.status is BasketStatus.CHECKING_OUT else "basket_closed")
