"""Planning's settings: the documented defaults, and what they refuse."""

from __future__ import annotations

from datetime import time

import pytest
from planning.app import PlanningSettings
from pydantic import ValidationError


def test_defaults_hold_thirty_minutes_and_remind_on_friday_at_six():
    settings = PlanningSettings(environment="test")
    assert settings.basket_hold_minutes == 30
    assert (settings.reminder_weekday, settings.reminder_time) == (5, time(18, 0))


@pytest.mark.parametrize(
    "bad", [{"reminder_at": "18h"}, {"reminder_at": "24:00"}, {"reminder_weekday": 8}, {"basket_hold_minutes": 0}]
)
def test_bad_values_are_refused(bad):
    with pytest.raises(ValidationError):
        PlanningSettings(environment="test", **bad)
