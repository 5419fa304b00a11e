"""What parents (and any logged-in user) send and receive."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, StrictBool

from .common import (
    DossierNumber,
    Email,
    LoginName,
    Name,
    OptionalEmail,
    OptionalPhone,
    ParentUsername,
    Password,
    PersonName,
    RequestModel,
    ResponseModel,
    ShortText,
    Token,
)

UserStatus = Literal["pending_activation", "active", "disabled"]


class Terms(ResponseModel):
    version: str
    text: str


class UsernameSuggestions(ResponseModel):
    suggestions: list[str]


class Subscription(ResponseModel):
    service: Literal["enfance"] = "enfance"
    dossier_number: str
    status: Literal["pending_activation", "active"]


class RegistrationRequest(RequestModel):
    last_name: PersonName
    first_name: PersonName
    email: Email
    username: ParentUsername
    password: Password
    mobile_display: StrictBool = False
    dossier_number: DossierNumber | None = None
    dossier_name: PersonName | None = None
    without_dossier: StrictBool = False
    terms_version: ShortText


class Registration(ResponseModel):
    user_id: uuid.UUID
    username: str
    status: Literal["pending_activation"]
    subscriptions: list[Subscription]


class ActivationRequest(RequestModel):
    token: Token
    # Only for accounts made by staff, whose holder chooses the password when activating.
    password: Password | None = None


class Activation(ResponseModel):
    status: Literal["active"]


class SessionRequest(RequestModel):
    username: LoginName
    password: Password


class Session(ResponseModel):
    token: str
    expires_at: datetime


class PasswordResetRequest(RequestModel):
    email: Email


class ActivationResendRequest(RequestModel):
    email: Email


class PasswordResetConfirmation(RequestModel):
    token: Token
    new_password: Password


class PasswordChange(RequestModel):
    current_password: Password
    new_password: Password


class EmailChangeRequest(RequestModel):
    new_email: Email
    password: Password


class EmailChangeConfirmation(RequestModel):
    token: Token


class Status(ResponseModel):
    status: str


class PasswordChanged(ResponseModel):
    """What a gateway needs to drop its cached resolutions of the sessions just closed.

    Always sent in full; the defaults only let an older stand-in answer ``{status}``."""

    status: Literal["password_changed"] = "password_changed"
    user_id: uuid.UUID | None = None
    kept_session_id: uuid.UUID | None = Field(
        None, description="The caller's session, still open (None when the request named none of its own)."
    )
    closed_session_ids: list[uuid.UUID] = Field(
        default_factory=list, description="The user's other sessions, closed at once."
    )


class Accepted(ResponseModel):
    status: Literal["accepted"] = "accepted"


class EmailChanged(ResponseModel):
    status: Literal["email_changed"] = "email_changed"
    email: str


class LinkDossierRequest(RequestModel):
    dossier_number: DossierNumber
    family_name: Name


class LinkedDossier(ResponseModel):
    dossier_id: uuid.UUID
    subscriptions: list[Subscription]


class UserSummary(ResponseModel):
    id: uuid.UUID
    username: str
    first_name: str
    last_name: str
    email: str
    status: UserStatus
    mobile_display: bool


class DossierSummary(ResponseModel):
    id: uuid.UUID
    number: str
    family_name: str
    children_count: int


class Me(ResponseModel):
    user: UserSummary
    roles: list[str]
    dossier: DossierSummary | None
    subscriptions: list[Subscription]


class Address(ResponseModel):
    line1: str | None
    line2: str | None
    postal_code: str | None
    city: str | None


class Adult(ResponseModel):
    id: uuid.UUID
    last_name: str
    first_name: str
    email: str | None
    phone_mobile: str | None
    phone_home: str | None
    phone_work: str | None


class Child(ResponseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    school: str | None
    level: str | None


class Dossier(ResponseModel):
    id: uuid.UUID
    number: str
    family_name: str
    address: Address
    invoices_by_email: bool
    adults: list[Adult]
    children: list[Child]
    subscriptions: list[Subscription]


class AdultContactChange(RequestModel):
    """Only what a parent may change; a field left out stays as it is, null clears it."""

    id: uuid.UUID
    phone_mobile: OptionalPhone = None
    phone_home: OptionalPhone = None
    phone_work: OptionalPhone = None
    email: OptionalEmail = None


class DossierChange(RequestModel):
    adults: list[AdultContactChange] | None = Field(default=None, max_length=20)
    invoices_by_email: StrictBool | None = None


class HistoryEntry(ResponseModel):
    at: datetime
    actor_kind: Literal["parent", "staff", "system"]
    entity: str
    entity_id: uuid.UUID
    action: str
    before: dict[str, Any]
    after: dict[str, Any]


class History(ResponseModel):
    items: list[HistoryEntry]
    next_cursor: str | None
