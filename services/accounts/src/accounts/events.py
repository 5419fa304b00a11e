"""The integration events accounts publishes (v1): docs/events.md is generated from them.

Frozen models that forbid extra fields: what a consumer may rely on is what is written
here. Each class carries its ``type`` and ``version``; the docstring says who consumes it
(it is the event's description in the catalogue). Tokens appear only in the three events
whose e-mail carries a link; passwords never.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field
from servicekit.events import EventData, IntegrationEvent


class UserRegistered(IntegrationEvent):
    """A parent registered; the account waits for activation. messaging: activation e-mail, link `/activation?token=<token>`."""

    type = "accounts.user.registered"
    version = 1

    user_id: uuid.UUID
    username: str
    email: str
    first_name: str
    last_name: str
    dossier_number: str | None = Field(description="The family file the parent gave at registration, if any.")
    activation_token: str = Field(
        description="Single-use; only its hash is stored. Goes into the e-mail's link. Wiped from the producer's outbox once published.",
        json_schema_extra={"secret": True},
    )
    expires_at: datetime = Field(description="When the activation link stops working (UTC).")


class UserActivationResent(UserRegistered):
    """A new activation link was asked for; same fields as `accounts.user.registered`. messaging: activation e-mail again."""

    type = "accounts.user.activation_resent"
    version = 1


class UserActivated(IntegrationEvent):
    """An account was activated. messaging: contact copy."""

    type = "accounts.user.activated"
    version = 1

    user_id: uuid.UUID
    username: str
    email: str
    first_name: str
    last_name: str
    dossier_id: uuid.UUID | None


class UserContactChanged(IntegrationEvent):
    """An account's e-mail or name changed. messaging: contact copy."""

    type = "accounts.user.contact_changed"
    version = 1

    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    dossier_id: uuid.UUID | None


class UserDeactivated(IntegrationEvent):
    """An account was disabled. messaging: contact copy (no more e-mails)."""

    type = "accounts.user.deactivated"
    version = 1

    user_id: uuid.UUID


class UserPurged(IntegrationEvent):
    """A pending account was deleted after 24 h. messaging: forget the contact."""

    type = "accounts.user.purged"
    version = 1

    user_id: uuid.UUID


class PasswordResetRequested(IntegrationEvent):
    """A password reset was asked for. messaging: reset e-mail, link `/mot-de-passe/nouveau?token=<token>`."""

    type = "accounts.password_reset.requested"
    version = 1

    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    reset_token: str = Field(
        description="Single-use; only its hash is stored. Goes into the e-mail's link. Wiped from the producer's outbox once published.",
        json_schema_extra={"secret": True},
    )
    expires_at: datetime = Field(description="When the reset link stops working (UTC).")


class RegistrationDuplicateAttempted(IntegrationEvent):
    """Someone registered with the address of an existing active account: no second account was made and the answer looked like a new registration's. messaging: « Quelqu'un a tenté de créer un compte avec votre adresse » notice to that address, link to `/mot-de-passe-oublie`; nothing of the attempt."""

    type = "accounts.registration.duplicate_attempted"
    version = 1

    user_id: uuid.UUID = Field(description="The existing account whose address was typed.")
    email: str = Field(description="That account's address; the notice goes there.")
    first_name: str = Field(description="The account holder's own name (never the attempt's).")
    last_name: str


class PasswordChanged(IntegrationEvent):
    """A password was changed (the password never travels). messaging: « votre mot de passe a été modifié » notice."""

    type = "accounts.password.changed"
    version = 1

    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str


class EmailChangeRequested(IntegrationEvent):
    """A new e-mail address waits for confirmation. messaging: confirmation e-mail to the NEW address, link `/email/confirmer?token=<token>`."""

    type = "accounts.email_change.requested"
    version = 1

    user_id: uuid.UUID
    new_email: str = Field(description="The address to confirm; the e-mail goes there.")
    first_name: str
    last_name: str
    confirm_token: str = Field(
        description="Single-use; only its hash is stored. Goes into the e-mail's link. Wiped from the producer's outbox once published.",
        json_schema_extra={"secret": True},
    )
    expires_at: datetime = Field(description="When the confirmation link stops working (UTC).")


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


class DossierUpdated(IntegrationEvent):
    """A family file was created or changed (the whole file, not a diff). billing (family copy), messaging."""

    type = "accounts.dossier.updated"
    version = 1

    dossier_id: uuid.UUID
    number: str
    family_name: str
    invoices_by_email: bool
    address: Address
    adults: list[DossierAdult]


class ChildAdded(IntegrationEvent):
    """A child was added to a family file. planning (children copy)."""

    type = "accounts.child.added"
    version = 1

    dossier_id: uuid.UUID
    child_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    school: str | None
    level: str | None


class ChildUpdated(ChildAdded):
    """A child's details changed; same fields as `accounts.child.added`. planning (children copy)."""

    type = "accounts.child.updated"
    version = 1


# The catalogue (servicekit.catalogue) reads this.
EVENTS = (
    UserRegistered,
    UserActivationResent,
    UserActivated,
    UserContactChanged,
    UserDeactivated,
    UserPurged,
    PasswordResetRequested,
    PasswordChanged,
    EmailChangeRequested,
    RegistrationDuplicateAttempted,
    DossierUpdated,
    ChildAdded,
    ChildUpdated,
)

EVENT_TYPES: dict[str, type[EventData]] = {cls.type: cls for cls in EVENTS}
