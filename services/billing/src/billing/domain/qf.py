"""Quotients familiaux (QF): dated values per family, and which one holds on a given day.

A :class:`QuotientFamilial` is one value a family proved for a period: ``value`` (an integer
≥ 0, the CAF's monthly QF in euros), ``valid_from`` and ``valid_to`` (both **inclusive**),
``proof`` (:class:`QfProof`: « avis d'imposition » or « attestation CAF ») and ``state``
(:class:`QfState`). Staff validate or reject a pending QF; only validated QFs price anything.
``qf.validated()`` / ``qf.rejected()`` return the new value (the same one when already in that
state, so a repeated staff click changes nothing); any other move raises :class:`Conflict`
``qf_not_pending``.

A :class:`QfHistory` holds one family's QFs. ``history.value_on(day)`` is the validated QF
covering ``day`` or ``None`` (then the grid's default bracket, the highest tariff, applies: a
family that did not renew its QF in February falls back to it on the day its last QF ends).
Validated periods never overlap, so a day has at most one QF: the constructor and
``with_qf`` / ``validate`` refuse an overlap with :class:`Conflict` ``qf_overlap``. Pending and
rejected QFs may overlap anything (a family uploads its new proof while the old QF still runs).

QFs are renewed each February: ``campaign_period(2027)`` is the validity a QF proved in the
February 2027 campaign gets by default (2027-02-01 to 2028-01-31), and
``history.needs_renewal(2027)`` says whether a family has no validated QF for that period's first
day (the families the campaign reminds).

The campaign's timeline (:class:`QfCampaign`, opened by staff with an ``ends_on`` date): the new
period starts on 1 February; from then until ``ends_on`` (inclusive) a family that has not
renewed yet keeps the QF of its previous period (the one valid on 31 January: the campaign's
grace); from the day after ``ends_on`` it pays the highest tariff until a new QF is validated.
A history knows the campaigns (``QfHistory(qfs, campaigns)``): ``value_on(day)`` applies the
grace, ``proved_on(day)`` never does (what the family actually proved for that day).

Refusals of bad values are :class:`InvalidInput` with codes ``qf_value_invalid``,
``qf_period_invalid``, ``qf_proof_invalid``, ``qf_state_invalid``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from billing.domain.errors import Conflict, NotFound, invalid

# A QF is a monthly income per share; seven digits is already a typo, not a family.
QF_MAX_VALUE = 999_999


class QfProof(StrEnum):
    AVIS_IMPOSITION = "avis_imposition"
    ATTESTATION_CAF = "attestation_caf"

    @property
    def label_fr(self) -> str:
        return {"avis_imposition": "Avis d'imposition", "attestation_caf": "Attestation CAF"}[self.value]


class QfState(StrEnum):
    PENDING = "pending"
    VALIDATED = "validated"
    REJECTED = "rejected"


def _plain_date(value: object, field: str) -> date:
    # datetime is a date subclass; a QF period is made of calendar days, never instants.
    if type(value) is not date:
        raise invalid(field, "qf_period_invalid", "La période de validité doit être donnée en dates (AAAA-MM-JJ).")
    return value


@dataclass(frozen=True)
class QuotientFamilial:
    value: int
    valid_from: date
    valid_to: date
    proof: QfProof
    state: QfState = QfState.PENDING
    id: Hashable | None = None

    def __post_init__(self) -> None:
        if type(self.value) is not int or not 0 <= self.value <= QF_MAX_VALUE:
            raise invalid(
                "value",
                "qf_value_invalid",
                f"Le quotient familial doit être un nombre entier entre 0 et {QF_MAX_VALUE}.",
            )
        _plain_date(self.valid_from, "valid_from")
        _plain_date(self.valid_to, "valid_to")
        if self.valid_to < self.valid_from:
            raise invalid("valid_to", "qf_period_invalid", "La fin de validité doit suivre le début de validité.")
        try:
            object.__setattr__(self, "proof", QfProof(self.proof))
        except ValueError:
            raise invalid(
                "proof", "qf_proof_invalid", "Le justificatif doit être un avis d'imposition ou une attestation CAF."
            ) from None
        try:
            object.__setattr__(self, "state", QfState(self.state))
        except ValueError:
            raise invalid("state", "qf_state_invalid", "Cet état de quotient familial n'existe pas.") from None

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to

    def overlaps(self, other: QuotientFamilial) -> bool:
        return self.valid_from <= other.valid_to and other.valid_from <= self.valid_to

    @property
    def is_validated(self) -> bool:
        return self.state is QfState.VALIDATED

    def validated(self) -> QuotientFamilial:
        return self._moved_to(QfState.VALIDATED)

    def rejected(self) -> QuotientFamilial:
        return self._moved_to(QfState.REJECTED)

    def _moved_to(self, state: QfState) -> QuotientFamilial:
        if self.state is state:
            return self
        if self.state is not QfState.PENDING:
            raise Conflict(
                "Ce quotient familial a déjà été traité (validé ou refusé) ; enregistrez-en un nouveau.",
                code="qf_not_pending",
            )
        return replace(self, state=state)


def campaign_period(year: int) -> tuple[date, date]:
    """The default validity of a QF proved in the February ``year`` campaign."""
    return date(year, 2, 1), date(year + 1, 1, 31)


@dataclass(frozen=True)
class QfCampaign:
    """The February ``year`` campaign; families may renew until ``ends_on`` (inclusive)."""

    year: int
    ends_on: date

    def __post_init__(self) -> None:
        if type(self.year) is not int or not 2000 <= self.year <= 2100:
            raise invalid("year", "qf_campaign_invalid", "L'année de la campagne n'est pas valable.")
        start, end = campaign_period(self.year)
        if type(self.ends_on) is not date or not start <= self.ends_on <= end:
            raise invalid(
                "ends_on",
                "qf_campaign_invalid",
                f"La date de fin de campagne doit être comprise entre le {start:%d/%m/%Y} et le {end:%d/%m/%Y}.",
            )

    @property
    def starts_on(self) -> date:
        return campaign_period(self.year)[0]

    def in_grace(self, day: date) -> bool:
        """Whether ``day`` is in the new period but before the campaign's end (the old QF holds)."""
        return self.starts_on <= day <= self.ends_on

    def is_open_on(self, day: date) -> bool:
        """Whether families may still renew on ``day`` (the campaign is opened before February)."""
        return day <= self.ends_on


