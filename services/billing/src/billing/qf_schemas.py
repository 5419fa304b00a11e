"""Request and answer bodies of the QF campaign's endpoints (proofs, campaigns, the QF page)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict, Field

from .domain.money import NonNegativeCents
from .schemas import In, Out, QfOut

ProofKind = Literal["avis_imposition", "attestation_caf"]
ProofState = Literal["pending", "accepted", "rejected"]


class ProofIn(In):
    """The form's text fields; the file comes as the ``file`` part."""

    model_config = ConfigDict(extra="ignore", frozen=True)  # a form may carry its CSRF token
    kind: ProofKind
    year: int = Field(description="the campaign year the proof is for (its QF period starts on 1 February)")


class ProofOut(Out):
    id: uuid.UUID
    kind: ProofKind
    year: int
    content_type: Literal["application/pdf", "image/jpeg", "image/png"]
    size_bytes: int
    state: ProofState
    reject_reason: str | None = None
    uploaded_at: datetime
    decided_at: datetime | None = None


class StaffProofOut(ProofOut):
    dossier_id: uuid.UUID
    dossier_number: str | None = None
    family_name: str | None = None
    qf_id: uuid.UUID | None = None
    purged_at: datetime | None = Field(
        None, description="when the file was deleted at the end of its retention (the decision is kept)"
    )


class StaffProofList(Out):
    proofs: list[StaffProofOut]


class ProofsQuery(In):
    model_config = ConfigDict(extra="ignore", frozen=True)
    state: ProofState | None = None
    limit: int = Field(100, ge=1, le=500)


class AcceptProofIn(In):
    value: int = Field(description="the CAF's monthly QF, in euros")
    valid_from: date | None = Field(None, description="default: 1 February of the proof's year")
    valid_to: date | None = Field(None, description="inclusive; default: 31 January of the next year")


class RejectProofIn(In):
    reason: str = Field(min_length=1, max_length=500, description="shown to the family, in French")


class AcceptedProof(Out):
    proof: StaffProofOut
    qf: QfOut


class CampaignIn(In):
    year: int
    ends_on: date = Field(description="the last day families may renew; the highest tariff applies from the day after")


class CampaignOut(Out):
    year: int
    starts_on: date = Field(description="1 February: the new period's first day")
    ends_on: date


class FamilyQf(Out):
    """The parent's « Quotient familial » page."""

    qf: QfOut | None = Field(description="the QF pricing today; null: the highest tariff applies")
    in_grace: bool = Field(description="true: today is in an open campaign and the previous period's QF still holds")
    latest_proof: ProofOut | None
    campaign: CampaignOut | None = Field(description="the campaign open today (families may still renew)")
    needs_renewal: bool = Field(description="the open campaign's new period has no validated QF for this family")


class AttestationRequestIn(In):
    year: int = Field(description="a past calendar year")


class AttestationRequestOut(Out):
    id: uuid.UUID = Field(description="also the attestation's document id once approved")
    year: int
    state: Literal["pending", "approved"]
    requested_at: datetime
    approved_at: datetime | None = None
    total_cents: NonNegativeCents = Field(description="the total attested once approved (0 while pending)")


class AttestationRequestList(Out):
    requests: list[AttestationRequestOut]


class StaffAttestationRequestOut(AttestationRequestOut):
    dossier_id: uuid.UUID
    dossier_number: str | None = None
    family_name: str | None = None


class StaffAttestationRequestList(Out):
    requests: list[StaffAttestationRequestOut]


class AttestationRequestsQuery(In):
    model_config = ConfigDict(extra="ignore", frozen=True)
    state: Literal["pending", "approved"] | None = None
