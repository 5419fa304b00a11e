"""A closure added after families booked (domain/closures.py): what is cancelled, withdrawn, told."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import pytest
from planning.domain import (
    PARIS,
    Basket,
    BasketStatus,
    BookedDay,
    ClosedDayCancelled,
    Closure,
    DayRef,
    FamilyDaysClosed,
    Month,
    Period,
    apply_closure,
)

from .conftest import ALSH, ARTHUR, CANTINE, FAMILY

DEC = Month(2026, 12)
NOW = datetime(2026, 11, 29, 20, 30, tzinfo=PARIS)
OTHER_FAMILY, LEA = UUID(int=2), UUID(int=200)
D1, D3, D4, D7 = date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 4), date(2026, 12, 7)


def booked(child, activity, day, family=FAMILY, n=0) -> BookedDay:
    return BookedDay(UUID(int=5000 + n), family, DayRef(child, activity, day), UUID(int=9000))


def closure(start, end, activity=None) -> Closure:
    return Closure(Period(start, end, "Grève"), activity)


BOOKINGS = (
    booked(ARTHUR, CANTINE, D1, n=1),
    booked(ARTHUR, CANTINE, D3, n=3),
    booked(ARTHUR, ALSH, D3, n=4),
    booked(LEA, CANTINE, D3, OTHER_FAMILY, n=5),
    booked(ARTHUR, CANTINE, D7, n=7),
)


@pytest.mark.parametrize(
    ("closed", "cancelled"),
    [
        # every activity on one day: both families, both activities of that day
        (closure(D3, D3), {3, 4, 5}),
        # the canteen only, over a period: its days inside, not the ALSH
        (closure(D1, D4, CANTINE), {1, 3, 5}),
        # the ALSH only
        (closure(D1, D7, ALSH), {4}),
        # dates nobody booked
        (closure(date(2026, 12, 14), date(2026, 12, 18)), set()),
        # bounds included
        (closure(D1, D7), {1, 3, 4, 5, 7}),
    ],
)
def test_the_confirmed_days_a_closure_covers_are_cancelled(closed, cancelled):
    outcome = apply_closure(closed, BOOKINGS, ())
    assert {c.reservation_id.int - 5000 for c in outcome.cancelled} == cancelled
    assert all(closed.closes(c.ref.activity_id, c.ref.day) for c in outcome.cancelled)
    assert outcome.withdrawn == () and outcome.released == ()


def test_each_cancellation_carries_what_billing_credits_and_each_family_gets_one_notice():
    outcome = apply_closure(closure(D3, D3), BOOKINGS + BOOKINGS, ())  # read twice: cancelled once
    assert len(outcome.cancelled) == 3
    assert (
        ClosedDayCancelled(DayRef(LEA, CANTINE, D3), UUID(int=5005), OTHER_FAMILY, UUID(int=9000)) in outcome.cancelled
    )
    assert outcome.notices == (
        FamilyDaysClosed(FAMILY, tuple(sorted([DayRef(ARTHUR, CANTINE, D3), DayRef(ARTHUR, ALSH, D3)]))),
        FamilyDaysClosed(OTHER_FAMILY, (DayRef(LEA, CANTINE, D3),)),
    )


def _basket(rules, arthur, cantine, *, pay: bool) -> Basket:
    basket = Basket(UUID(int=1000), FAMILY)
    basket.request_days(arthur, cantine, DEC, [D1, D4], now=NOW, rules=rules, booked=[D3])  # +1, +4, -3
    if pay:
        basket.checkout(NOW, checkout_id=UUID(int=77))
    return basket


def test_an_open_basket_loses_its_lines_on_closed_days(rules, arthur, cantine):
    basket = _basket(rules, arthur, cantine, pay=False)
    version = basket.version
    outcome = apply_closure(closure(D3, D4), (), [basket])
    (withdrawn,) = outcome.withdrawn
    assert [(line.day, line.change) for line in withdrawn.lines] == [(D3, "remove"), (D4, "add")]
    assert withdrawn.held == () and outcome.released == ()  # nothing was held: nothing to give back
    assert basket.adds == (DayRef(ARTHUR, CANTINE, D1),) and basket.removals == ()
    assert basket.status is BasketStatus.OPEN and basket.version == version + 1
    assert outcome.notices == ()  # nothing booked, nothing paid: nothing to tell


def test_a_basket_being_paid_gives_its_held_places_back_and_never_confirms_the_closed_day(rules, arthur, cantine):
    basket = _basket(rules, arthur, cantine, pay=True)
    outcome = apply_closure(closure(D4, D4), (), [basket])
    assert outcome.released == (DayRef(ARTHUR, CANTINE, D4),)
    assert outcome.notices == (FamilyDaysClosed(FAMILY, (DayRef(ARTHUR, CANTINE, D4),)),)
    assert basket.status is BasketStatus.CHECKING_OUT
    result = basket.confirm("pay-1", NOW, UUID(int=77))
    (confirmed,) = result.events
    assert confirmed.days == (DayRef(ARTHUR, CANTINE, D1),)  # billing credits the closed day's share


@pytest.mark.parametrize("final", ["confirm", "fail"])
def test_a_final_basket_is_left_as_it_is(rules, arthur, cantine, final):
    basket = _basket(rules, arthur, cantine, pay=True)
    basket.confirm("pay-1", NOW, UUID(int=77)) if final == "confirm" else basket.fail()
    lines, version = dict(basket.lines), basket.version
    assert apply_closure(closure(D1, D7), (), [basket]).withdrawn == ()
    assert (basket.lines, basket.version) == (lines, version)


def test_applying_the_same_closure_twice_changes_nothing_the_second_time(rules, arthur, cantine):
    basket = _basket(rules, arthur, cantine, pay=True)
    closed = closure(D1, D4)
    first = apply_closure(closed, BOOKINGS, [basket])
    assert first.cancelled and first.withdrawn
    left = [b for b in BOOKINGS if b.reservation_id not in {c.reservation_id for c in first.cancelled}]
    version = basket.version
    second = apply_closure(closed, left, [basket])
    assert (second.cancelled, second.withdrawn, second.notices) == ((), (), ())
    assert basket.version == version
