"""The deadline rule: Sunday 21:00 Paris before the day's week, DST, month and year edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from planning.domain import PARIS, DeadlinePolicy, DeadlineRule, Invalid

DEFAULT = DeadlinePolicy()


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "deadline_utc"),
    [
        # Tuesday 1 December 2026 → Sunday 29 November 21:00 CET.
        (date(2026, 12, 1), utc(2026, 11, 29, 20)),
        # Every day of a week shares the Sunday before it, Sunday included.
        (date(2026, 11, 30), utc(2026, 11, 29, 20)),
        (date(2026, 12, 6), utc(2026, 11, 29, 20)),
        # The week of 28/12/2026 .. 03/01/2027 spans two months and two years.
        (date(2026, 12, 28), utc(2026, 12, 27, 20)),
        (date(2026, 12, 31), utc(2026, 12, 27, 20)),
        (date(2027, 1, 1), utc(2026, 12, 27, 20)),
        (date(2027, 1, 3), utc(2026, 12, 27, 20)),
        # Monday 1 February 2027: its deadline is in January.
        (date(2027, 2, 1), utc(2027, 1, 31, 20)),
        # Summer time starts on Sunday 28 March 2027: 21:00 Paris is 19:00 UTC that evening.
        (date(2027, 3, 29), utc(2027, 3, 28, 19)),
        (date(2027, 4, 2), utc(2027, 3, 28, 19)),
        # The week before it, still winter time.
        (date(2027, 3, 26), utc(2027, 3, 21, 20)),
        # Winter time starts on Sunday 25 October 2026: 21:00 Paris is 20:00 UTC that evening.
        (date(2026, 10, 26), utc(2026, 10, 25, 20)),
        # The week before it, still summer time.
        (date(2026, 10, 23), utc(2026, 10, 18, 19)),
    ],
)
def test_default_deadline_is_the_sunday_before_the_week_at_21_paris(day, deadline_utc):
    deadline = DEFAULT.booking_deadline(day)
    assert deadline == deadline_utc
    assert deadline.astimezone(PARIS).time() == time(21) and deadline.astimezone(PARIS).isoweekday() == 7
    assert DEFAULT.cancellation_deadline(day) == deadline


@pytest.mark.parametrize(
    ("day", "now", "allowed"),
    [
        (date(2026, 12, 1), paris(2026, 11, 29, 20, 59, 59), True),
        (date(2026, 12, 1), paris(2026, 11, 29, 21, 0, 0), False),
        (date(2026, 12, 1), paris(2026, 11, 29, 21, 0, 1), False),
        (date(2026, 12, 1), paris(2026, 11, 30, 8, 0), False),
        (date(2026, 12, 1), paris(2026, 11, 1, 12, 0), True),
        # The same instants given in UTC.
        (date(2026, 12, 1), utc(2026, 11, 29, 19, 59, 59), True),
        (date(2026, 12, 1), utc(2026, 11, 29, 20, 0, 0), False),
        # DST, spring: the last second before 21:00 summer time, and 21:00 itself.
        (date(2027, 3, 30), utc(2027, 3, 28, 18, 59, 59), True),
        (date(2027, 3, 30), utc(2027, 3, 28, 19, 0, 0), False),
        (date(2027, 3, 30), paris(2027, 3, 28, 20, 59, 59), True),
        (date(2027, 3, 30), paris(2027, 3, 28, 21, 0, 0), False),
        # DST, autumn: 21:00 winter time is 20:00 UTC, so 19:30 UTC is still open.
        (date(2026, 10, 27), utc(2026, 10, 25, 19, 30), True),
        (date(2026, 10, 27), utc(2026, 10, 25, 19, 59, 59), True),
        (date(2026, 10, 27), utc(2026, 10, 25, 20, 0, 0), False),
        (date(2026, 10, 27), paris(2026, 10, 25, 21, 0, 0), False),
        # Year boundary: 31/12/2026 and 01/01/2027 close on Sunday 27 December.
        (date(2027, 1, 1), paris(2026, 12, 27, 20, 59, 59), True),
        (date(2026, 12, 31), paris(2026, 12, 27, 21, 0), False),
        # Monday 1st: closes on the last day of the previous month.
        (date(2027, 2, 1), paris(2027, 1, 31, 20, 59, 59), True),
        (date(2027, 2, 1), paris(2027, 1, 31, 21, 0), False),
    ],
)
def test_a_day_can_change_until_its_deadline_exclusive(day, now, allowed):
    assert DEFAULT.can_book(day, now) is allowed
    assert DEFAULT.can_cancel(day, now) is allowed
    assert DEFAULT.can_change(day, "add", now) is allowed and DEFAULT.can_change(day, "remove", now) is allowed


@pytest.mark.parametrize(
    ("rule", "day", "deadline"),
    [
        (DeadlineRule("day", 2, time(10)), date(2026, 12, 3), paris(2026, 12, 1, 10)),
        (DeadlineRule("day", 0, time(8, 30)), date(2026, 12, 3), paris(2026, 12, 3, 8, 30)),
        (DeadlineRule("week", 3, time(12)), date(2026, 12, 3), paris(2026, 11, 27, 12)),  # the Friday before
        (DeadlineRule("week", 0, time(9)), date(2026, 12, 6), paris(2026, 11, 30, 9)),  # the Monday of the week
        (DeadlineRule("week", 8, time(21)), date(2026, 12, 1), paris(2026, 11, 22, 21)),
        (DeadlineRule("day", 1, time(21)), date(2027, 3, 29), utc(2027, 3, 28, 19)),
    ],
)
def test_configurable_rules(rule, day, deadline):
    assert rule.deadline(day) == deadline


def test_cancellation_can_have_its_own_deadline():
    policy = DeadlinePolicy(cancellation=DeadlineRule("week", 3, time(12)))
    day, now = date(2026, 12, 3), paris(2026, 11, 28, 10)  # Saturday before: booking open, cancelling closed
    assert policy.can_book(day, now) and not policy.can_cancel(day, now)
    assert policy.can_change(day, "add", now) and not policy.can_change(day, "remove", now)
    assert policy.cancellation_deadline(day) == paris(2026, 11, 27, 12)


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (DeadlineRule(), "le dimanche précédant la semaine, à 21h00"),
        (DeadlineRule("week", 2, time(18, 30)), "le samedi précédant la semaine, à 18h30"),
        (DeadlineRule("week", 0, time(9)), "le lundi de la semaine, à 9h00"),
        (DeadlineRule("week", 10, time(9)), "10 jours avant le lundi de la semaine, à 9h00"),
        (DeadlineRule("day", 0, time(8)), "le jour même, à 8h00"),
        (DeadlineRule("day", 1, time(8)), "1 jour avant, à 8h00"),
        (DeadlineRule("day", 3, time(8)), "3 jours avant, à 8h00"),
    ],
)
def test_rules_read_in_french(rule, text):
    assert rule.describe() == text


@pytest.mark.parametrize(
    "kwargs",
    [{"anchor": "month"}, {"days_before": -1}, {"days_before": 61}, {"at": time(21, tzinfo=UTC)}],
)
def test_bad_rules_are_refused(kwargs):
    with pytest.raises(Invalid) as refused:
        DeadlineRule(**kwargs)
    assert refused.value.code == "invalid_deadline_rule"


def test_a_naive_clock_is_a_programming_error():
    with pytest.raises(ValueError):
        DEFAULT.can_book(date(2026, 12, 1), datetime(2026, 11, 29, 20))
