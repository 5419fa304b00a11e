"""The staff API's shapes (API.md's fixed paths, and planning's own)."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..domain import SCHOOL_LEVELS

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
Level = Literal["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]
assert set(Level.__args__) == set(SCHOOL_LEVELS)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def parse_hhmm(value: str) -> time:
    return time(int(value[:2]), int(value[3:]))


def _hhmm(value: str) -> str:
    if not HHMM.match(value):
        raise ValueError("heure au format HH:MM attendue")
    return value


Hhmm = Annotated[str, AfterValidator(_hhmm), Field(description="HH:MM, Paris time", examples=["11:30"])]


class SchoolYearIn(Strict):
    label: str = Field(pattern=r"^\d{4}/\d{4}$", description="« 2026/2027 »")
    starts_on: date | None = Field(None, description="default 1 September")
    ends_on: date | None = Field(None, description="default 31 July")


class SchoolYearOut(BaseModel):
    id: UUID
    label: str
    starts_on: date
    ends_on: date


class SchoolYearList(BaseModel):
    school_years: list[SchoolYearOut]


class ActivityUpdate(Strict):
    name: str = Field(min_length=1, max_length=120)
    weekdays: list[int] = Field(max_length=7)
    holiday_weekdays: list[int] = Field(default_factory=list, max_length=7)
    starts_at: Hhmm
    ends_at: Hhmm
    capacity: int = Field(ge=0, le=10000)
    min_age: int | None = Field(None, ge=0, le=25)
    max_age: int | None = Field(None, ge=0, le=25)
    levels: list[Level] | None = None


class ActivityIn(ActivityUpdate):
    """API.md's body; the school year and the code never change afterwards."""

    school_year: str = Field(pattern=r"^\d{4}/\d{4}$")
    code: str = Field(pattern=r"^[a-z0-9_]{1,40}$")


class ActivityOut(BaseModel):
    id: UUID
    school_year: str
    code: str
    name: str
    display_name: str
    weekdays: list[int]
    holiday_weekdays: list[int]
    starts_at: str
    ends_at: str
    capacity: int
    min_age: int | None
    max_age: int | None
    levels: list[str] | None


class AdminActivityList(BaseModel):
    activities: list[ActivityOut]


class ActivitiesQuery(Strict):
    school_year: str | None = Field(None, pattern=r"^\d{4}/\d{4}$")


class MonthIn(Strict):
    open: bool


class MonthOut(BaseModel):
    month: str
    open: bool


class MonthList(BaseModel):
    open_months: list[str]


class ClosureIn(Strict):
    activity_id: UUID | None = None
    from_: date = Field(alias="from")
    to: date
    label: str = Field(min_length=1, max_length=120)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ClosureOut(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)

    id: UUID
    activity_id: UUID | None
    from_: date = Field(serialization_alias="from")
    to: date
    label: str


class ClosureCreated(ClosureOut):
    """POST's answer: 201 for a new closure, 200 when the same one (activity, dates, label)
    was already recorded; the counts are what this request did (0 the second time)."""

    cancelled_reservations: int = Field(
        ge=0, description="Confirmed (paid) reservations on the closed days, cancelled and credited in full."
    )
    withdrawn_basket_lines: int = Field(
        ge=0, description="Pending basket lines on the closed days withdrawn (held places freed)."
    )
    families_notified: int = Field(ge=0, description="Families told by e-mail (planning.closure.days_cancelled).")


class ClosureList(BaseModel):
    closures: list[ClosureOut]


class PeriodQuery(Strict):
    from_: date = Field(alias="from")
    to: date


class SchoolHolidayIn(Strict):
    school_year: str = Field(pattern=r"^\d{4}/\d{4}$")
    from_: date = Field(alias="from")
    to: date
    label: str = Field(min_length=1, max_length=120)


class SchoolHolidayOut(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)

    id: UUID | None = Field(description="null for the zone's official periods")
    from_: date = Field(serialization_alias="from")
    to: date
    label: str
    official: bool


class SchoolHolidayList(BaseModel):
    school_year: str
    periods: list[SchoolHolidayOut]


class SchoolYearQuery(Strict):
    school_year: str = Field(pattern=r"^\d{4}/\d{4}$")


class Rule(Strict):
    anchor: Literal["week", "day"] = "week"
    days_before: int = Field(1, ge=0, le=60)
    at: Hhmm = "21:00"


class DeadlineIn(Strict):
    booking: Rule
    cancellation: Rule | None = Field(None, description="null: the booking rule governs cancellations")


class RuleOut(BaseModel):
    anchor: str
    days_before: int
    at: str
    description: str = Field(description="« le dimanche précédant la semaine, à 21h00 »")


class DeadlineOut(BaseModel):
    booking: RuleOut
    cancellation: RuleOut | None


class EnrolmentIn(Strict):
    child_id: UUID
    activity_id: UUID


class EnrolmentOut(BaseModel):
    child_id: UUID
    activity_id: UUID
    first_name: str
    last_name: str
    school: str | None
    level: str | None


class EnrolmentList(BaseModel):
    enrolments: list[EnrolmentOut]


class EnrolmentsQuery(Strict):
    activity_id: UUID | None = None
    child_id: UUID | None = None


class DayQuery(Strict):
    date: date


class MonthQuery(Strict):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")


class ListedChild(BaseModel):
    child_id: UUID
    first_name: str
    last_name: str
    school: str | None
    level: str | None
    attendance: Literal["present", "absent"] | None


class Group(BaseModel):
    school: str | None
    level: str | None
    count: int


class ActivityDay(BaseModel):
    activity_id: UUID
    name: str
    capacity: int
    count: int
    children: list[ListedChild]
    groups: list[Group] = Field(description="per school and level")


class DailyList(BaseModel):
    date: date
    meals: int = Field(description="the kitchen's meal count: children booked on an activity that includes lunch")
    activities: list[ActivityDay]


class AttendanceIn(Strict):
    date: date
    activity_id: UUID
    child_id: UUID
    status: Literal["present", "absent"]


class AttendanceOut(BaseModel):
    date: date
    activity_id: UUID
    child_id: UUID
    status: Literal["present", "absent"]
    booked: bool
    charged_without_booking: bool
