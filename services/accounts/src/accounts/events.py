"""The integration events accounts publishes (v1), exactly as docs/events.md lists them.

Frozen models that forbid extra fields: what a consumer may rely on is what is written
here. Tokens appear only in the three events whose e-mail carries a link; passwords never.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from servicekit.events import EventData

USER_REGISTERED = "accounts.user.registered"
USER_ACTIVATION_RESENT = "accounts.user.activation_resent"
USER_ACTIVATED = "accounts.user.activated"
USER_CONTACT_CHANGED = "accounts.user.contact_changed"
USER_DEACTIVATED = "accounts.user.deactivated"
USER_PURGED = "accounts.user.purged"
PASSWORD_RESET_REQUESTED = "accounts.password_reset.requested"
PASSWORD_CHANGED = "accounts.password.changed"
EMAIL_CHANGE_REQUESTED = "accounts.email_change.requested"
DOSSIER_UPDATED = "accounts.dossier.updated"
CHILD_ADDED = "accounts.child.added"
CHILD_UPDATED = "accounts.child.updated"


class UserRegistered(EventData):
    user_id: uuid.UUID
    username: str
    email: str
    first_name: str
    last_name: str
    dossier_number: str | None
    activation_token: str
    expires_at: datetime


class UserActivationResent(UserRegistered):
    pass


class UserActivated(EventData):
    user_id: uuid.UUID
    username: str
    email: str
    first_name: str
    last_name: str
    dossier_id: uuid.UUID | None


class UserContactChanged(EventData):
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    dossier_id: uuid.UUID | None


class UserDeactivated(EventData):
    user_id: uuid.UUID


class UserPurged(EventData):
    user_id: uuid.UUID


class PasswordResetRequested(EventData):
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    reset_token: str
    expires_at: datetime


class PasswordChanged(EventData):
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str


class EmailChangeRequested(EventData):
    user_id: uuid.UUID
    new_email: str
    first_name: str
    last_name: str
    confirm_token: str
    expires_at: datetime


class Address(EventData):
    line1: str | None
    line2: str | None
    postal_code: str | None
    city: str | None


class DossierAdult(EventData):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone_mobile: str | None
    phone_home: str | None
    phone_work: str | None


class DossierUpdated(EventData):
    dossier_id: uuid.UUID
    number: str
    family_name: str
    invoices_by_email: bool
    address: Address
    adults: list[DossierAdult]


class ChildAdded(EventData):
    dossier_id: uuid.UUID
    child_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    school: str | None
    level: str | None


class ChildUpdated(ChildAdded):
    pass


EVENT_TYPES: dict[str, type[EventData]] = {
    USER_REGISTERED: UserRegistered,
    USER_ACTIVATION_RESENT: UserActivationResent,
    USER_ACTIVATED: UserActivated,
    USER_CONTACT_CHANGED: UserContactChanged,
    USER_DEACTIVATED: UserDeactivated,
    USER_PURGED: UserPurged,
    PASSWORD_RESET_REQUESTED: PasswordResetRequested,
    PASSWORD_CHANGED: PasswordChanged,
    EMAIL_CHANGE_REQUESTED: EmailChangeRequested,
    DOSSIER_UPDATED: DossierUpdated,
    CHILD_ADDED: ChildAdded,
    CHILD_UPDATED: ChildUpdated,
}
