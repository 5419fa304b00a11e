"""« Valider »: the wanted days against booked and pending ones, every rule enforced, all or nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import UUID

import pytest
from planning.domain import (
    PARIS,
    Activity,
    Basket,
    BasketLine,
    Child,
    Conflict,
    DayCapacity,
    DayRef,
    Month,
    NotFound,
    RulesViolated,
)

DEC = Month(2026, 12)
NOW = datetime(2026, 11, 29, 20, 59, 59, tzinfo=PARIS)


def refs(child, activity, *days):
    return [DayRef(child.id, activity.id, d) for d in days]


def test_new_days_become_add_lines(basket, arthur, cantine, rules):
    lines = basket.request_days(arthur, cantine, DEC, [date(2026, 12, 1), date(2026, 12, 3)], now=NOW, rules=rules)
    assert [(line.day, line.change) for line in lines] == [(date(2026, 12, 1), "add"), (date(2026, 12, 3), "add")]
    assert basket.version == 1 and basket.adds == tuple(refs(arthur, cantine, date(2026, 12, 1), date(2026, 12, 3)))


def test_the_wanted_set_is_diffed_against_booked_and_pending(basket, arthur, cantine, rules):
    booked = [date(2026, 12, 1), date(2026, 12, 3)]
    # Keep 01/12, drop 03/12 (paid: a removal), add 04/12.
    lines = basket.request_days(
        arthur, cantine, DEC, [date(2026, 12, 1), date(2026, 12, 4)], now=NOW, rules=rules, booked=booked
    )
    assert [(line.day, line.change) for line in lines] == [(date(2026, 12, 3), "remove"), (date(2026, 12, 4), "add")]
    # Tick 03/12 back and untick 04/12: both pending lines are undone, nothing left.
    lines = basket.request_days(
        arthur, cantine, DEC, [date(2026, 12, 1), date(2026, 12, 3)], now=NOW, rules=rules, booked=booked
    )
    assert lines == () and basket.lines == {}


def test_the_same_request_twice_changes_nothing(basket, arthur, cantine, rules):
    wanted = [date(2026, 12, 1), date(2026, 12, 7)]
    first = basket.request_days(arthur, cantine, DEC, wanted, now=NOW, rules=rules)
    version = basket.version
    assert basket.request_days(arthur, cantine, DEC, wanted, now=NOW, rules=rules) == first
    assert basket.version == version


def test_undoing_a_pending_line_is_allowed_after_its_deadline(basket, arthur, cantine, rules):
    basket.request_days(arthur, cantine, DEC, [date(2026, 12, 1)], now=NOW, rules=rules)
    later = datetime(2026, 12, 1, 9, tzinfo=PARIS)
    assert basket.request_days(arthur, cantine, DEC, [], now=later, rules=rules) == ()


def test_request_month_covers_several_activities_and_other_months_stay(
    basket, arthur, cantine, alsh, activities, rules
):
    basket.request_days(arthur, cantine, Month(2027, 1), [date(2027, 1, 5)], now=NOW, rules=rules)
    lines = basket.request_month(
        arthur,
        DEC,
        {cantine.id: [date(2026, 12, 1)], alsh.id: [date(2026, 12, 2), date(2026, 12, 22)]},
        activities=activities,
        now=NOW,
        rules=rules,
    )
    assert [(line.activity_id, line.day) for line in lines] == [
        (cantine.id, date(2026, 12, 1)),
        (alsh.id, date(2026, 12, 2)),
        (alsh.id, date(2026, 12, 22)),
    ]
    assert len(basket.lines) == 4 and all(isinstance(line, BasketLine) for line in basket.sorted_lines())
    assert basket.pending_for(arthur.id, alsh.id) == {date(2026, 12, 2): "add", date(2026, 12, 22): "add"}


@pytest.mark.parametrize(
    ("wanted", "booked", "capacity", "now", "code", "message"),
    [
        ([date(2026, 12, 1)], [], {}, datetime(2026, 11, 29, 21, tzinfo=PARIS), "deadline_passed",
         "La date limite de réservation pour le 01/12/2026 est dépassée."),
        ([], [date(2026, 12, 1)], {}, datetime(2026, 11, 29, 20, tzinfo=UTC), "cancellation_deadline_passed",
         "La date limite d'annulation pour le 01/12/2026 est dépassée."),
        ([date(2026, 12, 25)], [], {}, NOW, "activity_not_running", "L'activité n'a pas lieu le 25/12/2026 (Noël)."),
        ([date(2026, 12, 21)], [], {}, NOW, "activity_not_running",
         "L'activité n'a pas lieu le 21/12/2026 (Vacances de Noël)."),
        ([date(2026, 12, 2)], [], {}, NOW, "activity_not_running", "L'activité n'a pas lieu le 02/12/2026."),
        ([date(2026, 12, 10)], [], {}, NOW, "activity_not_running", "L'activité n'a pas lieu le 10/12/2026 (Grève)."),
        ([date(2026, 12, 7)], [], {date(2026, 12, 7): DayCapacity(120, 118, 2)}, NOW, "day_full",
         "Il n'y a plus de place le 07/12/2026."),
        ([date(2027, 1, 4)], [], {}, NOW, "date_outside_month", "Le 04/01/2027 n'est pas dans le mois demandé."),
    ],
)  # fmt: skip
def test_a_refused_day_changes_nothing(basket, arthur, cantine, rules, wanted, booked, capacity, now, code, message):
    basket.request_days(arthur, cantine, DEC, [date(2026, 12, 14)], now=NOW, rules=rules)
    before, version = dict(basket.lines), basket.version
    with pytest.raises(RulesViolated) as refused:
        basket.request_days(
            arthur, cantine, DEC, [date(2026, 12, 14), *wanted], now=now, rules=rules, booked=booked, capacity=capacity
        )
    assert (refused.value.code, refused.value.message) == (code, message)
    assert [p.code for p in refused.value.problems] == [code]
    assert basket.lines == before and basket.version == version


def test_a_closed_month_refuses(basket, arthur, cantine, rules):
    with pytest.raises(RulesViolated) as refused:
        basket.request_days(
            arthur, cantine, Month(2026, 11), [date(2026, 11, 17)], now=NOW.replace(month=10), rules=rules
        )
    assert refused.value.code == "month_closed"
    assert refused.value.message == "Les réservations ne sont pas ouvertes pour le mois du 17/11/2026."


def test_age_limits_refuse(basket, arthur, year, rules):
    etude = Activity(UUID(int=61), year, "etude", "Étude", [1, 2, 4, 5], time(16, 30), time(18), 20, min_age=6)
    child = Child(arthur.id, arthur.family_id, "Arthur", arthur.birth_date, "GS", None, frozenset({etude.id}))
    lines = basket.request_days(child, etude, DEC, [date(2026, 12, 15)], now=NOW, rules=rules)
    assert len(lines) == 1  # 6 on the 15th
    with pytest.raises(RulesViolated) as refused:
        basket.request_days(child, etude, DEC, [date(2026, 12, 14), date(2026, 12, 15)], now=NOW, rules=rules)
    assert refused.value.code == "not_eligible" and refused.value.problems[0].day == date(2026, 12, 14)


def test_several_problems_are_listed_together(basket, arthur, cantine, rules):
    late = datetime(2026, 12, 6, 21, 30, tzinfo=PARIS)
    with pytest.raises(RulesViolated) as refused:
        basket.request_days(
            arthur, cantine, DEC, [date(2026, 12, 3), date(2026, 12, 25), date(2026, 12, 14)], now=late, rules=rules
        )
    assert refused.value.message == "Certains jours ne peuvent pas être modifiés."
    assert [(p.day, p.code) for p in refused.value.problems] == [
        (date(2026, 12, 3), "deadline_passed"),
        (date(2026, 12, 25), "activity_not_running"),
    ]
    assert basket.lines == {}


def test_unknown_activity_other_family_and_not_enrolled(basket, arthur, cantine, year, rules):
    with pytest.raises(NotFound) as unknown:
        basket.request_days(arthur, None, DEC, [date(2026, 12, 1)], now=NOW, rules=rules)
    assert unknown.value.code == "unknown_activity"
    stranger = Child(UUID(int=200), UUID(int=2), "Léa", enrolments=frozenset({cantine.id}))
    with pytest.raises(NotFound) as other:
        basket.request_days(stranger, cantine, DEC, [date(2026, 12, 1)], now=NOW, rules=rules)
    assert other.value.code == "unknown_child"
    sister = Child(UUID(int=201), arthur.family_id, "Léa")
    with pytest.raises(RulesViolated) as not_enrolled:
        basket.request_days(sister, cantine, DEC, [date(2026, 12, 1)], now=NOW, rules=rules)
    assert not_enrolled.value.code == "not_enrolled"
    assert basket.lines == {} and basket.version == 0


def test_clear_and_drop(basket, arthur, cantine, rules):
    basket.request_days(arthur, cantine, DEC, [date(2026, 12, 1), date(2026, 12, 3)], now=NOW, rules=rules)
    basket.drop(iter(refs(arthur, cantine, date(2026, 12, 1))))  # any iterable, read once
    assert basket.adds == tuple(refs(arthur, cantine, date(2026, 12, 3)))
    basket.clear()
    assert basket.lines == {}


def test_a_frozen_basket_cannot_change(basket, arthur, cantine, rules):
    basket.request_days(arthur, cantine, DEC, [date(2026, 12, 1)], now=NOW, rules=rules)
    basket.checkout(NOW)
    for change in (
        lambda: basket.request_days(arthur, cantine, DEC, [date(2026, 12, 3)], now=NOW, rules=rules),
        basket.clear,
        lambda: basket.drop([]),
    ):
        with pytest.raises(Conflict) as frozen:
            change()
        assert frozen.value.code == "basket_frozen"
    assert len(basket.lines) == 1


def test_a_released_basket_is_closed(arthur, cantine, rules):
    basket = Basket(UUID(int=5), arthur.family_id)
    basket.request_days(arthur, cantine, DEC, [date(2026, 12, 1)], now=NOW, rules=rules)
    basket.checkout(NOW)
    basket.fail()
    with pytest.raises(Conflict) as closed:
        basket.request_days(arthur, cantine, DEC, [], now=NOW, rules=rules)
    assert closed.value.code == "basket_closed"
