"""When the weekly reminder is due (Europe/Paris, whatever the season)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from planning.domain import PARIS
from planning.service.reminders import next_week, reminder_due

SIX_PM = time(18, 0)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (datetime(2026, 11, 27, 17, 59, 59, tzinfo=PARIS), False),  # Friday just before
        (datetime(2026, 11, 27, 18, 0, tzinfo=PARIS), True),
        (datetime(2026, 11, 27, 17, 0, tzinfo=UTC), True),  # 18:00 Paris in winter time
        (datetime(2026, 7, 3, 16, 30, tzinfo=UTC), True),  # 18:30 Paris in summer time
        (datetime(2026, 7, 3, 15, 59, tzinfo=UTC), False),  # 17:59 Paris in summer time
        (datetime(2026, 11, 29, 23, 0, tzinfo=PARIS), True),  # Sunday night: still this week's
        (datetime(2026, 11, 30, 9, 0, tzinfo=PARIS), False),  # Monday: the next one is Friday
    ],
)
def test_reminder_due_from_friday_18h(now, due):
    assert reminder_due(now, 5, SIX_PM) is due


def test_next_week_is_the_coming_monday():
    assert next_week(datetime(2026, 11, 27, 18, tzinfo=PARIS)) == date(2026, 11, 30)
    assert next_week(datetime(2026, 11, 30, 8, tzinfo=PARIS)) == date(2026, 12, 7)
    assert next_week(datetime(2026, 11, 29, 23, 30, tzinfo=UTC)) == date(2026, 12, 7)  # already Monday in Paris
