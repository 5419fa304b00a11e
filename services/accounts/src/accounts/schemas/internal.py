"""What the gateway asks that is never exposed under /api: sessions, registration drafts."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import StrictBool

from .common import (
    DossierNumber,
    Email,
    ParentUsername,
    Password,
    PersonName,
    RequestModel,
    ResponseModel,
    ShortText,
    Token,
)


class SessionToken(RequestModel):
    token: Token


class ResolvedSession(ResponseModel):
    # The gateway signs it into the identity (claim ``session_id``): a password change
    # through the API then keeps the caller's own session (docs/accounts.md). Always
    # sent; optional in the schema so that a gateway's stand-in may leave it out.
    session_id: uuid.UUID | None = None
    user_id: uuid.UUID
    roles: list[str]
    dossier_id: uuid.UUID | None
    username: str
    first_name: str
    mobile_display: bool
    expires_at: datetime
    idle_expires_at: datetime


# ------------------------------------------------------------- registration wizard drafts


class DraftCreated(ResponseModel):
    draft_id: str


class DraftIdentity(RequestModel):
    """Step 1, « Mes informations »."""

    last_name: PersonName
    first_name: PersonName
    email: Email
    username: ParentUsername
    password: Password
    mobile_display: StrictBool = False


class DraftDossier(RequestModel):
    """Step 2, « Mes références dossier » — or « Je n'ai pas ces informations, continuer sans »."""

    dossier_number: DossierNumber | None = None
    dossier_name: PersonName | None = None
    without_dossier: StrictBool = False


class DraftTerms(RequestModel):
    """Step 3, « Conditions d'utilisation »."""

    terms_version: ShortText
    accepted: StrictBool


class DraftSteps(ResponseModel):
    identity: bool
    dossier: bool
    terms: bool


class DraftSummary(ResponseModel):
    """Step 4, « Récapitulatif de mon inscription » (never the password)."""

    step_done: DraftSteps
    last_name: str | None
    first_name: str | None
    email: str | None
    username: str | None
    mobile_display: bool
    dossier_number: str | None
    dossier_name: str | None
    without_dossier: bool
    terms_version: str | None