QF_OVERLAP = (
    "Cette période chevauche celle d'un quotient familial déjà validé pour cette famille. "
    "Raccourcissez d'abord la période de l'ancien quotient."
)


@dataclass(frozen=True, init=False)
class QfHistory:
    """One family's QFs; see the module docstring."""

    qfs: tuple[QuotientFamilial, ...] = ()
    campaigns: tuple[QfCampaign, ...] = ()

    def __init__(self, qfs: Iterable[QuotientFamilial] = (), campaigns: Iterable[QfCampaign] = ()):
        qfs = tuple(sorted(qfs, key=lambda qf: (qf.valid_from, qf.valid_to)))
        validated = [qf for qf in qfs if qf.is_validated]
        for earlier, later in zip(validated, validated[1:], strict=False):
            if earlier.overlaps(later):
                raise Conflict(QF_OVERLAP, code="qf_overlap", field="valid_from")
        object.__setattr__(self, "qfs", qfs)
        object.__setattr__(self, "campaigns", tuple(campaigns))

    def value_on(self, day: date) -> QuotientFamilial | None:
        """The QF that prices ``day``, or ``None`` (→ the highest tariff): the validated QF
        covering it, else during a campaign's grace the one of the previous period."""
        proved = self.proved_on(day)
        if proved is not None:
            return proved
        for campaign in self.campaigns:
            if campaign.in_grace(day):
                return self.proved_on(campaign.starts_on - timedelta(days=1))
        return None

    def proved_on(self, day: date) -> QuotientFamilial | None:
        """The validated QF covering ``day`` (no grace)."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError("a QF is looked up for a calendar day (date), not an instant")
        for qf in self.qfs:
            if qf.is_validated and qf.covers(day):
                return qf
        return None

    def needs_renewal(self, campaign_year: int) -> bool:
        return self.proved_on(campaign_period(campaign_year)[0]) is None

    def validated(self) -> tuple[QuotientFamilial, ...]:
        return tuple(qf for qf in self.qfs if qf.is_validated)

    def with_qf(self, qf: QuotientFamilial) -> QfHistory:
        """The history with ``qf`` added; refused when ``qf`` is validated and overlaps."""
        return QfHistory((*self.qfs, qf), self.campaigns)

    def validate(self, qf_id: Hashable) -> tuple[QfHistory, QuotientFamilial]:
        """Validate the pending QF ``qf_id``; refused when its period overlaps a validated one."""
        target = self._find(qf_id)
        done = target.validated()
        return QfHistory((done if qf is target else qf for qf in self.qfs), self.campaigns), done

    def reject(self, qf_id: Hashable) -> tuple[QfHistory, QuotientFamilial]:
        target = self._find(qf_id)
        done = target.rejected()
        return QfHistory((done if qf is target else qf for qf in self.qfs), self.campaigns), done

    def _find(self, qf_id: Hashable) -> QuotientFamilial:
        for qf in self.qfs:
            if qf.id is not None and qf.id == qf_id:
                return qf
        raise NotFound("Ce quotient familial n'existe pas pour cette famille.", code="qf_unknown")


# --- retention of the proofs' files (docs/billing.md « Retention of QF proofs ») ------------------

DEFAULT_PROOF_RETENTION_DAYS = 90


def proof_purge_cutoff(now: datetime, retention_days: int) -> datetime:
    """Proofs decided at or before this instant have outlived their retention at ``now``: a
    proof's file is kept ``retention_days`` after staff decided on it (accepted or rejected);
    one still waiting for review has no decision time and is kept (staff need it)."""
    if retention_days < 0:
        raise ValueError("a retention is a number of days, 0 or more")
    return now - timedelta(days=retention_days)
