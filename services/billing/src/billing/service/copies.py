"""What billing keeps of other services' data, fed by their events: families (accounts),
activities (planning) and attendance (planning, for the monthly invoices of the next issue).

The models here are billing's own narrow reading of each event (extra fields ignored: a
producer may add some); the consumer and the demo loader call the same upserts, so a real
event arriving after the demo data changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ..store import UnitOfWork
from .deps import Billing, Event


class Narrow(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Adult(Narrow):
    email: str | None = Field(None, max_length=320)


class Address(Narrow):
    line1: str | None = Field(None, max_length=300)
    line2: str | None = Field(None, max_length=300)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=200)


class DossierUpdated(Narrow):
    """accounts.dossier.updated v1."""

    dossier_id: UUID
    number: str = Field(max_length=40)
    family_name: str = Field(max_length=200)
    invoices_by_email: bool = False
    adults: list[Adult] = Field(default_factory=list)
    address: Address | None = None  # printed on invoices

    @property
    def contact_email(self) -> str | None:
        """Receipts go to the file's first adult with an address."""
        return next((a.email for a in self.adults if a.email), None)


class ActivityChanged(Narrow):
    """planning.activity.created / planning.activity.updated v1."""

    activity_id: UUID
    school_year: str = Field(pattern=r"^\d{4}/\d{4}$")
    code: str = Field(max_length=60)
    name: str = Field(max_length=200)
    display_name: str = Field(max_length=300)


class AttendanceRecorded(Narrow):
    """planning.attendance.recorded v1."""

    dossier_id: UUID
    child_id: UUID
    activity_id: UUID
    date: date
    status: Literal["present", "absent"]
    booked: bool


async def dossier_updated(ctx: Billing, uow: UnitOfWork, event: Event, data: DossierUpdated) -> None:
    await uow.families.upsert(
        dossier_id=data.dossier_id,
        number=data.number,
        family_name=data.family_name,
        contact_email=data.contact_email,
        invoices_by_email=data.invoices_by_email,
        address=data.address.model_dump() if data.address else None,
    )


class ChildChanged(Narrow):
    """accounts.child.added / accounts.child.updated v1: the first name invoice lines print,
    the birth date the tax attestation needs (children under 6 on 1 January)."""

    dossier_id: UUID
    child_id: UUID
    first_name: str = Field(max_length=200)
    last_name: str = Field(max_length=200)
    birth_date: date


async def child_changed(ctx: Billing, uow: UnitOfWork, event: Event, data: ChildChanged) -> None:
    await uow.children.upsert(
        child_id=data.child_id,
        dossier_id=data.dossier_id,
        first_name=data.first_name,
        last_name=data.last_name,
        birth_date=data.birth_date,
    )


async def activity_changed(ctx: Billing, uow: UnitOfWork, event: Event, data: ActivityChanged) -> None:
    await uow.activities.upsert(
        activity_id=data.activity_id,
        school_year=data.school_year,
        code=data.code,
        name=data.name,
        display_name=data.display_name,
    )


async def attendance_recorded(ctx: Billing, uow: UnitOfWork, event: Event, data: AttendanceRecorded) -> None:
    # Kept for the monthly invoices (present and not booked → charged); nothing is billed yet.
    await uow.attendance.record(
        dossier_id=data.dossier_id,
        child_id=data.child_id,
        activity_id=data.activity_id,
        day=data.date,
        status=data.status,
        booked=data.booked,
        at=event.occurred_at,
    )
