"""Staff closures: recording one, and what it does to the days families already booked.

In one transaction (all or nothing): the closure is recorded (or found, when the same one is
posted again), the domain's :func:`~planning.domain.apply_closure` decides from the
reservations and active baskets on its dates, then each paid day is cancelled and its
place freed with ``planning.reservation.cancelled`` (``reason: closure``: billing credits
it in full), basket lines on those days are withdrawn (held places given back) and each
family concerned gets one ``planning.closure.days_cancelled`` (messaging e-mails it).
Posting the same closure twice finds nothing left to cancel.

A closure entered by mistake is removed (:func:`remove_closure`): its days become bookable again
(the rules' version moves with it, so every cached grid is read afresh); what it cancelled stays
cancelled — the families were credited and told, and book again if they wish.
"""

from __future__ import annotations

from datetime import date

import structlog

from ..domain import BasketLinesWithdrawn, Closure, ClosureOutcome, Period, apply_closure
from ..events import ClosureDaysCancelled, DayLine, ReservationCancelled
from ..schemas import admin as s
from ..store import UnitOfWork
from .deps import Planning
from .errors import ActivityNotFound, ClosureNotFound

log = structlog.get_logger(__name__)


async def add_closure(p: Planning, cmd: s.ClosureIn) -> tuple[s.ClosureCreated, bool]:
    """The closure and how many reservations it cancelled; ``False``: it existed already."""
    closure = Closure(Period(cmd.from_, cmd.to, cmd.label), cmd.activity_id)
    now = p.now()
    async with UnitOfWork(p.pool) as uow:
        if cmd.activity_id is not None and await uow.activities.get(cmd.activity_id) is None:
            raise ActivityNotFound()
        same = await uow.calendars.same_closure(closure)
        closure_id = same["id"] if same is not None else await uow.calendars.add_closure(closure)
        # Baskets first, then reservations, then places: the order checkout and confirmation take them in.
        baskets = await uow.baskets.touched_by(closure)
        versions = {b.id: b.version for b in baskets}
        outcome = apply_closure(closure, await uow.reservations.closed_by(closure), baskets)
        for basket in baskets:
            if basket.version != versions[basket.id]:
                await uow.baskets.save(basket, versions[basket.id])
        await uow.places.lock_period(closure.period.start, closure.period.end, closure.activity_id)
        await uow.places.release(outcome.released)
        cancelled = await _cancel(uow, outcome, now)
        await _notify(uow, closure_id, closure, outcome)
        await uow.commit()
    log.info(
        "closure_applied",
        created=same is None,
        cancelled=cancelled,
        withdrawn_lines=_lines(outcome.withdrawn),
        families=len(outcome.notices),
    )
    answer = s.ClosureCreated(
        id=closure_id,
        activity_id=cmd.activity_id,
        from_=cmd.from_,
        to=cmd.to,
        label=cmd.label,
        cancelled_reservations=cancelled,
        withdrawn_basket_lines=_lines(outcome.withdrawn),
        families_notified=len(outcome.notices),
    )
    return answer, same is None


def _lines(withdrawn: tuple[BasketLinesWithdrawn, ...]) -> int:
    return sum(len(w.lines) for w in withdrawn)


async def _cancel(uow: UnitOfWork, outcome: ClosureOutcome, now) -> int:
    done = 0
    for c in outcome.cancelled:  # the period's places are locked already (lock_period)
        if await uow.reservations.cancel(c.ref, now) is None:
            continue
        await uow.places.cancel(c.ref)
        await uow.publish(
            ReservationCancelled(
                reservation_id=c.reservation_id,
                dossier_id=c.family_id,
                child_id=c.ref.child_id,
                activity_id=c.ref.activity_id,
                date=c.ref.day,
                payment_id=c.payment_id,
                reason="closure",
            )
        )
        done += 1
    return done


async def _notify(uow: UnitOfWork, closure_id, closure: Closure, outcome: ClosureOutcome) -> None:
    for notice in outcome.notices:
        await uow.publish(
            ClosureDaysCancelled(
                closure_id=closure_id,
                dossier_id=notice.family_id,
                label=closure.period.label,
                starts_on=closure.period.start,
                ends_on=closure.period.end,
                days=[DayLine(child_id=r.child_id, activity_id=r.activity_id, date=r.day) for r in notice.days],
            )
        )


async def remove_closure(p: Planning, closure_id) -> None:
    async with UnitOfWork(p.pool) as uow:
        removed = await uow.calendars.remove_closure(closure_id)
        if removed is None:
            raise ClosureNotFound()
        await uow.commit()
    log.info("closure_removed", closure_id=str(closure_id), starts_on=removed["starts_on"].isoformat(),
             ends_on=removed["ends_on"].isoformat())  # fmt: skip


async def closures(p: Planning, first: date, last: date) -> s.ClosureList:
    async with UnitOfWork(p.pool) as uow:
        rows = await uow.calendars.closure_rows(first, last)
    return s.ClosureList(
        closures=[
            s.ClosureOut(
                id=r["id"], activity_id=r["activity_id"], from_=r["starts_on"], to=r["ends_on"], label=r["label"]
            )
            for r in rows
        ]
    )
