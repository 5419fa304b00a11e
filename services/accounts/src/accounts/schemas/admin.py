"""What staff send and receive on /api/accounts/admin/..."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field, StrictBool

from .common import (
    DossierNumber,
    Email,
    Name,
    OptionalAddressLine,
    OptionalEmail,
    OptionalLevel,
    OptionalPhone,
    OptionalPostalCode,
    OptionalSchool,
    PersonName,
    RequestModel,
    ResponseModel,
    Username,
)
from .public import Address, Adult, Child, UserStatus

Role = Literal["accounts_staff", "planning_staff", "billing_staff", "messaging_staff", "admin"]


class AddressInput(RequestModel):
    line1: OptionalAddressLine = None
    line2: OptionalAddressLine = None
    postal_code: OptionalPostalCode = None
    city: OptionalAddressLine = None


class AdultInput(RequestModel):
    last_name: Name
    first_name: Name
    email: OptionalEmail = None
    # The town's files often hold one number: a mobile (06/07, or foreign) is filed as
    # mobile, any other as home, unless the specific fields are given.
    phone: OptionalPhone = None
    phone_mobile: OptionalPhone = None
    phone_home: OptionalPhone = None
    phone_work: OptionalPhone = None


class ChildInput(RequestModel):
    first_name: Name
    last_name: Name
    birth_date: date
    school: OptionalSchool = None
    level: OptionalLevel = None


class DossierCreation(RequestModel):
    number: DossierNumber
    family_name: Name
    address: AddressInput | None = None
    invoices_by_email: StrictBool = False
    adults: list[AdultInput] = Field(default_factory=list, max_length=10)
    children: list[ChildInput] = Field(default_factory=list, max_length=20)


class AdultChange(RequestModel):
    id: uuid.UUID
    last_name: Name | None = None
    first_name: Name | None = None
    email: OptionalEmail = None
    phone_mobile: OptionalPhone = None
    phone_home: OptionalPhone = None
    phone_work: OptionalPhone = None


class StaffDossierChange(RequestModel):
    number: DossierNumber | None = None
    family_name: Name | None = None
    address: AddressInput | None = None
    invoices_by_email: StrictBool | None = None
    adults: list[AdultChange] | None = Field(default=None, max_length=20)


class ChildChange(RequestModel):
    first_name: Name | None = None
    last_name: Name | None = None
    birth_date: date | None = None
    school: OptionalSchool = None
    level: OptionalLevel = None


class LinkedAccount(ResponseModel):
    user_id: uuid.UUID
    username: str
    status: UserStatus


class StaffDossier(ResponseModel):
    id: uuid.UUID
    number: str
    family_name: str
    address: Address
    invoices_by_email: bool
    adults: list[Adult]
    children: list[Child]
    accounts: list[LinkedAccount]
    created_at: datetime
    updated_at: datetime


class DossierListItem(ResponseModel):
    id: uuid.UUID
    number: str
    family_name: str
    children_count: int
    accounts: list[LinkedAccount]


class DossierList(ResponseModel):
    items: list[DossierListItem]
    next_cursor: str | None


class ImportResult(ResponseModel):
    dry_run: bool
    rows: int
    dossiers: int
    adults: int
    children: int


class StaffUserCreation(RequestModel):
    username: Username
    email: Email
    last_name: PersonName
    first_name: PersonName
    roles: list[Role] = Field(min_length=1, max_length=5)


class RolesChange(RequestModel):
    roles: list[Role] = Field(max_length=5)


class UserDetail(ResponseModel):
    id: uuid.UUID
    username: str
    email: str
    first_name: str
    last_name: str
    status: UserStatus
    roles: list[str]
    dossier_id: uuid.UUID | None
    mobile_display: bool
    created_at: datetime
    activated_at: datetime | None
    disabled_at: datetime | None


class UserList(ResponseModel):
    items: list[UserDetail]
    next_cursor: str | None
