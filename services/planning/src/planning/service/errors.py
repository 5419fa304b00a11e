"""The service's refusals as servicekit problems, and the domain's ``PlanningError`` turned
into one (the domain stays free of HTTP and servicekit)."""

from __future__ import annotations

from servicekit.errors import Conflict, DomainError, Invalid, NotFound

from ..domain import errors as domain

PAYMENT_UNAVAILABLE = (
    "Le paiement en ligne est momentanément indisponible. Vos réservations n'ont pas été modifiées. "
    "Veuillez réessayer dans quelques minutes."
)
QUOTE_UNAVAILABLE = (
    "Le calcul du coût est momentanément indisponible. Vos modifications n'ont pas été enregistrées. "
    "Veuillez réessayer dans quelques minutes."
)


class BillingUnavailable(DomainError):
    status = 503
    code = "billing_unavailable"
    title = PAYMENT_UNAVAILABLE


class NoTariff(Conflict):
    code = "unknown_activity"
    title = "Cette activité n'a pas encore de tarif : merci de contacter le service enfance. Rien n'a été modifié."


class DaysFull(Conflict):
    code = "days_full"
    title = "Certains jours sont désormais complets : ils ont été retirés de votre panier."


class BasketChanged(Conflict):
    code = "basket_changed"
    title = "Votre panier a été modifié entre-temps. Merci de recharger la page et de recommencer."


class ChildNotFound(NotFound):
    code = "unknown_child"
    title = domain.UNKNOWN_CHILD


class ActivityNotFound(NotFound):
    code = "unknown_activity"
    title = domain.UNKNOWN_ACTIVITY


class ClosureNotFound(NotFound):
    code = "unknown_closure"
    title = "Cette fermeture n'existe pas."


class DuplicateActivity(Conflict):
    code = "activity_exists"
    title = "Une activité porte déjà ce code pour cette année scolaire."


class UnknownSchoolYear(NotFound):
    code = "unknown_school_year"
    title = "Cette année scolaire n'existe pas."


_KINDS: tuple[tuple[type[domain.PlanningError], type[DomainError]], ...] = (
    (domain.NotFound, NotFound),
    (domain.Conflict, Conflict),
    (domain.RulesViolated, Invalid),
    (domain.Invalid, Invalid),
)


def from_domain(exc: domain.PlanningError) -> DomainError:
    """The problem a parent or an agent reads: French title, and per-day ``days`` details."""
    kind = next((k for cls, k in _KINDS if isinstance(exc, cls)), Invalid)
    extra = {}
    code = exc.code
    if exc.problems:
        extra["days"] = [p.as_dict() for p in exc.problems]
        code = "rules_violated"
    return kind(code, exc.message, extra=extra)
