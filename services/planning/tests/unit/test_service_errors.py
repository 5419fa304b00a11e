"""The domain's refusals as problem documents, and amounts as parents read them."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from planning.domain import DayProblem, errors
from planning.money import euros
from planning.schemas.parent import MonthChange
from planning.service.errors import from_domain
from pydantic import ValidationError


@pytest.mark.parametrize(
    ("cents", "text"),
    [(748, "7,48\u00a0€"), (0, "0,00\u00a0€"), (-374, "-3,74\u00a0€"), (123456, "1\u202f234,56\u00a0€")],
)
def test_euros_in_french(cents, text):
    assert euros(cents) == text


def test_several_refused_days_are_one_422_listing_each():
    problems = [
        DayProblem(date(2026, 12, 2), UUID(int=1), "activity_not_running", "L'activité n'a pas lieu le 02/12/2026."),
        DayProblem(date(2026, 12, 1), UUID(int=1), "deadline_passed", "La date limite ... 01/12/2026 est dépassée."),
    ]
    problem = from_domain(errors.rules_violated(problems)).to_problem()
    assert (problem.status, problem.type, problem.title) == (422, "rules_violated", errors.SEVERAL_DAYS)
    assert [d["date"] for d in problem.extra["days"]] == ["2026-12-01", "2026-12-02"]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.conflict("basket_frozen"), 409),
        (errors.NotFound("unknown_activity", errors.UNKNOWN_ACTIVITY), 404),
        (errors.Invalid("invalid_month", errors.INVALID_MONTH), 422),
    ],
)
def test_each_kind_has_its_status_and_french_title(error, status):
    problem = from_domain(error).to_problem()
    assert (problem.status, problem.type, problem.title) == (status, error.code, error.message)


def test_an_activity_listed_twice_is_refused():
    one = {"activity_id": str(UUID(int=1)), "booked_dates": []}
    with pytest.raises(ValidationError, match="qu'une fois"):
        MonthChange.model_validate({"activities": [one, one]})
