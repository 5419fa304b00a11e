"""The parent API's shapes, exactly as docs/saga.md gives them (fields may be added)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActivityRef(BaseModel):
    id: UUID
    name: str = Field(description="« 2026/2027 - Cantine (11h30 à 13h30) »")


class ChildOut(BaseModel):
    id: UUID
    first_name: str
    last_name: str
    activities: list[ActivityRef] = Field(description="The activities the child is enrolled in.")


class ChildList(BaseModel):
    children: list[ChildOut]


class DayOut(BaseModel):
    date: date
    state: Literal["booked", "pending", "bookable", "locked", "closed", "full"]
    editable: bool
    places_left: int | None
    reason: str | None = Field(description="Why closed: public_holiday, closure, school_holiday, weekday, ...")
    label: str | None = Field(description="« Noël », a closure's label ...")
    pending_change: Literal["add", "remove"] | None = None
    booked: bool = Field(description="A confirmed (paid) reservation, whatever the state.")


class ActivityMonth(BaseModel):
    id: UUID
    name: str
    days: list[DayOut]


class ChildRefOut(BaseModel):
    id: UUID
    first_name: str


class BasketSummary(BaseModel):
    lines: int
    expires_at: datetime | None


class MonthOut(BaseModel):
    child: ChildRefOut
    month: str = Field(description="YYYY-MM")
    label: str = Field(description="« Décembre 2026 »")
    previous_month: str
    next_month: str
    open: bool
    activities: list[ActivityMonth]
    basket: BasketSummary


class WantedActivity(Strict):
    activity_id: UUID
    booked_dates: list[date] = Field(max_length=31)


class MonthChange(Strict):
    """« Valider »: every day of the month each activity should be booked on."""

    activities: list[WantedActivity] = Field(min_length=1, max_length=20)

    @field_validator("activities")
    @classmethod
    def _once_each(cls, value: list[WantedActivity]) -> list[WantedActivity]:
        if len({w.activity_id for w in value}) != len(value):
            raise PydanticCustomError("duplicate_activity", "Chaque activité ne doit figurer qu'une fois.")
        return value


class ChangeOut(BaseModel):
    date: date
    activity_id: UUID
    child_id: UUID
    change: Literal["add", "remove"]
    label: str
    amount_cents: int
    amount: str


class MonthChanged(BaseModel):
    changes: list[ChangeOut]
    period_cost_cents: int
    period_cost: str = Field(description="« 7,48 € »")


class BasketLineOut(BaseModel):
    date: date
    child_id: UUID
    activity_id: UUID
    element: str = Field(description="« Arthur - 2026/2027 - Cantine (11h30 à 13h30) »")
    pricing: str = Field(description="« à l'unité »")
    change: Literal["add", "remove"]
    amount_cents: int | None
    amount: str | None


class BasketOut(BaseModel):
    id: UUID | None = Field(description="null while the family has no basket")
    status: Literal["open", "checking_out"]
    expires_at: datetime | None
    lines: list[BasketLineOut]
    total_cents: int
    total: str
    credit_applied_cents: int
    credit_applied: str
    to_pay_cents: int
    to_pay: str
    priced: bool = Field(description="false when billing could not price it just now (amounts from the last quote)")


class CheckoutOut(BaseModel):
    basket_id: UUID
    status: Literal["payment_pending", "confirmed"]
    payment_url: str | None = None
    payment_id: UUID | None = None
    expires_at: datetime | None = None


# The codes of domain.errors.DayProblem (grid.change_problem, deadline_problem, Basket.request_month).
DayCode = Literal[
    "deadline_passed",
    "cancellation_deadline_passed",
    "activity_not_running",
    "month_closed",
    "not_eligible",
    "day_full",
    "date_outside_month",
]


class DayProblemOut(BaseModel):
    date: date
    activity_id: UUID | None
    child_id: UUID | None = Field(None, description="with `days_full`: the child whose day was dropped")
    code: DayCode
    message: str = Field(description="French, fit to show a parent: « Il n'y a plus de place le 07/12/2026. »")


class DaysProblem(BaseModel):
    """`rules_violated` (422) lists each refused day in `days`; `days_full` (409) the days dropped."""

    days: list[DayProblemOut] = Field(default_factory=list, description="one entry per refused day")
